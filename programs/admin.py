from django import forms
from django.contrib import admin

from programs.models import Program, ProgramReason, Workflow
from programs.registry import is_workflow_available


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = [
            "name",
            "slug",
            "organisation",
            "workflow",
            "description",
            "is_active",
            "min_age",
            "max_age",
            "first_contact_amount",
            "first_contact_unit",
            "acceptance_minutes",
            "door_knock_hours",
            "self_consent_age",
            "uses_rosters",
        ]

    def clean_workflow(self) -> str:
        workflow = self.cleaned_data["workflow"]
        if not is_workflow_available(workflow):
            raise forms.ValidationError(
                f"The {Workflow(workflow).label} workflow is not installed yet; choose one that is."
            )
        return workflow


class ProgramReasonInline(admin.TabularInline):
    model = ProgramReason
    fields = ["position", "code", "label", "definition", "is_active"]
    extra = 1
    ordering = ["position", "pk"]
    verbose_name = "reason for referral"
    verbose_name_plural = "Reasons for referral (what the officer picks from)"


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    form = ProgramForm
    inlines = [ProgramReasonInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "organisation", "workflow", "description", "is_active"]}),
        ("Eligibility", {"fields": [("min_age", "max_age")]}),
        (
            "First contact",
            {
                "fields": [("first_contact_amount", "first_contact_unit")],
                "description": "Casework: the first contact attempt is due this long after the request is filed; "
                "when missed it escalates to the program's supervisors.",
            },
        ),
        ("Other time limits", {"fields": ["acceptance_minutes", "door_knock_hours"]}),
        ("Consent", {"fields": ["self_consent_age"]}),
        ("Rosters", {"fields": ["uses_rosters"]}),
    ]
    list_display = ["name", "organisation", "workflow", "age_range", "first_contact", "uses_rosters", "is_active"]
    list_filter = ["workflow", "is_active", "organisation"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["organisation"]

    @admin.display(description="Ages")
    def age_range(self, program: Program) -> str:
        return program.age_range_label()

    @admin.display(description="First contact")
    def first_contact(self, program: Program) -> str:
        return f"{program.first_contact_amount} {program.get_first_contact_unit_display().lower()}"
