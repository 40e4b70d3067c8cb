"""Referrals: the police-visible envelope, and the partner-side subject and clinical record kept apart from it.

A query made for a police page reads ``Referral`` (and ``ReferralEvent`` rows marked police-visible); it cannot
select a name, a note or a disposition because those live on ``Subject``, ``ClinicalRecord``, ``ClinicalNote``
and ``FollowUp``, which only partner-side selectors read.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import Organisation, Team
from districts.models import District


class Workflow(models.TextChoices):
    CO_RESPONSE = "co_response", "Co-response (urgent, minutes)"
    CASEWORK = "casework", "Casework (days)"
    SITUATION = "situation", "Hub situation table"


class Program(models.Model):
    """What a referral asks for and who answers it. Programs are data: add one in the admin."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="programs")
    workflow = models.CharField(max_length=20, choices=Workflow.choices)
    description = models.TextField(blank=True)
    acceptance_minutes = models.PositiveIntegerField(
        default=10, help_text="Co-response: minutes a request may wait for acceptance before it escalates."
    )
    first_contact_days = models.PositiveIntegerField(
        default=3, help_text="Casework: days until the first contact attempt is due."
    )
    door_knock_hours = models.PositiveIntegerField(
        default=48, help_text="Hub situations: hours until the door knock is due."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Urgency(models.TextChoices):
    ON_SCENE_NOW = "now", "On scene now"
    WITHIN_HOUR = "hour", "Within the hour"
    FOLLOW_UP = "follow_up", "Follow-up only"


URGENCY_RANK = {Urgency.ON_SCENE_NOW: 0, Urgency.WITHIN_HOUR: 1, Urgency.FOLLOW_UP: 2}


class ReasonCode(models.TextChoices):
    SUICIDAL = "suicidal", "Suicidal statements"
    PSYCHOSIS = "psychosis", "Psychosis"
    SUBSTANCE_USE = "substance_use", "Substance use"
    INTOXICATION = "intoxication", "Intoxication"
    WELFARE_CHECK = "welfare_check", "Welfare check"
    HOMELESSNESS = "homelessness", "Homelessness"
    YOUTH_IN_CRISIS = "youth_in_crisis", "Youth in crisis"
    OTHER = "other", "Other"


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


WAITING_STATES = [CoResponseState.REQUESTED, CoResponseState.ESCALATED, CoResponseState.TRANSFERRED]
ACTIVE_STATES = [CoResponseState.ACCEPTED, CoResponseState.EN_ROUTE, CoResponseState.ON_SCENE]
OPEN_STATES = [*WAITING_STATES, *ACTIVE_STATES, CoResponseState.FOLLOW_UP]
ENDED_STATES = [CoResponseState.CLOSED, CoResponseState.DECLINED, CoResponseState.CANCELLED]


class PoliceStatus(models.TextChoices):
    """The only words about a referral's progress that police ever see."""

    RECEIVED = "received", "Received"
    ACCEPTED = "accepted", "Accepted"
    EN_ROUTE = "en_route", "En route"
    ON_SCENE = "on_scene", "On scene"
    CLOSED_CONNECTED = "closed_connected", "Closed — connected to services"
    CLOSED_NOT_CONNECTED = "closed_not_connected", "Closed — not connected"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


class DeclineReason(models.TextChoices):
    SAFETY = "safety", "Safety: police-only response"
    MEDICAL = "medical", "Medical emergency: EMS first"
    CAPACITY = "capacity", "No clinician available"
    OUT_OF_SCOPE = "out_of_scope", "Not a behavioural-health call"


class Referral(ConcurrentTransitionMixin, models.Model):
    """The envelope police can see: what was asked, where, when, by whom, and how far along it is."""

    public_id = models.CharField(max_length=12, unique=True, editable=False)
    idempotency_key = models.UUIDField(unique=True, editable=False)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="referrals")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="referrals")
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="referrals", help_text="The queue that holds it now."
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ON_SCENE_NOW)
    urgency_rank = models.PositiveSmallIntegerField(default=0, editable=False)
    location_text = models.CharField(max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    reason_codes = models.JSONField(default=list)
    weapon_seen = models.BooleanField(default=False)
    violence = models.BooleanField(default=False)
    medical_emergency = models.BooleanField(default=False)
    cad_incident_number = models.CharField(max_length=30, blank=True)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="filed_referrals")
    officer_district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    state = FSMField(max_length=20, choices=CoResponseState.choices, default=CoResponseState.REQUESTED)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="accepted_referrals",
        null=True,
        blank=True,
        db_index=False,  # "referral_assignee" (accepted_by, state) leads with it; a second index misleads SQLite
    )
    eta_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    closed_connected = models.BooleanField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    acceptance_due_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["team", "state", "urgency_rank", "created_at"], name="referral_queue"),
            models.Index(fields=["officer", "-created_at"], name="referral_officer"),
            models.Index(fields=["district", "-created_at"], name="referral_district"),
            models.Index(fields=["officer_district", "-created_at"], name="referral_officer_district"),
            # The queue starts from the few waiting rows, and a clinician's open calls from their own.
            models.Index(fields=["state", "urgency_rank", "created_at"], name="referral_waiting"),
            models.Index(fields=["accepted_by", "state"], name="referral_assignee"),
        ]
        permissions = [
            ("view_clinical", "Can read the subject and clinical record"),
            ("change_clinical", "Can write the clinical record"),
        ]

    def __str__(self) -> str:
        return self.public_id

    @staticmethod
    def new_public_id() -> str:
        # No 0/O or 1/I: read aloud over a radio.
        alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
        return "R-" + "".join(secrets.choice(alphabet) for _ in range(7))

    @property
    def police_status(self) -> PoliceStatus:
        match self.state:
            case CoResponseState.ACCEPTED:
                return PoliceStatus.ACCEPTED
            case CoResponseState.EN_ROUTE:
                return PoliceStatus.EN_ROUTE
            case CoResponseState.ON_SCENE:
                return PoliceStatus.ON_SCENE
            case CoResponseState.FOLLOW_UP:
                return PoliceStatus.CLOSED_CONNECTED
            case CoResponseState.CLOSED:
                return PoliceStatus.CLOSED_CONNECTED if self.closed_connected else PoliceStatus.CLOSED_NOT_CONNECTED
            case CoResponseState.DECLINED:
                return PoliceStatus.DECLINED
            case CoResponseState.CANCELLED:
                return PoliceStatus.CANCELLED
            case _:
                return PoliceStatus.RECEIVED

    @property
    def is_waiting(self) -> bool:
        return self.state in WAITING_STATES

    @property
    def is_ended(self) -> bool:
        return self.state in ENDED_STATES

    def reason_labels(self) -> list[str]:
        return [ReasonCode(code).label for code in self.reason_codes if code in ReasonCode.values]

    # --- the co-response workflow: transitions change fields only; services save, log and notify -------------

    @transition(field=state, source=WAITING_STATES, target=CoResponseState.ACCEPTED)
    def accept(self, *, by, at) -> None:
        self.accepted_by = by
        self.accepted_at = at
        self.acceptance_due_at = None

    @transition(field=state, source=WAITING_STATES, target=CoResponseState.DECLINED)
    def decline(self, *, reason: str, at) -> None:
        self.decline_reason = reason
        self.ended_at = at
        self.acceptance_due_at = None

    @transition(field=state, source=WAITING_STATES, target=CoResponseState.CANCELLED)
    def cancel(self, *, at) -> None:
        self.ended_at = at
        self.acceptance_due_at = None

    @transition(field=state, source=WAITING_STATES, target=CoResponseState.ESCALATED)
    def escalate(self) -> None:
        """No acceptance in time; the service moves it to the next queue of its route."""

    @transition(field=state, source=[*WAITING_STATES, CoResponseState.ACCEPTED], target="transferred")
    def transfer(self, *, team: Team, due_at) -> None:
        self.team = team
        self.district = team.district
        self.accepted_by = None
        self.accepted_at = None
        self.eta_at = None
        self.acceptance_due_at = due_at

    @transition(field=state, source=CoResponseState.ACCEPTED, target=CoResponseState.EN_ROUTE)
    def depart(self, *, eta_at) -> None:
        self.eta_at = eta_at

    @transition(field=state, source=[CoResponseState.ACCEPTED, CoResponseState.EN_ROUTE], target="on_scene")
    def arrive(self) -> None:
        self.eta_at = None

    @transition(field=state, source=[*ACTIVE_STATES], target=CoResponseState.FOLLOW_UP)
    def start_follow_up(self) -> None:
        self.closed_connected = True

    @transition(field=state, source=[*ACTIVE_STATES, CoResponseState.FOLLOW_UP], target=CoResponseState.CLOSED)
    def close(self, *, connected: bool, at) -> None:
        self.closed_connected = connected
        self.ended_at = at
        self.eta_at = None


class ReferralUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)


class ReferralGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)


# --- partner side ---------------------------------------------------------------------------------------------


class Subject(models.Model):
    """Who the referral is about. Identifying: only the partner organisation that owns the referral reads it."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="subject")
    name = models.CharField(max_length=120, blank=True)
    approximate_age = models.PositiveSmallIntegerField(null=True, blank=True)
    gender = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=40, blank=True)
    circumstances = models.TextField(blank=True, help_text="What the officer saw, in their words.")

    def __str__(self) -> str:
        return f"Subject of {self.referral_id}"


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


class ClinicalRecord(models.Model):
    """What the clinician decides about the call. Never read by police."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="clinical_record")
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    section12_by = models.CharField(max_length=20, choices=Section12By.choices, blank=True)
    section12_kind = models.CharField(max_length=4, choices=Section12Kind.choices, blank=True)
    disposition_at = models.DateTimeField(null=True, blank=True)
    disposition_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    def __str__(self) -> str:
        return f"Clinical record of {self.referral_id}"

    def clean(self) -> None:
        if self.disposition == Disposition.ED_SECTION_12 and not (self.section12_by and self.section12_kind):
            raise ValidationError("A Section 12 needs who authorised it and whether it is 12(a) or 12(b).")
        if self.disposition != Disposition.ED_SECTION_12 and (self.section12_by or self.section12_kind):
            raise ValidationError("Who authorised a Section 12 is only recorded for a Section 12 disposition.")


