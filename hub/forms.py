"""The Hub's forms. They check shape and choices (every choice limited to what this table and this person may pick);
``hub.services`` decides authority and the rules, and its refusals come back to the page as the form's error."""

from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone

from hub.models import (
    DESCRIPTION_MAX,
    AffectedPerson,
    AgeBand,
    ConclusionCode,
    DiscussionType,
    Gender,
    Meeting,
    OutcomeCheck,
    ProtectiveFactor,
    Response,
    RiskFactor,
    Service,
    StudyFlag,
    TableAgency,
)
from programs.models import Program, Workflow
from referrals.models import Referral

PERSON_SLOTS = 4
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_LOCAL, **kwargs)


def _agency_label(agency: TableAgency) -> str:
    return f"{agency.organisation.name} ({agency.sector.label})"


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _agency_label(obj)


class AgencyMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return _agency_label(obj)


class RiskFactorField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.label


# --- filter 1 -------------------------------------------------------------------------------------------------


class ProposeForm(forms.Form):
    """Filter 1. What the table will hear (discussion type, persons' age band and gender, factors, a short
    de-identified description) and who the persons are (name, date of birth, address: kept by the originating
    agency). ``idempotency_key`` makes a double submit one situation."""

    idempotency_key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "invalid": "This form is out of date: open a new one.",
            "required": "This form is out of date: open a new one.",
        },
    )
    agency = AgencyChoiceField(queryset=TableAgency.objects.none(), label="Proposed by", empty_label=None)
    referral = forms.ModelChoiceField(
        queryset=Referral.objects.none(),
        required=False,
        label="Link a referral you filed (optional)",
        empty_label="No referral",
    )
    discussion_type = forms.ChoiceField(choices=DiscussionType.choices, label="Discussion about")
    description = forms.CharField(
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": DESCRIPTION_MAX}),
        label="What the table hears",
        help_text="Short and de-identified: no name, date of birth, address, school or contact detail.",
    )
    risk_factors = RiskFactorField(
        queryset=RiskFactor.objects.none(), widget=forms.CheckboxSelectMultiple, label="Risk factors"
    )
    protective_factors = forms.ModelMultipleChoiceField(
        queryset=ProtectiveFactor.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    study_flags = forms.ModelMultipleChoiceField(
        queryset=StudyFlag.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, agencies: list[TableAgency], user, is_police: bool, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.agencies = agencies
        self.fields["agency"].queryset = TableAgency.objects.filter(pk__in=[a.pk for a in agencies]).select_related(
            "organisation", "sector"
        )
        if len(agencies) == 1:
            self.fields["agency"].initial = agencies[0].pk
        if is_police:
            recent = list(
                Referral.objects.filter(officer=user).order_by("-created_at").values_list("pk", flat=True)[:50]
            )
            self.fields["referral"].queryset = Referral.objects.filter(pk__in=recent).order_by("-created_at")
            self.fields["referral"].label_from_instance = lambda r: f"{r.public_id} · {r.created_at:%b %-d}"
        else:
            del self.fields["referral"]
        self.fields["risk_factors"].queryset = RiskFactor.objects.filter(is_active=True).select_related("category")
        self.fields["protective_factors"].queryset = ProtectiveFactor.objects.filter(is_active=True)
        self.fields["study_flags"].queryset = StudyFlag.objects.filter(is_active=True)
        bands = AgeBand.objects.filter(is_active=True)
        for i in range(PERSON_SLOTS):
            self.fields[f"person_{i}_age_band"] = forms.ModelChoiceField(
                queryset=bands, required=False, label="Age band", empty_label="—"
            )
            self.fields[f"person_{i}_gender"] = forms.ChoiceField(
                choices=[("", "—"), *Gender.choices], required=False, label="Gender"
            )
            self.fields[f"person_{i}_full_name"] = forms.CharField(max_length=200, required=False, label="Full name")
            self.fields[f"person_{i}_date_of_birth"] = forms.DateField(
                required=False, label="Date of birth", widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"person_{i}_address"] = forms.CharField(max_length=300, required=False, label="Address")

    def person_rows(self):
        """The person slots' bound fields, for the template: [(number, {name: bound field})]."""
        names = ("age_band", "gender", "full_name", "date_of_birth", "address")
        return [(i + 1, {n: self[f"person_{i}_{n}"] for n in names}) for i in range(PERSON_SLOTS)]

    def risk_groups(self):
        """Risk factors by category, for fieldsets: [(category label, [(pk, label, checked)])]."""
        chosen = {str(v) for v in (self["risk_factors"].value() or [])}
        groups: dict[str, list] = {}
        for factor in self.fields["risk_factors"].queryset:
            groups.setdefault(factor.category.label, []).append((factor.pk, factor.label, str(factor.pk) in chosen))
        return list(groups.items())

    def clean(self):
        data = super().clean()
        persons = []
        for i in range(PERSON_SLOTS):
            band, gender = data.get(f"person_{i}_age_band"), data.get(f"person_{i}_gender")
            name = (data.get(f"person_{i}_full_name") or "").strip()
            born, address = data.get(f"person_{i}_date_of_birth"), (data.get(f"person_{i}_address") or "").strip()
            if not any([band, gender, name, born, address]):
                continue
            missing = [label for label, value in (("age band", band), ("gender", gender), ("name", name)) if not value]
            if missing:
                self.add_error(None, f"Person {i + 1}: enter the {', '.join(missing)}.")
                continue
            if born is not None and born > timezone.localdate():
                self.add_error(f"person_{i}_date_of_birth", "A date of birth cannot be in the future.")
                continue
            persons.append(
                {"age_band": band, "gender": gender, "full_name": name, "date_of_birth": born, "address": address}
            )
        data["persons"] = persons
        return data


# --- the situation page's actions -----------------------------------------------------------------------------


class AgendaAddForm(forms.Form):
    meeting = forms.ModelChoiceField(queryset=Meeting.objects.none(), label="Meeting", empty_label=None)

    def __init__(self, *args, situation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = Meeting.objects.filter(
            table_id=situation.table_id, closed_at__isnull=True
        ).order_by("held_on")
        self.fields["meeting"].label_from_instance = lambda m: f"{m.held_on:%a %b %-d, %Y}"


class DoorKnockPlanForm(forms.Form):
    agencies = AgencyMultipleChoiceField(
        queryset=TableAgency.objects.none(), widget=forms.CheckboxSelectMultiple, label="Knocking"
    )
    planned_for = forms.DateTimeField(widget=DateTimeLocalInput(), label="Planned for")

    def __init__(self, *args, situation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].queryset = (
            TableAgency.objects.filter(assignments__situation=situation)
            .select_related("organisation", "sector")
            .order_by("organisation__name")
        )


class DoorKnockLogForm(forms.Form):
    response = forms.ChoiceField(choices=Response.choices, widget=forms.RadioSelect, label="The person")
    at = forms.DateTimeField(required=False, widget=DateTimeLocalInput(), label="Knocked at (empty: now)")

    def __init__(self, *args, situation=None, **kwargs):
        super().__init__(*args, **kwargs)


class StatusUpdateForm(forms.Form):
    text = forms.CharField(
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": DESCRIPTION_MAX}),
        label="Status update",
        help_text="De-identified, like the description.",
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Services mobilised"
    )

    def __init__(self, *args, situation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = Service.objects.filter(is_active=True)


class ConcludeForm(forms.Form):
    code = forms.ModelChoiceField(queryset=ConclusionCode.objects.none(), label="Conclusion", empty_label="—")
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Services mobilised"
    )

    def __init__(self, *args, situation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].queryset = ConclusionCode.objects.filter(is_active=True)
        self.fields["services"].queryset = Service.objects.filter(is_active=True)


YES_NO_UNKNOWN = [("", "Unknown"), ("yes", "Yes"), ("no", "No")]


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class OutcomeCheckForm(forms.Form):
    days = forms.TypedChoiceField(choices=OutcomeCheck.Days.choices, coerce=int, label="Check")
    still_connected = forms.TypedChoiceField(
        choices=YES_NO_UNKNOWN, coerce=_yes_no, empty_value=None, required=False, label="Still connected to services?"
    )
    new_incidents = forms.TypedChoiceField(
        choices=YES_NO_UNKNOWN, coerce=_yes_no, empty_value=None, required=False, label="New incidents since?"
    )
    note = forms.CharField(max_length=300, required=False, label="Note (de-identified)")

    def __init__(self, *args, situation=None, **kwargs):
        super().__init__(*args, **kwargs)


def _person_label(person: AffectedPerson) -> str:
    return f"Person {person.position + 1}: {person.age_band} · {person.get_gender_display()}"


class CaseworkReferralForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none(), label="Our program", empty_label=None)
    person = forms.ModelChoiceField(queryset=AffectedPerson.objects.none(), label="For", empty_label=None)
    consent = forms.ChoiceField(
        choices=[("", "Not recorded (the program asks for it)"), ("person", "The person"), ("guardian", "A guardian")],
        required=False,
        label="Consent obtained at the door knock",
    )

    def __init__(self, *args, situation, user, **kwargs):
        from hub import policy

        super().__init__(*args, **kwargs)
        own = policy.acting_agencies(user, situation.table_id).filter(assignments__situation=situation)
        self.fields["program"].queryset = Program.objects.filter(
            organisation_id__in=own.values("organisation_id"), workflow=Workflow.CASEWORK, is_active=True
        ).order_by("name")
        self.fields["person"].queryset = AffectedPerson.objects.filter(situation=situation).select_related("age_band")
        self.fields["person"].label_from_instance = lambda p: (
            f"Person {p.position + 1}: {p.age_band} · {p.get_gender_display()}"
        )


# --- meeting mode ---------------------------------------------------------------------------------------------


class AttendanceForm(forms.Form):
    agencies = AgencyMultipleChoiceField(
        queryset=TableAgency.objects.none(), widget=forms.CheckboxSelectMultiple, required=False, label="Present"
    )

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].queryset = (
            TableAgency.objects.filter(table_id=meeting.table_id, is_active=True)
            .select_related("organisation", "sector")
            .order_by("organisation__name")
        )


class DecideForm(forms.Form):
    met = forms.TypedChoiceField(choices=[("yes", "Threshold met"), ("no", "Threshold not met")], coerce=_yes_no)


class ChooseForm(forms.Form):
    lead = AgencyChoiceField(queryset=TableAgency.objects.none(), label="Lead agency", empty_label="—")
    assisting = AgencyMultipleChoiceField(
        queryset=TableAgency.objects.none(), widget=forms.CheckboxSelectMultiple, required=False, label="Assisting"
    )

    def __init__(self, *args, table_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        # Only agencies with an information-sharing agreement can be chosen (they receive the names).
        agencies = (
            TableAgency.objects.filter(table_id=table_id, is_active=True, sharing_agreement_on__isnull=False)
            .select_related("organisation", "sector")
            .order_by("organisation__name")
        )
        self.fields["lead"].queryset = agencies
        self.fields["assisting"].queryset = agencies

    def clean(self):
        data = super().clean()
        lead, assisting = data.get("lead"), data.get("assisting") or []
        if lead is not None and any(a.pk == lead.pk for a in assisting):
            self.add_error("assisting", "The lead agency is not also assisting: choose it once.")
        return data
