from django import forms
from django.contrib import admin

from programs.models import Program, Workflow
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
            "acceptance_minutes",
            "first_contact_days",
            "door_knock_hours",
            "is_active",
        ]

    def clean_workflow(self) -> str:
        workflow = self.cleaned_data["workflow"]
        if not is_workflow_available(workflow):
            raise forms.ValidationError(
                f"The {Workflow(workflow).label} workflow is not installed yet; choose one that is."
            )
        return workflow


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    form = ProgramForm
    list_display = ["name", "organisation", "workflow", "acceptance_minutes", "is_active"]
    list_filter = ["workflow", "is_active", "organisation"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
