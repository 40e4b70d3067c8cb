from __future__ import annotations

from django import forms
from django.utils import timezone

from dashboards.models import ActionPlan
from districts.models import District
from programs.models import Program

EARLIEST_YEAR = 2000


class FilterForm(forms.Form):
    """The dashboard's filters, from the query string: the URL keeps them, so a link shows the same numbers."""

    program = forms.ModelChoiceField(
        queryset=Program.objects.filter(is_active=True).order_by("name"),
        to_field_name="slug",
        empty_label=None,
        error_messages={"required": "Choose a program.", "invalid_choice": "Choose one of the programs listed."},
    )
    year = forms.TypedChoiceField(coerce=int, required=False)
    district = forms.ModelChoiceField(
        queryset=District.objects.order_by("code"), to_field_name="code", required=False, empty_label="Citywide"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [(y, str(y)) for y in range(this_year, EARLIEST_YEAR - 1, -1)]

    def clean_year(self):
        return self.cleaned_data.get("year") or timezone.localdate().year


class ActionPlanForm(forms.ModelForm):
    class Meta:
        model = ActionPlan
        fields = ["issue", "action", "owner", "due_on"]
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"})}

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on.year < EARLIEST_YEAR or due_on.year > timezone.localdate().year + 5:
            raise forms.ValidationError("Give a due date between 2000 and five years from now.")
        return due_on


class PlanStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionPlan.Status.choices)
