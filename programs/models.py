"""Programs: what a referral asks for, who answers it, which workflow carries it and its time limits.

Programs are data. A new one that uses an existing workflow is added in the admin and works without code.
"""

from __future__ import annotations

from django.db import models

from accounts.models import Organisation


class Workflow(models.TextChoices):
    CO_RESPONSE = "co_response", "Co-response (urgent, minutes)"
    CASEWORK = "casework", "Casework (days)"
    SITUATION = "situation", "Hub situation table"


class Program(models.Model):
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
