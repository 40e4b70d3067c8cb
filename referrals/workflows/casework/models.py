"""The casework workflow's own rows: its state machine beside the envelope, the person's contact details, the
contact attempts and the goals. All partner-side: police pages never read them.

``CaseworkCase`` holds the state and what only casework has (service tier, how it closed, the repeat-referral
fingerprint). ``CaseworkPerson`` holds the identifying details the officer or the worker add (date of birth,
phone, address, guardian): the case page shows them only while consent is in force (``referrals.consent``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from referrals.models import Referral


class CaseworkState(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    ASSIGNED = "assigned", "Assigned"
    CONTACT_ATTEMPTED = "contact_attempted", "Contact attempted"
    ENGAGED = "engaged", "Engaged"
    DECLINED = "declined", "Declined"
    UNABLE_TO_REACH = "unable_to_reach", "Unable to reach"
    CLOSED = "closed", "Closed"


S = CaseworkState
REACHING_STATES = frozenset({S.ASSIGNED, S.CONTACT_ATTEMPTED})  # taken, first contact not yet made
OPEN_STATES = frozenset({S.SUBMITTED, *REACHING_STATES, S.ENGAGED})
OUTCOME_STATES = frozenset({S.ENGAGED, S.DECLINED, S.UNABLE_TO_REACH})  # closed by the worker with a reason
HELD_STATES = REACHING_STATES | OUTCOME_STATES
LIVE_STATES = OPEN_STATES | OUTCOME_STATES  # everything but closed


class ServiceTier(models.TextChoices):
    """YouthConnect's four-tier service model."""

    INDIVIDUAL_THERAPY = "1", "Tier 1: individual therapy"
    FAMILY_THERAPY = "2", "Tier 2: family therapy"
    CASE_MANAGEMENT = "3", "Tier 3: clinical case management"
    RESOURCE_COORDINATION = "4", "Tier 4: resource coordination"


class DeclinedBy(models.TextChoices):
    PERSON = "person", "Declined by the young person"
    GUARDIAN = "guardian", "Declined by the guardian"


# Who accepted services, for the program's annual demographics (published only as suppressed counts). Recorded by
# the worker at engagement, as the person describes themselves; "not recorded" where they were not asked or did not
# say. The age band is worked out from the date of birth (or the officer's approximate age) at that moment, so the
# dashboards never read a date of birth.
class AgeBand(models.TextChoices):
    UNDER_10 = "under_10", "Under 10"
    AGE_10_13 = "10_13", "10 to 13"
    AGE_14_17 = "14_17", "14 to 17"
    AGE_18_21 = "18_21", "18 to 21"
    AGE_22_24 = "22_24", "22 to 24"
    AGE_25_PLUS = "25_plus", "25 and over"
    UNKNOWN = "unknown", "Age not known"

    @classmethod
    def of(cls, age: int | None) -> str:
        if age is None:
            return cls.UNKNOWN
        for upper, band in ((10, cls.UNDER_10), (14, cls.AGE_10_13), (18, cls.AGE_14_17), (22, cls.AGE_18_21)):
            if age < upper:
                return band
        return cls.AGE_22_24 if age < 25 else cls.AGE_25_PLUS


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    ANOTHER = "another", "Non-binary or another gender"
    NOT_RECORDED = "not_recorded", "Not recorded"


class RaceEthnicity(models.TextChoices):
    ASIAN = "asian", "Asian"
    BLACK = "black", "Black or African American"
    HISPANIC = "hispanic", "Hispanic or Latino"
    NATIVE = "native", "American Indian or Alaska Native"
    PACIFIC = "pacific", "Native Hawaiian or Pacific Islander"
    WHITE = "white", "White"
    ANOTHER = "another", "Two or more, or another"
    NOT_RECORDED = "not_recorded", "Not recorded"


class CloseReason(models.TextChoices):
    GOALS_MET = "goals_met", "Goals met"
    DISENGAGED = "disengaged", "Disengaged"
    TRANSFERRED = "transferred", "Transferred to another program"
    CONSENT_REVOKED = "consent_revoked", "Consent revoked"
    AGED_OUT = "aged_out", "Aged out"


# What a worker may choose when closing; the other two are the cascade's (re-route, revocation).
WORKER_CLOSE_REASONS = [
    (value, label)
    for value, label in CloseReason.choices
    if value not in {CloseReason.TRANSFERRED, CloseReason.CONSENT_REVOKED}
]


