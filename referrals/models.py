"""Referrals: the envelope every workflow shares, and the partner-side subject and notes kept apart from it.

A query made for a police page reads ``Referral`` (and ``ReferralEvent`` rows marked police-visible); it cannot
select a name, a note or a disposition because those live on ``Subject``, ``ClinicalNote`` and the workflows'
own models, which only partner-side selectors read. Each workflow keeps its state in a one-to-one model of its
own (``referrals/workflows/<name>/``); the envelope stores what police may see of it: the police-visible status,
the phase and a short status note ("ETA 14:32").
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.append_only import AppendOnlyModel
from accounts.models import Team
from districts.models import District
from programs.models import Program, Workflow
from referrals.events import event_label


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


REASON_LABELS = dict(ReasonCode.choices)


class PoliceStatus(models.TextChoices):
    """The only words about a referral's progress that police ever see."""

    RECEIVED = "received", "Received"
    ACCEPTED = "accepted", "Accepted"
    EN_ROUTE = "en_route", "En route"
    ON_SCENE = "on_scene", "On scene"
    CLOSED_CONNECTED = "closed_connected", "Closed — connected to services"
    CLOSED_NOT_CONNECTED = "closed_not_connected", "Closed — not connected"
    DECLINED = "declined", "Declined"
    CLOSED_DECLINED = "closed_declined", "Closed — declined"
    REROUTED = "rerouted", "Re-routed"
    CANCELLED = "cancelled", "Cancelled"


# How far along each police-visible status is. A status never moves to a lower rank, and a final one never moves.
POLICE_STATUS_RANK = {
    PoliceStatus.RECEIVED: 0,
    PoliceStatus.ACCEPTED: 1,
    PoliceStatus.EN_ROUTE: 2,
    PoliceStatus.ON_SCENE: 3,
    PoliceStatus.CLOSED_CONNECTED: 9,
    PoliceStatus.CLOSED_NOT_CONNECTED: 9,
    PoliceStatus.DECLINED: 9,
    PoliceStatus.CLOSED_DECLINED: 9,
    PoliceStatus.REROUTED: 9,
    PoliceStatus.CANCELLED: 9,
}
FINAL_POLICE_STATUSES = frozenset(status for status, rank in POLICE_STATUS_RANK.items() if rank == 9)


