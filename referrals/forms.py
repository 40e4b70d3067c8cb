"""Forms every workflow shares. A workflow's own forms live in its module (referrals/workflows/<name>/forms.py)."""

from __future__ import annotations

from django import forms

from districts.models import District
from programs.models import Program

MAX_AGE = 120  # as the filing forms' approximate age
AGE_REFUSED = f"Give the person's age in years, from 0 to {MAX_AGE}, or leave it empty."


class AddInformationForm(forms.Form):
    text = forms.CharField(label="Information to add", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class RerouteForm(forms.Form):
    """Send one intake on to another program (any workflow); the first program keeps its own records."""

    program = forms.ModelChoiceField(queryset=Program.objects.none(), empty_label="Choose a program")
    reason = forms.CharField(max_length=500)

    def __init__(self, *args, referral=None, **kwargs):
        super().__init__(*args, **kwargs)
        from programs.registry import available_workflows

        programs = Program.objects.filter(is_active=True, workflow__in=available_workflows())
        if referral is not None:
            programs = programs.exclude(pk=referral.program_id)
        self.fields["program"].queryset = programs.select_related("organisation").order_by("name")


class ProgramFilterForm(forms.Form):
    """The New request chooser's question: where is the person, and how old (if known)? Read from the query string."""

    district = forms.ModelChoiceField(
        queryset=District.objects.filter(is_active=True),
        required=False,
        empty_label="Any district",
        label="District (where the person is)",
        error_messages={"invalid_choice": "Choose a district from the list."},
    )
    age = forms.IntegerField(
        label="Person's age",
        required=False,
        min_value=0,
        max_value=MAX_AGE,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "If known"}),
        error_messages={"invalid": AGE_REFUSED, "min_value": AGE_REFUSED, "max_value": AGE_REFUSED},
    )
