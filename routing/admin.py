from django.contrib import admin

from routing.forms import RouteStepFormSet
from routing.models import Route, RouteStep, Shift


class RouteStepInline(admin.TabularInline):
    model = RouteStep
    formset = RouteStepFormSet
    extra = 1
    ordering = ["position"]


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ["program", "district", "chain", "is_active"]
    list_filter = ["program", "is_active"]
    inlines = [RouteStepInline]

    @admin.display(description="Chain")
    def chain(self, route: Route) -> str:
        return " → ".join(str(step) for step in route.steps.all())

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("program", "district")
            .prefetch_related("steps__district", "steps__unit")
        )


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "starts_at", "ends_at", "on_call"]
    list_filter = ["organisation", "on_call"]
    filter_horizontal = ["districts"]
    date_hierarchy = "starts_at"