class Phase(models.TextChoices):
    """Where the work stands, whatever the workflow: waiting for someone to take it, being worked, or over."""

    WAITING = "waiting", "Waiting"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class Referral(models.Model):
    """The envelope police can see: what was asked, where, when, by whom, and how far along it is."""

    public_id = models.CharField(max_length=12, unique=True, editable=False)
    idempotency_key = models.UUIDField(unique=True, editable=False)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="referrals")
    workflow = models.CharField(max_length=20, choices=Workflow.choices, editable=False)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="referrals", help_text="Where it happened. Fixed once filed."
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="referrals", help_text="The queue that holds it now."
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ON_SCENE_NOW)
    urgency_rank = models.PositiveSmallIntegerField(default=0, editable=False)
    location_text = models.CharField(max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    reason_codes = models.JSONField(default=list)
    reason_names = models.JSONField(
        default=list, help_text="The reasons in the words the officer chose them from, kept as filed."
    )
    weapon_seen = models.BooleanField(default=False)
    violence = models.BooleanField(default=False)
    medical_emergency = models.BooleanField(default=False)
    cad_incident_number = models.CharField(max_length=30, blank=True)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="filed_referrals")
    officer_district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assigned_referrals",
        null=True,
        blank=True,
        db_index=False,  # "referral_assignee" (assignee, phase) leads with it
    )

    police_status = models.CharField(max_length=24, choices=PoliceStatus.choices, default=PoliceStatus.RECEIVED)
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.WAITING)
    status_note = models.CharField(
        max_length=100,
        blank=True,
        help_text='What police may read beside the status ("ETA 14:32"). No clinical detail.',
    )
    due_at = models.DateTimeField(null=True, blank=True, help_text="When the workflow's current wait runs out.")
    rerouted_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        related_name="rerouted_to",
        null=True,
        blank=True,
        help_text="The intake this one continues, in another program. Its partner-side records stay with it.",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Every queue: a phase's rows, most urgent and longest waiting first.
            models.Index(fields=["phase", "urgency_rank", "created_at"], name="referral_queue"),
            models.Index(fields=["officer", "-created_at"], name="referral_officer"),
            models.Index(fields=["district", "-created_at"], name="referral_district"),
            models.Index(fields=["officer_district", "-created_at"], name="referral_officer_district"),
            models.Index(fields=["assignee", "phase"], name="referral_assignee"),
            models.Index(fields=["workflow", "due_at"], name="referral_due", condition=models.Q(due_at__isnull=False)),
        ]
        permissions = [
            ("view_clinical", "Can read the subject and clinical record"),
            ("change_clinical", "Can write the clinical record"),
            ("override_consent", "Can share a person's identity without recorded consent, giving a reason"),
            ("view_part2", "Can read 42 CFR Part 2 records of the organisation's referrals (supervisors)"),
            ("review_break_glass", "Can review another person's break-glass opening of a record"),
        ]

    # Where ``referrals.policy`` keeps what each user is to this loaded row, and where the case page's selector
    # keeps the workflows' values its query computed (``WorkflowSpec.case_annotations``). A reload forgets both,
    # as it forgets the row's cached relations.
    RELATIONS_CACHE = "_policy_relations"
    LOADED_VALUES = "_loaded_values"

    def __str__(self) -> str:
        return self.public_id

    def refresh_from_db(self, *args, **kwargs) -> None:
        self.__dict__.pop(self.RELATIONS_CACHE, None)
        self.__dict__.pop(self.LOADED_VALUES, None)
        super().refresh_from_db(*args, **kwargs)

    def loaded_value(self, name: str, default=None):
        """A value computed in the query that loaded this row (``WorkflowSpec.case_annotations``), or ``default``
        where the row was loaded without it, or reloaded since."""
        return self.__dict__.get(self.LOADED_VALUES, {}).get(name, default)

    @staticmethod
    def new_public_id() -> str:
        # No 0/O or 1/I: read aloud over a radio.
        alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
        return "R-" + "".join(secrets.choice(alphabet) for _ in range(7))

    @property
    def is_waiting(self) -> bool:
        return self.phase == Phase.WAITING

    @property
    def is_ended(self) -> bool:
        return self.phase == Phase.ENDED

    @property
    def workflow_state(self):
        """The workflow's own state row (``referrals.workflows``); lists attach it in one query per workflow."""
        from referrals import workflows

        return workflows.state_of(self)

    @property
    def assignee_label(self) -> str:
        """What the partner's person holding it is called: "Clinician", "Worker"."""
        from referrals import workflows

        return workflows.spec_for(self).assignee_label

    @property
    def queue_take(self) -> tuple[str, str]:
        """The queue button of a waiting referral: (action, label), "accept" / "Accept" for co-response."""
        from referrals import workflows

        spec = workflows.spec_for(self)
        return spec.take, spec.actions[spec.take].label

    def reason_labels(self) -> list[str]:
        if self.reason_names:
            return list(self.reason_names)
        return [REASON_LABELS[code] for code in self.reason_codes if code in REASON_LABELS]

    def maps_url(self) -> str:
        """A link that opens the phone's maps app at the officer's captured position ("" without one)."""
        if self.latitude is None or self.longitude is None:
            return ""
        return f"geo:{self.latitude},{self.longitude}?q={self.latitude},{self.longitude}"


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


class Consent(models.Model):
    """Permission to share a person's identity with the partner answering a referral, or an override of it.

    Given by the person, or for a minor by a guardian (``Program.self_consent_age``); recorded by whoever obtained
    it (the officer on scene, the worker later). An override is recorded by someone holding the "override consent"
    permission, with a reason. Revoking ends it; nothing is deleted.
    """

    class GivenBy(models.TextChoices):
        PERSON = "person", "The person (young person) themselves"
        GUARDIAN = "guardian", "A parent or guardian"
        OVERRIDE = "override", "Override without consent"

    class Scope(models.TextChoices):
        IDENTITY = "identity", "Identity and contact details shared with the program's partner"
        SERVICES = "services", "Identity shared, and services from the partner"

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="consents")
    given_by = models.CharField(max_length=10, choices=GivenBy.choices)
    giver_name = models.CharField(max_length=120, blank=True, help_text="Who consented (a guardian's name).")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.SERVICES)
    given_at = models.DateTimeField(help_text="When it was given.")
    valid_until = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text="An override's reason.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-given_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_given_by_display()} on {self.referral_id}"

    @property
    def is_override(self) -> bool:
        return self.given_by == self.GivenBy.OVERRIDE

    def in_force(self, today) -> bool:
        return self.revoked_at is None and (self.valid_until is None or self.valid_until >= today)


