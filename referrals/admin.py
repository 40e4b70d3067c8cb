from django.contrib import admin

from referrals.models import Program


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "workflow", "acceptance_minutes", "is_active"]
    list_filter = ["workflow", "is_active", "organisation"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
