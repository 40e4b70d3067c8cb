"""Routes (which queue receives a request, and who is next when nobody answers) and rosters (who is on shift)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import Organisation
from districts.models import District, Unit
from programs.models import Program


class Route(models.Model):
    """(program, district) → an ordered chain of queues. Without a route, a program uses its district team."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="routes")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="routes")
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "district"], name="route_unique_program_district")]
        ordering = ["program", "district"]

    def __str__(self) -> str:
        return f"{self.program} in {self.district.code}"


class RouteStep(models.Model):
    class Kind(models.TextChoices):
        DISTRICT_TEAM = "district", "District team"
        UNIT = "unit", "Unit team"
        ON_CALL = "on_call", "Citywide on-call"
        SUPERVISORS = "supervisors", "Supervisors"

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="+", null=True, blank=True, help_text="District teams only."
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", null=True, blank=True, help_text="Unit teams only."
    )

    class Meta:
        ordering = ["route", "position"]
        constraints = [models.UniqueConstraint(fields=["route", "position"], name="routestep_unique_position")]

    def __str__(self) -> str:
        if self.district_id:
            return self.district.code
        if self.unit_id:
            return self.unit.code
        return self.get_kind_display()

    def clean(self) -> None:
        if self.kind == self.Kind.DISTRICT_TEAM and self.district_id is None:
            raise ValidationError({"district": "A district-team step must name its district."})
        if self.kind != self.Kind.DISTRICT_TEAM and self.district_id is not None:
            raise ValidationError({"district": "Only a district-team step names a district."})
        if self.district_id is not None and not self.district.is_active:
            raise ValidationError({"district": f"{self.district.code} is not an active district."})
        if self.kind == self.Kind.UNIT and self.unit_id is None:
            raise ValidationError({"unit": "A unit-team step must name its unit."})
        if self.kind != self.Kind.UNIT and self.unit_id is not None:
            raise ValidationError({"unit": "Only a unit-team step names a unit."})
        if self.unit_id is not None and not self.unit.is_active:
            raise ValidationError({"unit": f"{self.unit.code} is not an active unit."})


class Shift(models.Model):
    """A stretch of time one person works for an organisation: the districts covered, or citywide on-call."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="shifts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    districts = models.ManyToManyField(District, blank=True, related_name="shifts")
    on_call = models.BooleanField(default=False, help_text="Citywide on-call: answers any district's escalations.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["organisation", "starts_at", "ends_at"], name="shift_window")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%H:%M}"
