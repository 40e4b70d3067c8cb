"""Forms every workflow shares. A workflow's own forms live in its module (referrals/workflows/<name>/forms.py)."""

from __future__ import annotations

from django import forms

from districts.models import District

MAX_AGE = 120  # as the filing forms' approximate age
AGE_REFUSED = f"Give the person's age in years, from 0 to {MAX_AGE}, or leave it empty."


class AddInformationForm(forms.Form):
    text = forms.CharField(label="Information to add", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


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
