"""Hub situation tables: the tables and their agencies, meetings, situations through the four filters, and logs.

The privacy boundary is in the models. What the whole table hears about a situation (discussion type, age band and
gender of each affected person, risk and protective factors, study flags, a short de-identified description) is on
``Situation`` and ``AffectedPerson``. Who the people are (name, date of birth, address) is on ``AffectedIdentity``
only, a separate table that no agenda, list or export query reads; ``hub.selectors.identity_for`` is its one reader,
and it logs every read (``HubAccessLog``). Reveals (filter 3) are logged per agency (``Reveal``), every change is an
event (``SituationEvent``); all three logs are append-only (a PostgreSQL trigger too, migration 0003).

Reference data (sectors, age bands, the two-level risk taxonomy, protective factors, study flags, services and
conclusion codes) are rows, editable in the admin, seeded with the Risk-driven Tracking Database's categories
(``hub.reference``).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import Organisation
from districts.models import District
from referrals.models import AppendOnlyModel, Referral

# --- reference data (editable) --------------------------------------------------------------------------------


class ReferenceItem(models.Model):
    """A code kept once rows use it, a label, a one-sentence definition, an order and whether it is still offered."""

    code = models.SlugField(max_length=60, help_text="Stored with discussions and exports; keep it once used.")
    label = models.CharField(max_length=120)
    definition = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True, help_text="Unticked: no longer offered; past discussions keep it.")

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label


class Sector(ReferenceItem):
    class Meta(ReferenceItem.Meta):
        constraints = [models.UniqueConstraint(fields=["code"], name="hub_sector_unique_code")]


class AgeBand(ReferenceItem):
    min_age = models.PositiveSmallIntegerField()
    max_age = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: and over.")

    class Meta(ReferenceItem.Meta):
        constraints = [models.UniqueConstraint(fields=["code"], name="hub_ageband_unique_code")]


class RiskCategory(ReferenceItem):
    class Meta(ReferenceItem.Meta):
        verbose_name_plural = "risk categories"
        constraints = [models.UniqueConstraint(fields=["code"], name="hub_riskcategory_unique_code")]


class RiskFactor(ReferenceItem):
    """A sub-category of a risk category ("Alcohol: alcohol abuse by the person")."""

    category = models.ForeignKey(RiskCategory, on_delete=models.PROTECT, related_name="factors")

    class Meta(ReferenceItem.Meta):
        ordering = ["category__position", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="hub_riskfactor_unique_code")]

    def __str__(self) -> str:
        return f"{self.category.label}: {self.label}"


class ProtectiveFactor(ReferenceItem):
    class Meta(ReferenceItem.Meta):
        constraints = [models.UniqueConstraint(fields=["code"], name="hub_protectivefactor_unique_code")]


class StudyFlag(ReferenceItem):
    class Meta(ReferenceItem.Meta):
        constraints = [models.UniqueConstraint(fields=["code"], name="hub_studyflag_unique_code")]


class Service(ReferenceItem):
    """A kind of service mobilised for a situation (the RTD's "services mobilised")."""

    class Meta(ReferenceItem.Meta):
        constraints = [models.UniqueConstraint(fields=["code"], name="hub_service_unique_code")]


class ConclusionCode(ReferenceItem):
    class Group(models.TextChoices):
        RISK_LOWERED = "risk_lowered", "Overall risk lowered"
        STILL_AT_RISK = "still_at_risk", "Still acutely elevated risk"

    group = models.CharField(max_length=20, choices=Group.choices)

    class Meta(ReferenceItem.Meta):
        ordering = ["group", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["group", "code"], name="hub_conclusioncode_unique_code")]

    def __str__(self) -> str:
        return f"{self.get_group_display()}: {self.label}"


# --- tables, agencies, meetings -------------------------------------------------------------------------------


