"""Forms every workflow shares. A workflow's own forms live in its module (referrals/workflows/<name>/forms.py)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from districts.models import District
from programs.models import Program
from referrals.models import Referral

MAX_AGE = 120  # as the filing forms' approximate age
AGE_REFUSED = f"Give the person's age in years, from 0 to {MAX_AGE}, or leave it empty."


class ActionForm(forms.Form):
    """A form for one action on a referral; some need the referral to build their choices."""

    def __init__(self, *args, referral: Referral | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.referral = referral


class ReassignForm(ActionForm):
    """A supervisor hands taken work to another active member of the partner with ``role``. The workflow's form
    declares the choice (its field named ``choice``) and the reason, in the order the page shows them."""

    role: str
    choice: str

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields[self.choice]
        if self.referral is not None:
            field.queryset = partner_members(self.referral, role=self.role)
        field.label_from_instance = lambda user: user.get_full_name() or user.get_username()


def partner_members(referral: Referral, *, role: str):
    """Active members of the program's partner with ``role``, nobody else."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organisation_id=referral.program.organisation_id,
            memberships__role=role,
            memberships__is_active=True,
            memberships__pending=False,
        )
        .distinct()
        .order_by("first_name", "last_name")
    )


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
