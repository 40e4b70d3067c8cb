from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import RegexValidator
from django.db import models

from accounts.append_only import AppendOnlyModel
from districts.models import District, Unit


class Organisation(models.Model):
    class Kind(models.TextChoices):
        POLICE = "police", "Police department"
        CLINICAL = "clinical", "Clinical partner"
        YOUTH = "youth", "Youth partner"
        PARTNER = "partner", "Other partner"
        HUB_AGENCY = "hub_agency", "Hub agency"

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def is_police(self) -> bool:
        return self.kind == self.Kind.POLICE


class Role(models.TextChoices):
    OFFICER = "officer", "Officer"
    POLICE_SUPERVISOR = "police_supervisor", "Police supervisor"
    CLINICIAN = "clinician", "Clinician"
    CLINICAL_SUPERVISOR = "clinical_supervisor", "Clinical supervisor"
    WORKER = "worker", "Youth / outreach worker"
    WORKER_SUPERVISOR = "worker_supervisor", "Youth / outreach supervisor"
    HUB_COORDINATOR = "hub_coordinator", "Hub coordinator"
    HUB_MEMBER = "hub_member", "Hub agency member"
    ANALYST = "analyst", "Analyst"
    ADMINISTRATOR = "administrator", "Administrator"


POLICE_ROLES = frozenset({Role.OFFICER, Role.POLICE_SUPERVISOR})
PARTNER_ROLES = frozenset({Role.CLINICIAN, Role.CLINICAL_SUPERVISOR, Role.WORKER, Role.WORKER_SUPERVISOR})
SUPERVISOR_ROLES = frozenset({Role.POLICE_SUPERVISOR, Role.CLINICAL_SUPERVISOR, Role.WORKER_SUPERVISOR})
FRONTLINE_PARTNER_ROLES = frozenset({Role.CLINICIAN, Role.WORKER})


class Membership(models.Model):
    """A user's role in one organisation, with the districts and units that role covers."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)
    districts = models.ManyToManyField(District, blank=True, related_name="memberships")
    units = models.ManyToManyField(Unit, blank=True, related_name="memberships")
    all_districts = models.BooleanField(
        default=False, help_text="Covers every district of the organisation (supervisors, citywide on-call)."
    )
    phone = models.CharField(
        max_length=20,
        blank=True,
        validators=[
            RegexValidator(r"^\+?[0-9][0-9 ()-]{5,18}$", "A phone number: digits, spaces, ( ) - and a leading +.")
        ],
        help_text="Callback number shown to the other side once a referral is accepted.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role"),
        ]
        ordering = ["organisation__name", "role"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.organisation}"

    @property
    def is_supervisor(self) -> bool:
        return self.role in SUPERVISOR_ROLES


class Team(models.Model):
    """A queue of an organisation: a district team, a unit team (its workers in a citywide police unit), its
    citywide on-call, or its supervisors.

    Object permissions on referrals are granted to the team's group, never to single users row by row.
    """

    class Kind(models.TextChoices):
        DISTRICT = "district", "District team"
        UNIT = "unit", "Unit team"
        ON_CALL = "on_call", "Citywide on-call"
        SUPERVISORS = "supervisors", "Supervisors"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DISTRICT)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="teams", null=True, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="teams", null=True, blank=True)
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="team")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "district"],
                condition=models.Q(kind="district"),
                name="team_unique_district",
            ),
            models.UniqueConstraint(
                fields=["organisation", "unit"],
                condition=models.Q(kind="unit"),
                name="team_unique_unit",
            ),
            models.UniqueConstraint(
                fields=["organisation", "kind"],
                condition=~models.Q(kind__in=["district", "unit"]),
                name="team_unique_citywide",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="district", district__isnull=False)
                | (~models.Q(kind="district") & models.Q(district__isnull=True)),
                name="team_district_only_for_district_teams",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="unit", unit__isnull=False)
                | (~models.Q(kind="unit") & models.Q(unit__isnull=True)),
                name="team_unit_only_for_unit_teams",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.DISTRICT:
            return f"{self.organisation} {self.district.code}"
        if self.kind == self.Kind.UNIT:
            return f"{self.organisation} {self.unit.code}"
        return f"{self.organisation} {self.get_kind_display().lower()}"


class SecurityEvent(AppendOnlyModel):
    """Who signed in, failed to, signed out, was locked out or released, or changed a password: one row each.

    ``detail`` is a few plain words; no password, token or secret is ever written here (accounts.audit builds the
    rows and takes no credentials).
    """

    class Kind(models.TextChoices):
        LOGIN_SUCCEEDED = "login_succeeded", "Signed in"
        LOGIN_FAILED = "login_failed", "Sign-in failed"
        LOGGED_OUT = "logged_out", "Signed out"
        LOCKED_OUT = "locked_out", "Locked out after repeated failed sign-ins"
        LOCKOUT_RELEASED = "lockout_released", "Lockout released by an administrator"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
        PASSWORD_RESET = "password_reset", "Password reset by email link"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    # The account concerned (for a release or an administrator's password change: the one released or changed).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    # Who did it, when not the account holder (an administrator releasing a lockout).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    username = models.CharField(max_length=150, blank=True, help_text="The username given, whether or not it exists.")
    ip_address = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=200, blank=True)
    detail = models.CharField(max_length=200, blank=True, help_text="Plain words; never a password or a secret.")
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["username", "at"], name="security_event_username")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"
