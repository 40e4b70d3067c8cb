"""The co-response workflow's own rows: its state machine beside the envelope, the disposition, the follow-ups.

``CoResponseCase`` holds the state and what only this workflow has (ETA, decline reason, whether the call ended
connected). ``ClinicalRecord`` (the disposition) and ``FollowUp`` are partner-side: police pages never read them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from referrals.models import Referral


class CoResponseState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    EN_ROUTE = "en_route", "En route"
    ON_SCENE = "on_scene", "On scene"
    FOLLOW_UP = "follow_up", "Follow-up"
    CLOSED = "closed", "Closed"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    ESCALATED = "escalated", "Escalated"
    TRANSFERRED = "transferred", "Transferred"


S = CoResponseState
WAITING_STATES = frozenset({S.REQUESTED, S.ESCALATED, S.TRANSFERRED})
ACTIVE_STATES = frozenset({S.ACCEPTED, S.EN_ROUTE, S.ON_SCENE})
HELD_STATES = ACTIVE_STATES | {S.FOLLOW_UP}
OPEN_STATES = WAITING_STATES | HELD_STATES
ENDED_STATES = frozenset({S.CLOSED, S.DECLINED, S.CANCELLED})


class DeclineReason(models.TextChoices):
    SAFETY = "safety", "Safety: police-only response"
    MEDICAL = "medical", "Medical emergency: EMS first"
    CAPACITY = "capacity", "No clinician available"
    OUT_OF_SCOPE = "out_of_scope", "Not a behavioural-health call"


class Disposition(models.TextChoices):
    STABILISED = "stabilised", "Stabilised on scene"
    URGENT_CARE = "urgent_care", "BEST Urgent Care Center"
    ED_VOLUNTARY = "ed_voluntary", "Emergency department, voluntary"
    ED_SECTION_12 = "ed_section_12", "Emergency department, Section 12"
    ARREST = "arrest", "Arrest"
    UNABLE_TO_LOCATE = "unable_to_locate", "Unable to locate"
    REFERRED = "referred", "Referred for follow-up"


CONNECTED_DISPOSITIONS = frozenset(
    {
        Disposition.STABILISED,
        Disposition.URGENT_CARE,
        Disposition.ED_VOLUNTARY,
        Disposition.ED_SECTION_12,
        Disposition.REFERRED,
    }
)


class Section12By(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    PHYSICIAN = "physician", "Physician"
    OFFICER = "officer", "Police officer"


class Section12Kind(models.TextChoices):
    A = "12a", "12(a): application for hospitalisation"
    B = "12b", "12(b): admission for evaluation"


class CoResponseCase(ConcurrentTransitionMixin, models.Model):
    """The co-response state machine. Transitions change fields only; the services save both rows and log."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="co_response", primary_key=True)
    state = FSMField(max_length=20, choices=CoResponseState.choices, default=CoResponseState.REQUESTED)
    eta_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    connected = models.BooleanField(null=True, blank=True, help_text="Whether the call ended connected to services.")

    class Meta:
        verbose_name = "co-response case"

    def __str__(self) -> str:
        return f"Co-response {self.referral_id} ({self.state})"

    @transition(field=state, source=list(WAITING_STATES), target=S.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(field=state, source=list(WAITING_STATES), target=S.DECLINED)
    def decline(self, *, reason: str) -> None:
        self.decline_reason = reason

    @transition(field=state, source=list(WAITING_STATES), target=S.CANCELLED)
    def cancel(self) -> None:
        pass

    @transition(field=state, source=list(WAITING_STATES), target=S.ESCALATED)
    def escalate(self) -> None:
        """No acceptance in time; the service moves it to the next queue of its route."""

    @transition(field=state, source=[*WAITING_STATES, S.ACCEPTED], target=S.TRANSFERRED)
    def transfer(self) -> None:
        self.eta_at = None

    @transition(field=state, source=S.ACCEPTED, target=S.EN_ROUTE)
    def depart(self, *, eta_at) -> None:
        self.eta_at = eta_at

    @transition(field=state, source=[S.ACCEPTED, S.EN_ROUTE], target=S.ON_SCENE)
    def arrive(self) -> None:
        self.eta_at = None

    @transition(field=state, source=list(ACTIVE_STATES), target=S.FOLLOW_UP)
    def start_follow_up(self, *, connected: bool) -> None:
        self.connected = connected
        self.eta_at = None

    @transition(field=state, source=list(OPEN_STATES), target=S.CLOSED)
    def reroute(self) -> None:
        """Sent on to another program: the call ends here, neither connected nor not."""
        self.eta_at = None

    @transition(field=state, source=[*ACTIVE_STATES, S.FOLLOW_UP], target=S.CLOSED)
    def close(self, *, connected: bool) -> None:
        # Decided once, when the call itself ended: closing after the follow-ups keeps that answer.
        if self.connected is None:
            self.connected = connected
        self.eta_at = None


class ClinicalRecord(models.Model):
    """What the clinician decides about the call. Never read by police."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="clinical_record")
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    section12_by = models.CharField(max_length=20, choices=Section12By.choices, blank=True)
    section12_kind = models.CharField(max_length=4, choices=Section12Kind.choices, blank=True)
    disposition_at = models.DateTimeField(null=True, blank=True)
    # Recorded with the disposition: whether the clinical team already knew the person (from its own records).
    # Counted only as the dashboards' suppressed "repeat persons"; null where the clinician did not say.
    known_before = models.BooleanField(null=True, blank=True)
    disposition_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    def __str__(self) -> str:
        return f"Clinical record of {self.referral_id}"


class FollowUp(models.Model):
    class Kind(models.TextChoices):
        HOME_VISIT = "home_visit", "Home visit"
        PHONE_CALL = "phone_call", "Phone call"
        OFFICE_VISIT = "office_visit", "Office visit"

    class Outcome(models.TextChoices):
        REACHED = "reached", "Reached, engaged"
        REACHED_DECLINED = "declined", "Reached, declined services"
        NOT_REACHED = "not_reached", "Not reached"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField(db_index=True)
    done_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.referral_id}"

    @property
    def is_open(self) -> bool:
        return self.done_at is None
