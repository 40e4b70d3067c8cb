"""Programs: what a referral asks for, who answers it, which workflow carries it and its time limits.

Programs are data. A new one that uses an existing workflow is added in the admin and works without code.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from accounts.models import Organisation


class Workflow(models.TextChoices):
    CO_RESPONSE = "co_response", "Co-response (urgent, minutes)"
    CASEWORK = "casework", "Casework (days)"
    SITUATION = "situation", "Hub situation table"


class DeadlineUnit(models.TextChoices):
    MINUTES = "minutes", "Minutes"
    HOURS = "hours", "Hours"
    BUSINESS_DAYS = "business_days", "Business days"


class Program(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="programs")
    workflow = models.CharField(max_length=20, choices=Workflow.choices)
    description = models.TextField(blank=True)
    min_age = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Youngest age the program takes; empty for no lower limit."
    )
    max_age = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Oldest age the program takes; empty for no upper limit."
    )
    self_consent_age = models.PositiveSmallIntegerField(
        default=18, help_text="From this age a person consents for themselves; below it a guardian does."
    )
    acceptance_minutes = models.PositiveIntegerField(
        default=10, help_text="Co-response: minutes a request may wait for acceptance before it escalates."
    )
    first_contact_amount = models.PositiveIntegerField(
        default=3,
        validators=[MinValueValidator(1)],
        help_text="Casework: how long until the first contact attempt is due, in the unit beside it.",
    )
    first_contact_unit = models.CharField(
        max_length=20,
        choices=DeadlineUnit.choices,
        default=DeadlineUnit.BUSINESS_DAYS,
        help_text="Business days end at 17:00, Monday to Friday; minutes and hours run day and night.",
    )
    door_knock_hours = models.PositiveIntegerField(
        default=48, help_text="Hub situations: hours until the door knock is due."
    )
    uses_rosters = models.BooleanField(
        default=True,
        help_text=(
            "Its teams keep rosters of who is on shift. Untick for teams without rosters (casework): a request then "
            "waits in its route's first team queue at any hour, instead of passing to the supervisors because "
            "nobody is on shift."
        ),
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValidationError(
                {"max_age": f"The oldest age ({self.max_age}) is below the youngest ({self.min_age})."}
            )

    def eligible(self, age: int | None) -> bool:
        """Whether a person of this age may be referred; an unknown age never rules anyone out."""
        if age is None:
            return True
        if self.min_age is not None and age < self.min_age:
            return False
        return self.max_age is None or age <= self.max_age

    def first_contact_label(self) -> str:
        """'30 minutes', '2 business days', '1 hour'."""
        amount, unit = self.first_contact_amount, DeadlineUnit(self.first_contact_unit).label.lower()
        if amount == 1:
            unit = {"minutes": "minute", "hours": "hour", "business days": "business day"}[unit]
        return f"{amount} {unit}"

    def age_range_label(self) -> str:
        """'ages 10–24', '18 and over', '17 and under', 'age 16' or 'all ages'."""
        youngest = self.min_age or None  # from 0 is no lower limit
        oldest = self.max_age
        if youngest is None and oldest is None:
            return "all ages"
        if youngest is None:
            return f"{oldest} and under"
        if oldest is None:
            return f"{youngest} and over"
        if youngest == oldest:
            return f"age {youngest}"
        return f"ages {youngest}–{oldest}"


class ProgramReason(models.Model):
    """One reason for referral an officer can pick for a program (family conflict, truancy, runaway...)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="reasons")
    code = models.SlugField(max_length=40, help_text="Stored on the referral; keep it once requests use it.")
    label = models.CharField(max_length=100)
    definition = models.TextField(blank=True, help_text="What counts as this reason, for officers and analysts.")
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True, help_text="Unticked: no longer offered; past requests keep it.")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["program", "code"], name="programreason_unique_code")]

    def __str__(self) -> str:
        return self.label
