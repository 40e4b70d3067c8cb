from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import USER_AGENT_LENGTH, client_ip, security_event_record
from accounts.lockout import is_locked_out
from accounts.mfa import (
    RECOVERY_CODE_COUNT,
    RECOVERY_DEVICE_NAME,
    TOTP_DEVICE_NAME,
    pending_totp_device,
    recovery_codes_left,
)
from accounts.models import (
    FRONTLINE_PARTNER_ROLES,
    PARTNER_ROLES,
    PRIVILEGED_FIELDS,
    PRIVILEGED_ROLES,
    SUPERVISOR_ROLES,
    Membership,
    Organisation,
    Role,
    SecurityEvent,
    Team,
)
from accounts.roles import ROLE_PERMISSIONS, role_group_name
from districts.models import District, Unit


def role_groups_sync() -> None:
    """Create one group per role and give it exactly the model permissions of ROLE_PERMISSIONS."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role_group_name(role))
        wanted = Q(pk__in=[])
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))


def team_get_or_create(
    *,
    organisation: Organisation,
    district: District | None = None,
    kind: str | None = None,
    unit: Unit | None = None,
) -> Team:
    """The organisation's queue for a district or a unit, or its citywide on-call or supervisors queue (by kind).

    Without a kind, a unit means the unit team and anything else the district team.
    """
    if kind is None:
        kind = Team.Kind.UNIT if unit is not None else Team.Kind.DISTRICT
    if (kind == Team.Kind.DISTRICT) != (district is not None):
        raise ValueError("a district team needs a district; other teams have none")
    if (kind == Team.Kind.UNIT) != (unit is not None):
        raise ValueError("a unit team needs a unit; other teams have none")
    team = (
        Team.objects.filter(organisation=organisation, district=district, unit=unit, kind=kind)
        .select_related("group", "organisation", "district", "unit")
        .first()
    )
    if team:
        return team
    if district is not None:
        suffix = district.code
    elif unit is not None:
        suffix = f"unit:{unit.code}"  # a unit's code may equal a district's
    else:
        suffix = kind
    group, _ = Group.objects.get_or_create(name=f"Team: {organisation.pk}/{suffix}")
    team, _ = Team.objects.get_or_create(
        organisation=organisation, district=district, unit=unit, kind=kind, defaults={"group": group}
    )
    return team


def _managed_groups() -> Q:
    return Q(name__startswith="Role: ") | Q(name__startswith="Team: ")


@transaction.atomic
def membership_sync_groups(*, user) -> None:
    """Put the user in the role and team groups their active memberships call for, and in no other managed ones."""
    wanted: set[int] = set()
    is_staff = user.is_superuser
    memberships = Membership.objects.filter(user=user, is_active=True, pending=False).select_related("organisation")
    for membership in memberships.prefetch_related("districts", "units"):
        wanted.add(Group.objects.get_or_create(name=role_group_name(membership.role))[0].pk)
        if membership.role == Role.ADMINISTRATOR:
            is_staff = True
        districts = District.objects.filter(is_active=True) if membership.all_districts else membership.districts.all()
        for district in districts:
            wanted.add(team_get_or_create(organisation=membership.organisation, district=district).group_id)
        # Anyone on the front line may work a citywide on-call shift; supervisors are the last queue of a chain.
        if membership.role in FRONTLINE_PARTNER_ROLES:
            team = team_get_or_create(organisation=membership.organisation, kind=Team.Kind.ON_CALL)
            wanted.add(team.group_id)
            # A worker posted with a citywide police unit (YVSF, School Police...) answers that unit's queue.
            for unit in membership.units.all():
                wanted.add(team_get_or_create(organisation=membership.organisation, unit=unit).group_id)
        if membership.role in SUPERVISOR_ROLES & PARTNER_ROLES:
            team = team_get_or_create(organisation=membership.organisation, kind=Team.Kind.SUPERVISORS)
            wanted.add(team.group_id)
    current = set(user.groups.filter(_managed_groups()).values_list("pk", flat=True))
    user.groups.remove(*(current - wanted))
    user.groups.add(*(wanted - current))
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])


def membership_create(
    *,
    user,
    organisation: Organisation,
    role: str,
    districts=(),
    units=(),
    all_districts: bool = False,
    granted_by=None,
    request: HttpRequest | None = None,
) -> Membership:
    """Create or update a membership. With ``granted_by`` (an administrator acting), a privileged role waits for a
    second administrator (``membership_grant_record``). Without it, the membership is set up in force: that is for
    seeding only (the demo, the tests, a first deployment's set-up), where no administrator acts."""
    with transaction.atomic():
        membership, _ = Membership.objects.update_or_create(
            user=user,
            organisation=organisation,
            role=role,
            defaults={"all_districts": all_districts, "is_active": True},
        )
        membership.districts.set(districts)
        membership.units.set(units)
        if granted_by is not None:
            membership_grant_record(membership=membership, actor=granted_by, request=request, changed=PRIVILEGED_FIELDS)
        membership_sync_groups(user=user)
    return membership


# --- two-step sign-in (accounts.mfa says who needs it) ---------------------------------------------------------------


class CodeCheck:
    """What ``mfa_code_check`` found: ``device`` on success; else why not (``throttled_seconds``, ``locked``)."""

    def __init__(self, *, device=None, throttled_seconds: int = 0, locked: bool = False, recovery: bool = False):
        self.device = device
        self.throttled_seconds = throttled_seconds
        self.locked = locked
        self.recovery = recovery


def _normalised_code(code: str) -> str:
    return "".join(str(code).split()).replace("-", "").lower()[:32]


def mfa_recovery_codes_replace(*, user, request=None, actor=None, audit: bool = True) -> list[str]:
    """Ten new single-use recovery codes for ``user``; the earlier ones stop working. The codes are returned to be
    shown once and are not kept anywhere else in readable form but django-otp's token table."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        codes = []
        while len(codes) < RECOVERY_CODE_COUNT:
            code = StaticToken.random_token()
            if code not in codes:
                codes.append(code)
        StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
        if audit:
            security_event_record(
                kind=SecurityEvent.Kind.RECOVERY_CODES_REPLACED, request=request, user=user, actor=actor
            )
    return codes


def mfa_enrollment_device(*, user):
    """The not yet confirmed authenticator an enrolment shows: the same key on every reload until it is confirmed."""
    device = pending_totp_device(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def mfa_enroll_confirm(*, user, code: str, request=None):
    """Confirm the enrolment with a code from the app: the device, and the first recovery codes; (None, []) if the
    code is wrong or there is nothing to confirm."""
    code = _normalised_code(code)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            return None, []
        if not (code.isascii() and code.isdigit() and len(code) == device.digits) or not device.verify_token(code):
            return None, []
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = mfa_recovery_codes_replace(user=user, request=request, audit=False)
        security_event_record(kind=SecurityEvent.Kind.MFA_ENROLLED, request=request, user=user)
    return device, codes


def _mfa_failures_since_last_success(user) -> int:

    since = timezone.now() - timedelta(minutes=settings.HANDOFF_LOCKOUT_WINDOW_MINUTES)
    fresh_start = (
        SecurityEvent.objects.filter(user=user, kind__in=SecurityEvent.MFA_FRESH_START, at__gte=since)
        .order_by("-at", "-pk")
        .values_list("at", flat=True)
        .first()
    )
    failures = SecurityEvent.objects.filter(user=user, kind=SecurityEvent.Kind.MFA_FAILED, at__gte=fresh_start or since)
    return failures.count()


def _lock_account(*, user, request, failures: int) -> None:
    """The same lock as repeated wrong passwords (django-axes' attempt row at the limit): sign-in is refused until an
    administrator releases it, with the admin's audited release."""
    AccessAttempt.objects.update_or_create(
        username=user.get_username(),
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:USER_AGENT_LENGTH],
        defaults={
            "http_accept": "",
            "path_info": (request.path if request else "")[:255],
            "get_data": "",
            "post_data": "",
            "failures_since_start": settings.AXES_FAILURE_LIMIT,
        },
    )
    security_event_record(
        kind=SecurityEvent.Kind.LOCKED_OUT,
        request=request,
        user=user,
        detail=f"{failures} wrong two-step sign-in codes",
    )


def mfa_code_check(*, user, code: str, request=None) -> CodeCheck:
    """Check a code typed at the second step: six digits from the authenticator app, or a recovery code (used up by
    this). Every wrong code is audited and counts: django-otp slows each device down (1, 2, 4... seconds between
    tries), and ``AXES_FAILURE_LIMIT`` wrong codes within the lockout window lock the account as wrong passwords do."""
    if is_locked_out(user.get_username()):
        return CodeCheck(locked=True)
    code = _normalised_code(code)
    recovery = not (code.isascii() and code.isdigit() and len(code) == 6)
    model = StaticDevice if recovery else TOTPDevice
    devices = list(model.objects.filter(user=user, confirmed=True).order_by("pk"))
    throttled, checked = 0, False
    for device in devices:
        allowed, why = device.verify_is_allowed()
        if not allowed:
            until = (why or {}).get("locked_until")
            throttled = max(throttled, int((until - timezone.now()).total_seconds()) + 1 if until else 1)
            continue
        checked = True
        if code and verify_token(user, device.persistent_id, code) is not None:
            if recovery:
                security_event_record(
                    kind=SecurityEvent.Kind.RECOVERY_CODE_USED,
                    request=request,
                    user=user,
                    detail=f"{recovery_codes_left(user)} recovery codes left",
                )
            else:
                security_event_record(kind=SecurityEvent.Kind.MFA_VERIFIED, request=request, user=user)
            return CodeCheck(device=device, recovery=recovery)
    if devices and not checked:
        return CodeCheck(throttled_seconds=throttled)  # nothing was tried: no guess was spent
    security_event_record(
        kind=SecurityEvent.Kind.MFA_FAILED,
        request=request,
        user=user,
        detail="a recovery code did not match" if recovery else "an authenticator code did not match",
    )
    failures = _mfa_failures_since_last_success(user)
    if failures >= settings.AXES_FAILURE_LIMIT:
        _lock_account(user=user, request=request, failures=failures)
        return CodeCheck(locked=True)
    return CodeCheck()


def mfa_devices_reset(*, user, actor, request=None) -> int:
    """An administrator removes every second-factor device of ``user`` (a lost phone): their next sign-in sets one
    up again, and a session verified with the old device is asked again at its next request. Audited."""
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
        removed += StaticDevice.objects.filter(user=user).delete()[1].get(StaticDevice._meta.label, 0)
        security_event_record(
            kind=SecurityEvent.Kind.MFA_RESET,
            request=request,
            user=user,
            actor=actor,
            detail=f"two-step sign-in reset by {actor.get_username()}",
        )
    return removed


# --- privileged grants: a second administrator confirms ------------------------------------------------------------


class GrantRefused(Exception):
    """An administrator may not confirm or refuse this grant (their own, or one to themselves, or none pending)."""


def needs_confirmation(membership: Membership, changed) -> bool:
    """A privileged membership in force whose grant touched what it opens (not a callback number) waits again."""
    return membership.role in PRIVILEGED_ROLES and membership.is_active and bool(set(changed) & PRIVILEGED_FIELDS)


def _describe(membership: Membership) -> str:
    return f"{membership.get_role_display()}, {membership.organisation} (membership {membership.pk})"


@transaction.atomic
def membership_grant_record(*, membership: Membership, actor, changed, request: HttpRequest | None = None) -> bool:
    """After an administrator saved ``membership`` (``changed``: the fields they touched): a privileged grant is
    made pending, so it opens nothing until a different administrator confirms it, and a SecurityEvent says who
    granted what to whom. Returns whether it is now pending. Call it before ``membership_sync_groups``."""
    if not needs_confirmation(membership, changed):
        return False
    Membership.objects.filter(pk=membership.pk).update(
        pending=True, granted_by=actor, granted_at=timezone.now(), confirmed_by=None, confirmed_at=None
    )
    membership.refresh_from_db(fields=["pending", "granted_by", "granted_at", "confirmed_by", "confirmed_at"])
    security_event_record(
        kind=SecurityEvent.Kind.MEMBERSHIP_GRANTED,
        request=request,
        user=membership.user,
        actor=actor,
        detail=f"{_describe(membership)}; awaiting a second administrator",
    )
    return True


def _decidable(membership_id: int, actor) -> Membership:
    membership = (
        # Lock the membership row only: PostgreSQL refuses FOR UPDATE on the nullable side of the granter's join.
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "organisation", "granted_by")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None or not membership.pending:
        raise GrantRefused("That membership is not waiting for confirmation.")
    if not (actor.is_active and actor.is_staff and actor.has_perm("accounts.change_membership")):
        raise GrantRefused("Only an administrator confirms or refuses a grant.")
    if actor.pk == membership.granted_by_id:
        raise GrantRefused("A second administrator confirms a grant, not the one who made it.")
    if actor.pk == membership.user_id:
        raise GrantRefused("Nobody confirms or refuses a grant to themselves.")
    return membership


@transaction.atomic
def membership_grant_confirm(*, membership: Membership, actor, request: HttpRequest | None = None) -> Membership:
    """A second administrator confirms a pending grant: from now on it opens what its role and districts open."""
    membership = _decidable(membership.pk, actor)
    membership.pending = False
    membership.confirmed_by = actor
    membership.confirmed_at = timezone.now()
    membership.save(update_fields=["pending", "confirmed_by", "confirmed_at"])
    security_event_record(
        kind=SecurityEvent.Kind.MEMBERSHIP_CONFIRMED,
        request=request,
        user=membership.user,
        actor=actor,
        detail=f"{_describe(membership)}; granted by {membership.granted_by}",
    )
    membership_sync_groups(user=membership.user)
    return membership


@transaction.atomic
def membership_grant_refuse(*, membership: Membership, actor, request: HttpRequest | None = None) -> Membership:
    """A second administrator refuses a pending grant: it stays on record, inactive, and opens nothing."""
    membership = _decidable(membership.pk, actor)
    membership.pending = False
    membership.is_active = False
    membership.save(update_fields=["pending", "is_active"])
    security_event_record(
        kind=SecurityEvent.Kind.MEMBERSHIP_REFUSED,
        request=request,
        user=membership.user,
        actor=actor,
        detail=f"{_describe(membership)}; granted by {membership.granted_by}",
    )
    membership_sync_groups(user=membership.user)
    return membership