class ClinicalNote(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", "Clinical note"
        OFFICER_ADDENDUM = "officer_addendum", "Added by the officer"
        HANDOVER = "handover", "Reason for a reassignment or transfer"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NOTE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    part2 = models.BooleanField(
        default=False, help_text="Substance-use treatment information protected by 42 CFR Part 2."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Note {self.pk} on {self.referral_id}"


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


# --- append-only logs -----------------------------------------------------------------------------------------


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise PermissionError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows are append-only")


class ReferralEvent(AppendOnlyModel):
    """One row per change, written in the change's transaction. ``data`` never holds clinical values."""

    class Kind(models.TextChoices):
        FILED = "filed", "Request filed"
        ROUTED = "routed", "Routed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled by the officer"
        ESCALATED = "escalated", "Escalated"
        TRANSFERRED = "transferred", "Transferred"
        REASSIGNED = "reassigned", "Reassigned"
        EN_ROUTE = "en_route", "En route"
        ON_SCENE = "on_scene", "On scene"
        FOLLOW_UP = "follow_up", "Follow-up started"
        CLOSED = "closed", "Closed"
        INFO_ADDED = "info_added", "Officer added information"
        DISPOSITION = "disposition", "Disposition recorded"
        NOTE = "note", "Clinical note added"
        FOLLOW_UP_ADDED = "follow_up_added", "Follow-up scheduled"
        FOLLOW_UP_DONE = "follow_up_done", "Follow-up done"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    police_visible = models.BooleanField(default=False)
    message = models.CharField(max_length=200, blank=True, help_text="Plain words, no clinical detail.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["referral", "police_visible", "created_at"], name="event_timeline")]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.kind}"


class ClinicalAccessLog(AppendOnlyModel):
    """Who read which clinical record, when, from which view, and why. Written in the same request as the read."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="access_log")
    view = models.CharField(max_length=100)
    reason = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.referral_id} ({self.view})"
