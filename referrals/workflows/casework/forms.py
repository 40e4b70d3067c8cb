"""The casework forms: the officer's referral, and one form per worker or supervisor action.

Every date, number and choice is checked here, before a service stores it; a service checks again.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.utils import timezone

from accounts.models import Role
from districts.models import District
from programs.models import Program
from referrals import forms as shared
from referrals.forms import ActionForm
from referrals.models import Consent, Referral, Urgency
from referrals.services import NewReferral
from referrals.workflows.casework.models import (
    WORKER_CLOSE_REASONS,
    ContactAttempt,
    DeclinedBy,
    Gender,
    Goal,
    RaceEthnicity,
    ServiceTier,
)

phone_validator = RegexValidator(r"^\+?[0-9 ()\-.]{7,20}$", "Enter a phone number: digits, spaces, + ( ) - .")
LANGUAGES = [
    "English",
    "Spanish",
    "Haitian Creole",
    "Vietnamese",
    "Chinese (Cantonese)",
    "Chinese (Mandarin)",
    "Cape Verdean Creole",
    "Portuguese",
    "Arabic",
    "Somali",
    "Russian",
    "American Sign Language",
]


CONSENT_ON_SCENE = [
    ("person", "Yes, the young person consented"),
    ("guardian", "Yes, a parent or guardian consented"),
    ("not_yet", "Not yet: the guardian is to be asked"),
]


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class CaseworkReferralForm(forms.Form):
    """An officer's casework referral: who, why, how to reach them, and whether consent was given on scene."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    district = forms.ModelChoiceField(
        queryset=District.objects.filter(is_active=True), empty_label=None, help_text="Where it happened."
    )
    latitude = forms.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, widget=forms.HiddenInput
    )
    longitude = forms.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, widget=forms.HiddenInput
    )
    reason_codes = forms.MultipleChoiceField(
        label="Reasons for referral",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one reason."},
    )
    subject_name = forms.CharField(label="Young person's name", max_length=120)
    subject_age = forms.IntegerField(label="Age", min_value=0, max_value=120, required=False)
    date_of_birth = forms.DateField(
        label="Date of birth", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    subject_gender = forms.CharField(label="Gender", max_length=40, required=False)
    subject_language = forms.CharField(
        label="Preferred language",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"list": "languages", "autocomplete": "off"}),
    )
    phone = forms.CharField(label="Young person's phone", max_length=20, required=False, validators=[phone_validator])
    address = forms.CharField(label="Address", max_length=200, required=False)
    guardian_name = forms.CharField(label="Parent or guardian", max_length=120, required=False)
    guardian_relationship = forms.CharField(label="Relationship", max_length=40, required=False)
    guardian_phone = forms.CharField(
        label="Guardian's phone", max_length=20, required=False, validators=[phone_validator]
    )
    consent = forms.ChoiceField(
        label="Consent to share with the program",
        choices=CONSENT_ON_SCENE,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether consent was given."},
    )
    circumstances = forms.CharField(
        label="What happened, in a few words", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    location_text = forms.CharField(label="Location", max_length=200, required=False)
    cad_incident_number = forms.CharField(label="Incident report number (optional)", max_length=30, required=False)

    PERSON_FIELDS = ("subject_name", "subject_age", "date_of_birth", "subject_gender", "subject_language", "phone")
    languages = LANGUAGES

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.reasons = list(program.reasons.filter(is_active=True).order_by("position", "pk"))
        self.fields["reason_codes"].choices = [(r.code, r.label) for r in self.reasons]

    def clean_date_of_birth(self):
        born = self.cleaned_data.get("date_of_birth")
        today = timezone.localdate()
        if born is not None and not today - timedelta(days=366 * 120) <= born <= today:
            raise forms.ValidationError("Enter a date of birth in the past 120 years.")
        return born

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
            raise forms.ValidationError("The location from the phone was incomplete; try again or type the address.")
        program = self.program
        born = cleaned.get("date_of_birth")
        age = age_on(born, timezone.localdate()) if born else cleaned.get("subject_age")
        if age is None and "subject_age" not in self.errors and "date_of_birth" not in self.errors:
            self.add_error("subject_age", "Give the age or the date of birth: the program depends on it.")
            return cleaned
        if age is not None:
            cleaned["subject_age"] = age
            if not program.eligible(age):
                self.add_error(
                    "subject_age", f"{program.name} serves {program.age_range_label()}; this person is {age}."
                )
        consent = cleaned.get("consent")
        minor = age is not None and age < program.self_consent_age
        if consent == "person" and minor:
            self.add_error(
                "consent",
                f"For {program.name} a young person consents for themselves from {program.self_consent_age}; "
                f"this person is {age}: a guardian consents, or choose 'not yet'.",
            )
        if consent == "guardian" and not cleaned.get("guardian_name"):
            self.add_error("guardian_name", "Name the parent or guardian who consented.")
        if minor and consent in {"guardian", "not_yet"} and not cleaned.get("guardian_phone"):
            self.add_error("guardian_phone", "Give the guardian's phone so the worker can reach them.")
        return cleaned

    def new_referral(self, *, program) -> NewReferral:
        data = self.cleaned_data
        labels = dict(self.fields["reason_codes"].choices)
        codes = sorted(set(data["reason_codes"]))
        return NewReferral(
            program=program,
            district=data["district"],
            urgency=Urgency.FOLLOW_UP,
            idempotency_key=data["idempotency_key"],
            location_text=data["location_text"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            reason_codes=codes,
            reason_names=[labels[code] for code in codes],
            cad_incident_number=data["cad_incident_number"],
            subject_name=data["subject_name"].strip(),
            subject_age=data["subject_age"],
            subject_gender=data["subject_gender"],
            subject_language=data["subject_language"],
            circumstances=data["circumstances"],
            extra={
                "person": {
                    "date_of_birth": data["date_of_birth"],
                    "phone": data["phone"],
                    "address": data["address"],
                    "guardian_name": data["guardian_name"],
                    "guardian_relationship": data["guardian_relationship"],
                    "guardian_phone": data["guardian_phone"],
                },
                "consent": data["consent"],
            },
        )

    @property
    def person_has_errors(self) -> bool:
        return any(name in self.errors for name in self.PERSON_FIELDS)

    @staticmethod
    def fresh_key() -> str:
        return str(uuid.uuid4())


# --- the worker's and supervisor's actions ---------------------------------------------------------------------


def _past_or_now(value, what: str):
    now = timezone.now()
    if value > now + timedelta(minutes=5):
        raise forms.ValidationError(f"{what} cannot be in the future.")
    if value < now - timedelta(days=366):
        raise forms.ValidationError(f"{what} is within the past year.")
    return value


class ContactAttemptForm(ActionForm):
    attempted_at = forms.DateTimeField(
        label="When",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for now.",
    )
    method = forms.ChoiceField(label="How", choices=[("", "Choose…"), *ContactAttempt.Method.choices])
    outcome = forms.ChoiceField(label="Outcome", choices=[("", "Choose…"), *ContactAttempt.Outcome.choices])

    def clean_attempted_at(self):
        value = self.cleaned_data.get("attempted_at")
        return timezone.now() if value is None else _past_or_now(value, "A contact attempt")


class EngageForm(ActionForm):
    tier = forms.ChoiceField(label="Service tier", choices=[("", "Choose a tier…"), *ServiceTier.choices])
    # For the program's annual demographics only (suppressed counts); as the person describes themselves.
    gender = forms.ChoiceField(
        label="Gender, as they describe it", choices=Gender.choices, initial=Gender.NOT_RECORDED, required=False
    )
    race_ethnicity = forms.ChoiceField(
        label="Race or ethnicity, as they describe it",
        choices=RaceEthnicity.choices,
        initial=RaceEthnicity.NOT_RECORDED,
        required=False,
    )

    def clean_gender(self):
        return self.cleaned_data["gender"] or Gender.NOT_RECORDED

    def clean_race_ethnicity(self):
        return self.cleaned_data["race_ethnicity"] or RaceEthnicity.NOT_RECORDED


class DeclineForm(ActionForm):
    declined_by = forms.ChoiceField(label="Declined by", choices=[("", "Choose…"), *DeclinedBy.choices])


# Several of these forms share the case page and a field name ("reason", "text"): a field that would repeat
# another's id gets its own, so each label names its own field (as the reroute and transfer forms do).


class CloseForm(ActionForm):
    reason = forms.ChoiceField(
        label="Closing reason",
        choices=[("", "Choose a reason…"), *WORKER_CLOSE_REASONS],
        widget=forms.Select(attrs={"id": "id_close_reason"}),
    )


class GoalForm(ActionForm):
    area = forms.ChoiceField(label="Goal", choices=[("", "Choose…"), *Goal.Area.choices])
    text = forms.CharField(
        label="In a few words", max_length=300, required=False, widget=forms.TextInput(attrs={"id": "id_goal_text"})
    )


class GoalMetForm(ActionForm):
    goal = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)


class NoteForm(ActionForm):
    text = forms.CharField(label="Case note", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    part2 = forms.BooleanField(label="Substance-use treatment information (42 CFR Part 2)", required=False)


class ConsentForm(ActionForm):
    given_by = forms.ChoiceField(
        label="Consent given by",
        choices=[
            ("", "Choose…"),
            (Consent.GivenBy.PERSON, "The young person"),
            (Consent.GivenBy.GUARDIAN, "A parent or guardian"),
        ],
    )
    giver_name = forms.CharField(label="Name of who consented", max_length=120, required=False)
    scope = forms.ChoiceField(label="To what", choices=Consent.Scope.choices, initial=Consent.Scope.SERVICES)
    given_at = forms.DateTimeField(
        label="When",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for now.",
    )
    valid_until = forms.DateField(
        label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean_given_at(self):
        value = self.cleaned_data.get("given_at")
        return timezone.now() if value is None else _past_or_now(value, "Consent")

    def clean_valid_until(self):
        value = self.cleaned_data.get("valid_until")
        today = timezone.localdate()
        if value is not None and not today <= value <= today + timedelta(days=366 * 3):
            raise forms.ValidationError("Consent runs until a date from today to three years ahead.")
        return value


class OverrideForm(ActionForm):
    reason = forms.CharField(
        label="Why identity is shared without consent",
        max_length=300,
        widget=forms.TextInput(attrs={"id": "id_override_reason"}),
    )


class RevokeForm(ActionForm):
    confirm = forms.BooleanField(
        label="The person (or their guardian) withdrew consent",
        error_messages={"required": "Confirm that consent was withdrawn."},
    )


class InterimForm(ActionForm):
    pass


class ReassignForm(shared.ReassignForm):
    role, choice = Role.WORKER, "worker"
    worker = forms.ModelChoiceField(queryset=get_user_model().objects.none(), empty_label="Choose a worker")
    reason = forms.CharField(max_length=500, widget=forms.TextInput(attrs={"id": "id_reassign_reason"}))


def workers_of(referral: Referral):
    """Who a supervisor may hand a case to: active workers of the program's partner, nobody else."""
    return shared.partner_members(referral, role=Role.WORKER)
