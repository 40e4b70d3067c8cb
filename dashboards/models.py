"""Dashboards: the cells of months already released (frozen), and Community CompStat's action plans.

Neither holds anything about a person: a published cell is a count of a program's month in a district, an action
plan is what a district commits to at a Community CompStat meeting.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from districts.models import District
from programs.models import Program


class PublishedCell(models.Model):
    """One cell of a released month: the count as it was released, and whether it was suppressed.

    Once a month is released its cells never change, so a later release (more months, late events) cannot be
    compared with this one to difference a suppressed cell out: the engine takes these values as they stand, keeps
    a suppressed one suppressed and never hides a published one. ``district`` empty is the month's city total.
    """

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="The first day of the released month.")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    measure = models.CharField(max_length=80)
    value = models.PositiveIntegerField(help_text="The count released (kept even where it was suppressed).")
    suppressed = models.BooleanField()
    released_at = models.DateTimeField()
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "month", "district", "measure"],
                name="publishedcell_unique",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["program", "month"], name="publishedcell_program_month")]

    def __str__(self) -> str:
        return f"{self.program_id} {self.month:%Y-%m} {self.district_id or 'city'} {self.measure}"


class ActionPlan(models.Model):
    """A Community CompStat commitment for a district: the issue, the action, who owns it, by when, how it stands."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="action_plans")
    issue = models.CharField(max_length=200, help_text="The problem, in a line (no names of residents).")
    action = models.CharField(max_length=300, help_text="What will be done.")
    owner = models.CharField(max_length=100, help_text="Who answers for it: a unit, a partner, a role.")
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["district", "status", "due_on"], name="actionplan_district")]

    def __str__(self) -> str:
        return f"{self.district_id}: {self.issue}"

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.DROPPED)

    def is_overdue(self, today) -> bool:
        return not self.is_closed and self.due_on < today