class Table(models.Model):
    """A situation table of a district.

    Its coordinators are the users holding an active ``hub_coordinator`` membership of ``organisation`` (the Hub
    office that runs the table): nothing to keep in step when a coordinator changes jobs, the membership does it.
    """

    class Reveal(models.TextChoices):
        PRESENT = "present", "Names shared at filter 3 with the agencies present"
        CHOSEN = "chosen", "Names shared only with the agencies chosen (stricter)"

    name = models.CharField(max_length=120, unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="hub_tables", help_text="The Hub office that runs it."
    )
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="hub_tables")
    cadence = models.CharField(max_length=100, blank=True, help_text='When it meets: "Tuesdays 10:00".')
    reveal = models.CharField(max_length=10, choices=Reveal.choices, default=Reveal.PRESENT)
    door_knock_hours = models.PositiveSmallIntegerField(
        default=48,
        validators=[MinValueValidator(24), MaxValueValidator(48)],
        help_text="Hours the chosen agencies have for the door knock (24 to 48).",
    )
    outcome_checks = models.BooleanField(
        default=False, help_text="The table agreed to check outcomes 30 and 90 days after a conclusion."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(door_knock_hours__gte=24, door_knock_hours__lte=48),
                name="hub_table_door_knock_window",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TableAgency(models.Model):
    """An organisation sitting at a table, in a sector, with its representatives and its information-sharing
    agreement (none: it never receives a name)."""

    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="agencies")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="hub_seats")
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="+")
    representatives = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="hub_seats")
    sharing_agreement_on = models.DateField(
        null=True, blank=True, help_text="When its information-sharing agreement was signed. Empty: none."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation__name"]
        verbose_name_plural = "table agencies"
        constraints = [models.UniqueConstraint(fields=["table", "organisation"], name="hub_tableagency_unique")]

    def __str__(self) -> str:
        return f"{self.organisation} at {self.table}"

    @property
    def has_agreement(self) -> bool:
        return self.sharing_agreement_on is not None


class Meeting(models.Model):
    table = models.ForeignKey(Table, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField()
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    present = models.ManyToManyField(TableAgency, blank=True, related_name="meetings_attended")

    class Meta:
        ordering = ["-held_on", "-pk"]
        constraints = [models.UniqueConstraint(fields=["table", "held_on"], name="hub_meeting_unique_day")]

    def __str__(self) -> str:
        return f"{self.table} {self.held_on:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None and self.closed_at is None


# --- situations -----------------------------------------------------------------------------------------------


class SituationState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ON_AGENDA = "on_agenda", "On the agenda"
    REJECTED = "rejected", "Threshold not met"
    ACCEPTED = "accepted", "Threshold met"
    INTERVENTION = "intervention", "Intervention"
    CONCLUDED = "concluded", "Concluded"


S = SituationState
OPEN_STATES = frozenset({S.PROPOSED, S.ON_AGENDA, S.ACCEPTED, S.INTERVENTION})
DOOR_KNOCK_STATES = frozenset({S.ACCEPTED, S.INTERVENTION})  # the door-knock window runs


class DiscussionType(models.TextChoices):
    PERSON = "person", "Person"
    FAMILY = "family", "Family"
    GROUP = "group", "Group"
    LOCATION = "location", "Location"


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    ANOTHER = "another", "Another gender"
    UNKNOWN = "unknown", "Unknown"


class Response(models.TextChoices):
    ACCEPTED = "accepted", "Accepted help"
    DECLINED = "declined", "Declined help"


DESCRIPTION_MAX = 500

# Things that identify a person and have no place in what the table hears. A net for slips, not a guarantee: the
# proposing agency writes the description de-identified, and the service also refuses the person's own name.
_IDENTIFIER_PATTERNS = [
    (re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"), "a date"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "a date"),
    (re.compile(r"\(?\b\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b"), "a phone number"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), "an email address"),
    (
        re.compile(
            r"\b\d+[A-Za-z]?\s+(?:[A-Z][\w'-]*\s+){1,3}"
            r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Way|Pl|Place|Ln|Lane|Dr|Drive|Ct|Court|Ter|Terrace|Sq)\b",
        ),
        "a street address",
    ),
]


def validate_deidentified(text: str) -> None:
    for pattern, what in _IDENTIFIER_PATTERNS:
        if pattern.search(text):
            raise ValidationError(
                f"The description looks like it contains {what}. Describe the situation without identifying anyone."
            )


class ReferenceCounter(models.Model):
    """The last number given to a year's public references ("H-2026-0001"), read and bumped under a row lock."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Situation(ConcurrentTransitionMixin, models.Model):
    """A situation brought to a table: de-identified, through the four filters.

    ``proposed → on_agenda → rejected | accepted → intervention → concluded``. Transitions change fields only; the
    services (``hub.services``) lock, check authority, save with ``update_fields`` and log.
    """

    public_id = models.CharField(max_length=16, unique=True, editable=False)
    idempotency_key = models.UUIDField(unique=True, editable=False)
    table = models.ForeignKey(Table, on_delete=models.PROTECT, related_name="situations")
    originating = models.ForeignKey(
        TableAgency, on_delete=models.PROTECT, related_name="situations_originated", help_text="Holds the identity."
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(
        Referral,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="A referral the proposing officer filed. Only the link: nothing a partner learned comes with it.",
    )
    state = FSMField(max_length=20, choices=SituationState.choices, default=S.PROPOSED, protected=True)
    discussion_type = models.CharField(max_length=10, choices=DiscussionType.choices)
    description = models.CharField(
        max_length=DESCRIPTION_MAX,
        validators=[validate_deidentified],
        help_text="Short and de-identified: no name, date of birth, address or contact detail.",
    )
    risk_factors = models.ManyToManyField(RiskFactor, related_name="+")
    protective_factors = models.ManyToManyField(ProtectiveFactor, blank=True, related_name="+")
    study_flags = models.ManyToManyField(StudyFlag, blank=True, related_name="+")
    services_mobilised = models.ManyToManyField(Service, blank=True, related_name="+")

    # Filter 2
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="situations_decided"
    )
    present_at_decision = models.ManyToManyField(TableAgency, blank=True, related_name="+")
    # Filter 4
    door_knock_agencies = models.ManyToManyField(TableAgency, blank=True, related_name="+")
    door_knock_planned_for = models.DateTimeField(null=True, blank=True)
    door_knock_due_at = models.DateTimeField(null=True, blank=True)
    door_knock_done_at = models.DateTimeField(null=True, blank=True)
    response = models.CharField(max_length=10, choices=Response.choices, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True, help_text="When a missed door knock was escalated.")
    # Conclusion
    conclusion = models.ForeignKey(ConclusionCode, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    concluded_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["table", "state", "-created_at"], name="hub_situation_table"),
            models.Index(
                fields=["door_knock_due_at"],
                name="hub_situation_door_knock_due",
                condition=models.Q(door_knock_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    # The machine. Bodies set fields only.

    @transition(field=state, source=S.PROPOSED, target=S.ON_AGENDA)
    def schedule(self) -> None:
        pass

    @transition(field=state, source=S.ON_AGENDA, target=S.REJECTED)
    def reject(self, *, meeting: Meeting, at) -> None:
        self.decided_meeting, self.decided_at = meeting, at

    @transition(field=state, source=S.ON_AGENDA, target=S.ACCEPTED)
    def accept(self, *, meeting: Meeting, at) -> None:
        self.decided_meeting, self.decided_at = meeting, at

    @transition(field=state, source=S.ACCEPTED, target=S.INTERVENTION)
    def intervene(self) -> None:
        pass

    @transition(field=state, source=S.INTERVENTION, target=S.CONCLUDED)
    def conclude(self, *, code: ConclusionCode, at) -> None:
        self.conclusion, self.concluded_at = code, at
        self.door_knock_due_at = None


class AffectedPerson(models.Model):
    """What the table hears of one affected person: an age band and a gender. Nothing that identifies them."""

    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="persons")
    age_band = models.ForeignKey(AgeBand, on_delete=models.PROTECT, related_name="+")
    gender = models.CharField(max_length=10, choices=Gender.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.age_band} {self.get_gender_display()} in {self.situation_id}"


class AffectedIdentity(models.Model):
    """Who an affected person is. Held by the originating agency; read only through ``identity_for``."""

    person = models.OneToOneField(AffectedPerson, on_delete=models.CASCADE, related_name="identity")
    full_name = models.CharField(max_length=200)
    date_of_birth = models.DateField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "affected identities"
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"Identity of person {self.person_id}"


class AgendaItem(models.Model):
    """A situation on a meeting's agenda: for the filter-2 decision, or a later status update."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    situation = models.ForeignKey(Situation, on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(default=0)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "situation"], name="hub_agendaitem_unique")]

    def __str__(self) -> str:
        return f"{self.situation_id} at {self.meeting_id}"


class Assignment(models.Model):
    """A chosen agency (filter 3): the lead, or assisting."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead"
        ASSISTING = "assisting", "Assisting"

    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="assignments")
    agency = models.ForeignKey(TableAgency, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(max_length=10, choices=Role.choices)
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    chosen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "pk"]  # "assisting" < "lead": lists put the lead last; pages sort as they need
        constraints = [
            models.UniqueConstraint(fields=["situation", "agency"], name="hub_assignment_unique_agency"),
            models.UniqueConstraint(
                fields=["situation"], condition=models.Q(role="lead"), name="hub_assignment_one_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.agency_id} on {self.situation_id}"


class StatusUpdate(models.Model):
    """A later meeting's word on a situation, de-identified."""

    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="status_updates")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(max_length=DESCRIPTION_MAX, validators=[validate_deidentified])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Update on {self.situation_id}"