# --- append-only logs -----------------------------------------------------------------------------------------


class ReferralEvent(AppendOnlyModel):
    """One row per change, written in the change's transaction. ``message`` never holds clinical values.

    The kinds, their labels and whether police see them are one table: ``referrals.events``.
    """

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=30)
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

    @property
    def label(self) -> str:
        return event_label(self.kind)


class ClinicalAccessLog(AppendOnlyModel):
    """Who read which clinical record, when, from where, from which view, and why; or who was refused it and why.
    Written in the same request as the read (or the refusal)."""

    class Outcome(models.TextChoices):
        READ = "read", "Read"
        REFUSED = "refused", "Refused"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="access_log")
    view = models.CharField(max_length=100)
    reason = models.CharField(max_length=100)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.READ)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.referral_id} ({self.view})"


# --- 42 CFR Part 2: consent to disclose, and the accounting of disclosures -------------------------------------


class Part2Consent(models.Model):
    """The person's written consent to disclose their Part 2 records to one named recipient (42 CFR 2.31).

    Separate from ``Consent`` (identity sharing with the program's own partner): a Part 2 consent names who receives,
    for what purpose, how much, and until when. Revoking ends it; nothing is deleted.
    """

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="part2_consents")
    giver_name = models.CharField(max_length=120, help_text="The person, or who signed for them.")
    recipient = models.CharField(max_length=200, help_text="The named recipient (person or organisation).")
    purpose = models.CharField(max_length=300)
    information = models.CharField(max_length=300, help_text="How much and what kind of information may go.")
    given_at = models.DateTimeField()
    expires_on = models.DateField(null=True, blank=True, help_text="Or the event on which it ends, in ``purpose``.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-given_at", "-pk"]

    def __str__(self) -> str:
        return f"Part 2 consent {self.pk} on {self.referral_id}"

    def in_force(self, today) -> bool:
        return self.revoked_at is None and (self.expires_on is None or self.expires_on >= today)


class Disclosure(AppendOnlyModel):
    """One disclosure of a Part 2 record to someone outside the program, under a Part 2 consent: the accounting of
    disclosures (42 CFR 2.24). Kept at least ``settings.DISCLOSURE_RETENTION_DAYS`` (never under three years)."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="disclosures")
    note = models.ForeignKey(ClinicalNote, on_delete=models.PROTECT, related_name="disclosures")
    consent = models.ForeignKey(Part2Consent, on_delete=models.PROTECT, related_name="disclosures")
    recipient = models.CharField(max_length=200)
    disclosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notice = models.TextField(help_text="The redisclosure notice that went with the record (42 CFR 2.32).")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Note {self.note_id} disclosed to {self.recipient}"


# --- break-glass ------------------------------------------------------------------------------------------------


class BreakGlass(AppendOnlyModel):
    """A supervisor opened a record outside their scope for a serious and imminent threat. Read access lasts until
    ``expires_at``; a second person reviews it (``BreakGlassReview``). Never opens Part 2 records."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="break_glass")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500)
    opened_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["opened_by", "referral", "expires_at"], name="break_glass_active")]

    def __str__(self) -> str:
        return f"Break-glass {self.pk} on {self.referral_id}"


class BreakGlassReview(AppendOnlyModel):
    """The second person's review of one break-glass opening: written once, never by the opener."""

    class Outcome(models.TextChoices):
        JUSTIFIED = "justified", "Justified"
        NOT_JUSTIFIED = "not_justified", "Not justified: referred to the privacy officer"

    opening = models.OneToOneField(BreakGlass, on_delete=models.PROTECT, related_name="review")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    comment = models.CharField(max_length=500, blank=True)
    reviewed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Review of break-glass {self.opening_id}"
