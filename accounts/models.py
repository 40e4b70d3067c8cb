from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.base_session import AbstractBaseSession
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
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"


POLICE_ROLES = frozenset({Role.OFFICER, Role.POLICE_SUPERVISOR})
PARTNER_ROLES = frozenset({Role.CLINICIAN, Role.CLINICAL_SUPERVISOR, Role.WORKER, Role.WORKER_SUPERVISOR})
SUPERVISOR_ROLES = frozenset({Role.POLICE_SUPERVISOR, Role.CLINICAL_SUPERVISOR, Role.WORKER_SUPERVISOR})
FRONTLINE_PARTNER_ROLES = frozenset({Role.CLINICIAN, Role.WORKER})
HUB_ROLES = frozenset({Role.HUB_COORDINATOR, Role.HUB_MEMBER})
# A membership of one of these roles opens clinical, identifying or audit records: granting or changing one waits
# for a second administrator's confirmation (accounts.services.membership_grant_confirm).
PRIVILEGED_ROLES = PARTNER_ROLES | HUB_ROLES | {Role.PRIVACY_OFFICER}
# What a change must touch to need that confirmation again (a callback number does not).
PRIVILEGED_FIELDS = frozenset({"user", "organisation", "role", "districts", "units", "all_districts", "is_active"})


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
    # A grant of a privileged role waits here until a second administrator confirms it: until then it grants
    # nothing anywhere (every query that reads memberships asks for ``pending=False`` with ``is_active=True``).
    pending = models.BooleanField(
        default=False, help_text="Granted or changed, and not yet confirmed by a second administrator."
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )
    granted_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role"),
        ]
        indexes = [models.Index(fields=["pending"], name="membership_pending", condition=models.Q(pending=True))]
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
    """Who signed in, failed to, signed out, was locked out or released, changed a password, or set up, passed,
    failed or had reset the second step of sign-in: one row each.

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
        SSO_LINKED = "sso_linked", "Linked to an identity provider's account"
        SSO_UNLINKED = "sso_unlinked", "Unlinked from an identity provider's account"
        SESSION_EXPIRED = "session_expired", "Signed out for inactivity or at the sign-in's time limit"
        SESSIONS_ENDED = "sessions_ended", "Signed out on every device"
        MFA_ENROLLED = "mfa_enrolled", "Two-step sign-in set up"
        MFA_VERIFIED = "mfa_verified", "Two-step sign-in code accepted"
        MFA_FAILED = "mfa_failed", "Two-step sign-in code refused"
        RECOVERY_CODE_USED = "recovery_code_used", "Signed in with a recovery code"
        RECOVERY_CODES_REPLACED = "recovery_codes_replaced", "New recovery codes made"
        MFA_RESET = "mfa_reset", "Two-step sign-in reset by an administrator"
        MEMBERSHIP_GRANTED = "membership_granted", "Privileged membership granted, awaiting confirmation"
        MEMBERSHIP_CONFIRMED = "membership_confirmed", "Privileged membership confirmed by a second administrator"
        MEMBERSHIP_REFUSED = "membership_refused", "Privileged membership refused by a second administrator"

    # After one of these, earlier wrong two-step codes no longer count toward the lockout (accounts.services).
    MFA_FRESH_START = (
        Kind.MFA_VERIFIED,
        Kind.RECOVERY_CODE_USED,
        Kind.MFA_ENROLLED,
        Kind.MFA_RESET,
        Kind.LOCKOUT_RELEASED,
    )

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


class IdentityProvider(models.Model):
    """An OpenID Connect provider (a police department's, a hospital's) that signs people in for one organisation.

    Configured by an administrator in the Django admin. The client secret is write-only there: never shown back,
    never logged (accounts.oidc sends it to the token endpoint only).
    """

    class Algorithm(models.TextChoices):
        RS256 = "RS256", "RS256"
        ES256 = "ES256", "ES256"

    name = models.CharField(max_length=100, unique=True, help_text="Shown on the sign-in button.")
    slug = models.SlugField(max_length=40, unique=True, help_text="In the redirect URI registered at the provider.")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="identity_providers",
        help_text="Only people with an active membership here sign in through this provider.",
    )
    issuer = models.URLField(
        max_length=300, help_text="The provider's issuer; its ID tokens must name exactly this (the 'iss' claim)."
    )
    authorization_endpoint = models.URLField(max_length=300, blank=True)
    token_endpoint = models.URLField(max_length=300, blank=True)
    userinfo_endpoint = models.URLField(max_length=300, blank=True)
    jwks_uri = models.URLField(max_length=300, blank=True, verbose_name="JWKS URI")
    signing_algorithm = models.CharField(max_length=10, choices=Algorithm.choices, default=Algorithm.RS256)
    client_id = models.CharField(max_length=255)
    client_secret = models.CharField(max_length=500)
    enforces_mfa = models.BooleanField(
        default=False,
        help_text="The provider requires a second factor at every sign-in, so Handoff need not ask for its own.",
    )
    is_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # never the secret
        return f"<IdentityProvider {self.slug}>"


class IdentityLink(models.Model):
    """This provider's subject (its 'sub' claim) is this Handoff account. One account per subject and provider."""

    class Method(models.TextChoices):
        VERIFIED_EMAIL = "verified_email", "First sign-in, by the provider's verified email"
        ADMINISTRATOR = "administrator", "Linked by an administrator"

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="links")
    subject = models.CharField(max_length=255, help_text="The provider's 'sub' claim for this person.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity_links")
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.ADMINISTRATOR)
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="identity_link_unique_subject"),
            models.UniqueConstraint(fields=["provider", "user"], name="identity_link_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.subject} → {self.user}"


class AccountSession(AbstractBaseSession):
    """A browser's session (Django's database session, SESSION_ENGINE = accounts.session_store) with the account
    it is signed in to, so every session of one person can be found and ended at once ("log out everywhere", a
    password change, a deactivated account). ``user_id`` is a plain column, not a foreign key: a session outlives
    nothing, and a session of a deleted account is no session (auth finds nobody)."""

    user_id = models.BigIntegerField(null=True, db_index=True)

    @classmethod
    def get_session_store_class(cls):
        from accounts.session_store import SessionStore

        return SessionStore

    class Meta:
        verbose_name = "session"