class OutcomeCheck(models.Model):
    """Beyond the RTD, where the table agreed: 30 and 90 days after the conclusion, de-identified."""

    class Days(models.IntegerChoices):
        THIRTY = 30, "30 days"
        NINETY = 90, "90 days"

    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="outcome_checks")
    days = models.PositiveSmallIntegerField(choices=Days.choices)
    still_connected = models.BooleanField(null=True, help_text="Still connected to services? Empty: unknown.")
    new_incidents = models.BooleanField(null=True, help_text="New incidents since? Empty: unknown.")
    note = models.CharField(max_length=300, blank=True, validators=[validate_deidentified])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["days"]
        constraints = [models.UniqueConstraint(fields=["situation", "days"], name="hub_outcomecheck_unique")]

    def __str__(self) -> str:
        return f"{self.days}-day check on {self.situation_id}"


# --- append-only logs -----------------------------------------------------------------------------------------


class Reveal(AppendOnlyModel):
    """Filter 3: a situation's names were shared with an agency. One row per agency, never changed."""

    situation = models.ForeignKey(Situation, on_delete=models.PROTECT, related_name="reveals")
    agency = models.ForeignKey(TableAgency, on_delete=models.PROTECT, related_name="reveals")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["situation", "agency"], name="hub_reveal_once")]

    def __str__(self) -> str:
        return f"{self.situation_id} revealed to {self.agency_id}"


class SituationEvent(AppendOnlyModel):
    """One row per change, in the change's transaction. ``message`` never holds a name or a detail of a person."""

    situation = models.ForeignKey(Situation, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    message = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["situation", "created_at"], name="hub_event_timeline")]

    def __str__(self) -> str:
        return f"{self.situation_id} {self.kind}"


class HubAccessLog(AppendOnlyModel):
    """Who read which situation's identity, as which agency, how much of it, from which view and why."""

    class Scope(models.TextChoices):
        NAMES = "names", "Names"
        FULL = "full", "Names, dates of birth and addresses"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    situation = models.ForeignKey(Situation, on_delete=models.PROTECT, related_name="access_log")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    view = models.CharField(max_length=100)
    reason = models.CharField(max_length=100)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.situation_id} ({self.scope})"
