from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.models import Membership, Organisation
from accounts.services import membership_sync_groups

User = get_user_model()


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "all_districts", "is_active"]
    list_filter = ["role", "organisation", "is_active"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    filter_horizontal = ["districts", "units"]
    autocomplete_fields = ["user"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        membership_sync_groups(user=form.instance.user)

    def delete_model(self, request, obj):
        user = obj.user
        super().delete_model(request, obj)
        membership_sync_groups(user=user)


class MembershipInline(admin.StackedInline):
    model = Membership
    extra = 0
    filter_horizontal = ["districts", "units"]


admin.site.unregister(User)


@admin.register(User)
class HandoffUserAdmin(UserAdmin):
    inlines = [MembershipInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        membership_sync_groups(user=form.instance)


admin.site.site_header = "Handoff administration"
admin.site.site_title = "Handoff admin"