class CaseworkCase(ConcurrentTransitionMixin, models.Model):
    """The casework state machine. Transitions change fields only; the services save both rows and log."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="casework", primary_key=True)
    state = FSMField(max_length=20, choices=CaseworkState.choices, default=CaseworkState.SUBMITTED)
    tier = models.CharField(max_length=2, choices=ServiceTier.choices, blank=True)
    declined_by = models.CharField(max_length=10, choices=DeclinedBy.choices, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    engaged_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True, help_text="When a missed first contact was escalated.")
    interim_at = models.DateTimeField(null=True, blank=True, help_text="The last 'still engaged' update to police.")
    # Set at engagement (see AgeBand): coded, never free text; counted only in suppressed annual demographics.
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, blank=True)
    gender = models.CharField(max_length=15, choices=Gender.choices, blank=True)
    race_ethnicity = models.CharField(max_length=15, choices=RaceEthnicity.choices, blank=True)

    class Meta:
        verbose_name = "casework case"

    def __str__(self) -> str:
        return f"Casework {self.referral_id} ({self.state})"

    @transition(field=state, source=S.SUBMITTED, target=S.ASSIGNED)
    def assign(self) -> None:
        """Taken from the queue by a worker."""

    @transition(field=state, source=list(REACHING_STATES), target=S.CONTACT_ATTEMPTED)
    def attempt(self, *, at) -> None:
        if self.first_contact_at is None:
            self.first_contact_at = at

    @transition(field=state, source=list(REACHING_STATES), target=S.ENGAGED)
    def engage(self, *, tier: str, at, age_band: str, gender: str, race_ethnicity: str) -> None:
        self.tier = tier
        self.engaged_at = at
        self.age_band, self.gender, self.race_ethnicity = age_band, gender, race_ethnicity
        if self.first_contact_at is None:
            self.first_contact_at = at

    @transition(field=state, source=list(REACHING_STATES), target=S.DECLINED)
    def decline(self, *, by: str) -> None:
        self.declined_by = by

    @transition(field=state, source=S.CONTACT_ATTEMPTED, target=S.UNABLE_TO_REACH)
    def give_up(self) -> None:
        pass

    @transition(field=state, source=list(OUTCOME_STATES), target=S.CLOSED)
    def close(self, *, reason: str) -> None:
        self.close_reason = reason

    @transition(field=state, source=list(LIVE_STATES), target=S.CLOSED)
    def end(self, *, reason: str) -> None:
        """Closed from any live state by a cascade: consent revoked, or re-routed to another program."""
        self.close_reason = reason


class CaseworkPerson(models.Model):
    """Identifying details beyond the shared ``Subject``: shown only while consent is in force."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="casework_person")
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    address = models.CharField(max_length=200, blank=True)
    school = models.CharField(max_length=120, blank=True)
    guardian_name = models.CharField(max_length=120, blank=True)
    guardian_relationship = models.CharField(max_length=40, blank=True)
    guardian_phone = models.CharField(max_length=20, blank=True)
    # A keyed hash of the normalised name and date of birth, with a key of the partner organisation's own: it
    # matches this organisation's earlier referrals of the same person and nothing of anyone else's.
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"Person of {self.referral_id}"


class ContactAttempt(models.Model):
    class Method(models.TextChoices):
        PHONE = "phone", "Phone call"
        TEXT = "text", "Text message"
        HOME_VISIT = "home_visit", "Home visit"
        SCHOOL = "school", "At school"
        IN_PERSON = "in_person", "In person elsewhere"
        LETTER = "letter", "Letter or email"

    class Outcome(models.TextChoices):
        REACHED = "reached", "Reached"
        NO_ANSWER = "no_answer", "No answer"
        LEFT_MESSAGE = "left_message", "Left a message"
        WRONG_NUMBER = "wrong_number", "Wrong number or address"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="contact_attempts")
    attempted_at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=Method.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attempted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} on {self.referral_id}: {self.get_outcome_display()}"


class Goal(models.Model):
    class Area(models.TextChoices):
        SAFETY = "safety", "Safety planning"
        FAMILY = "family", "Family stability"
        COMMUNITY = "community", "Connected to community resources"
        SCHOOL = "school", "School engagement"
        EMPLOYMENT = "employment", "Employment or training"
        HEALTH = "health", "Health and wellbeing"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="goals")
    area = models.CharField(max_length=20, choices=Area.choices)
    text = models.CharField(max_length=300, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_area_display()} on {self.referral_id}"
