"""The co-response forms: the officer's request, and one form per clinician or supervisor action.

Every date and number is range-checked here, before a service stores it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Role
from districts.models import District
from referrals import forms as shared
from referrals.forms import ActionForm
from referrals.models import ReasonCode, Referral, Urgency
from referrals.services import NewReferral
from referrals.workflows.co_response.models import (
    DeclineReason,
    Disposition,
    FollowUp,
    Section12By,
    Section12Kind,
)

FOLLOW_UP_HORIZON = timedelta(days=366)


class CoResponseRequestForm(forms.Form):
    """An officer's request. Everything but the district and urgency may be unknown on scene."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    district = forms.ModelChoiceField(
        queryset=District.objects.filter(is_active=True), empty_label=None, help_text="Where the person is now."
    )
    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.ON_SCENE_NOW, widget=forms.RadioSelect)
    location_text = forms.CharField(label="Location", max_length=200, required=False)
    latitude = forms.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, widget=forms.HiddenInput
    )
    longitude = forms.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, widget=forms.HiddenInput
    )
    reason_codes = forms.MultipleChoiceField(
        label="What is happening", choices=ReasonCode.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    circumstances = forms.CharField(
        label="In a few words", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    weapon_seen = forms.BooleanField(label="Weapon seen", required=False)
    violence = forms.BooleanField(label="Violence", required=False)
    medical_emergency = forms.BooleanField(label="Medical emergency", required=False)
    subject_name = forms.CharField(label="Name, if known", max_length=120, required=False)
    subject_age = forms.IntegerField(label="Approximate age", min_value=0, max_value=120, required=False)
    subject_gender = forms.CharField(label="Gender", max_length=40, required=False)
    subject_language = forms.CharField(label="Language", max_length=40, required=False)
    cad_incident_number = forms.CharField(label="CAD incident number", max_length=30, required=False)

    # The fields inside the collapsed "The person" section: an error there opens it.
    PERSON_FIELDS = ("subject_name", "subject_age", "subject_gender", "subject_language")

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
            raise forms.ValidationError("The location from the phone was incomplete; try again or type the address.")
        return cleaned

    def new_referral(self, *, program) -> NewReferral:
        """What the officer filed, for ``referrals.services.referral_file``. Call after ``is_valid()``."""
        data = self.cleaned_data
        return NewReferral(
            program=program,
            district=data["district"],
            urgency=data["urgency"],
            idempotency_key=data["idempotency_key"],
            location_text=data["location_text"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            reason_codes=data["reason_codes"],
            weapon_seen=data["weapon_seen"],
            violence=data["violence"],
            medical_emergency=data["medical_emergency"],
            cad_incident_number=data["cad_incident_number"],
            subject_name=data["subject_name"],
            subject_age=data["subject_age"],
            subject_gender=data["subject_gender"],
            subject_language=data["subject_language"],
            circumstances=data["circumstances"],
        )

    @property
    def person_has_errors(self) -> bool:
        return any(name in self.errors for name in self.PERSON_FIELDS)

    @staticmethod
    def fresh_key() -> str:
        return str(uuid.uuid4())


class DeclineForm(ActionForm):
    # No default: one careless tap must not decline for the wrong reason.
    reason = forms.ChoiceField(
        label="Decline because",
        choices=[("", "Choose a reason…"), *DeclineReason.choices],
        error_messages={"required": "Choose why the request is declined."},
    )


class DepartForm(ActionForm):
    eta_minutes = forms.IntegerField(label="Arriving in (minutes)", min_value=1, max_value=240, initial=15)


class DispositionForm(ActionForm):
    disposition = forms.ChoiceField(choices=[("", "Choose…"), *Disposition.choices])
    section12_by = forms.ChoiceField(
        label="Section 12 authorised by", choices=[("", "—"), *Section12By.choices], required=False
    )
    section12_kind = forms.ChoiceField(label="Section 12", choices=[("", "—"), *Section12Kind.choices], required=False)
    known_before = forms.TypedChoiceField(
        label="Already known to the team?",
        choices=[("", "Not known"), ("yes", "Yes: seen by the team before"), ("no", "No: first time")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("disposition") == Disposition.ED_SECTION_12:
            if not cleaned.get("section12_by") or not cleaned.get("section12_kind"):
                raise forms.ValidationError("A Section 12 needs who authorised it and whether it is 12(a) or 12(b).")
        elif cleaned.get("section12_by") or cleaned.get("section12_kind"):
            raise forms.ValidationError("Who authorised a Section 12 is only recorded for a Section 12 disposition.")
        return cleaned


class NoteForm(ActionForm):
    text = forms.CharField(label="Clinical note", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    part2 = forms.BooleanField(label="Substance-use treatment information (42 CFR Part 2)", required=False)


class FollowUpForm(ActionForm):
    kind = forms.ChoiceField(choices=FollowUp.Kind.choices)
    due_at = forms.DateTimeField(
        label="Due", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )

    def clean_due_at(self):
        due_at = self.cleaned_data["due_at"]
        now = timezone.now()
        if due_at < now - timedelta(minutes=5):
            raise forms.ValidationError("A follow-up is due in the future.")
        if due_at > now + FOLLOW_UP_HORIZON:
            raise forms.ValidationError("A follow-up is due within a year.")
        return due_at


class FollowUpDoneForm(ActionForm):
    follow_up = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    outcome = forms.ChoiceField(choices=FollowUp.Outcome.choices)


class ReassignForm(shared.ReassignForm):
    role, choice = Role.CLINICIAN, "clinician"
    clinician = forms.ModelChoiceField(queryset=get_user_model().objects.none(), empty_label="Choose a clinician")
    reason = forms.CharField(max_length=500)


class TransferForm(ActionForm):
    district = forms.ModelChoiceField(queryset=District.objects.filter(is_active=True), empty_label=None)
    reason = forms.CharField(max_length=500)


def clinicians_of(referral: Referral):
    """Who a supervisor may hand a call to: active clinicians of the program's partner, nobody else."""
    return shared.partner_members(referral, role=Role.CLINICIAN)
