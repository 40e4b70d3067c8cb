"""Two-step sign-in (a TOTP authenticator app, and single-use recovery codes): who needs it, and where a session is.

One place decides who must use a second factor (``mfa_required``); the middleware (accounts.middleware), the live
socket (notifications.consumers) and the sign-in helpers of the tests all ask here.

- Always: every partner role (clinicians, youth and outreach workers and their supervisors), Hub coordinators and
  Hub agency members (a chosen agency's members see names at Filter 3), administrators, and staff or superusers.
- Police (officers, police supervisors): when they signed in with a Handoff password; not when they signed in
  through their department's identity provider and it did the second factor itself (the single sign-on sets
  ``IDP_MFA_SESSION_KEY`` in the session at that sign-in).
- Analysts: not required. They see only suppressed aggregates, never a name or a clinical detail (DESIGN.md);
  an analyst may enrol, and once enrolled verifies at every sign-in like anyone else.
- Anyone with a confirmed device verifies, whether required or not (an officer who enrolled voluntarily).
"""

from __future__ import annotations

from base64 import b32encode

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import PARTNER_ROLES, POLICE_ROLES, Role
from accounts.selectors import memberships_of

# Set by the identity-provider sign-in (SSO) when the provider itself asked for a second factor.
IDP_MFA_SESSION_KEY = "signed_in_with_idp_mfa"
ALWAYS_ROLES = PARTNER_ROLES | {Role.HUB_COORDINATOR, Role.HUB_MEMBER, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER}
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10


class State:
    """Where a signed-in session stands with its second factor."""

    DONE = "done"  # verified, or nobody asks this session for a second factor
    VERIFY = "verify"  # has a device: must enter a code from it (or a recovery code)
    ENROLL = "enroll"  # needs a second factor and has none yet: must set one up


def mfa_required(user, session) -> bool:
    """Must this signed-in session pass a second factor even if the user never set one up?"""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    roles = {membership.role for membership in memberships_of(user)}
    if roles & ALWAYS_ROLES:
        return True
    if roles & POLICE_ROLES:
        return not (session is not None and session.get(IDP_MFA_SESSION_KEY) is True)
    return False


def confirmed_totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_totp_device(user) -> TOTPDevice | None:
    """The authenticator an enrolment has shown and not yet had confirmed."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()


def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def verified_device(user, session) -> Device | None:
    """The confirmed device of ``user`` this session was verified with, if any (what django-otp's middleware does
    for a request, for places without a request: the websocket's scope)."""
    if session is None or not user.is_authenticated:
        return None
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return None
    device = Device.from_persistent_id(persistent_id)
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device


def session_state(user, session, *, verified: bool | None = None) -> str:
    """DONE, VERIFY or ENROLL. ``verified``: what django-otp's middleware already found, to save a query."""
    if not user.is_authenticated:
        return State.DONE
    if verified is None:
        verified = verified_device(user, session) is not None
    if verified:
        return State.DONE
    if has_confirmed_device(user):
        return State.VERIFY
    return State.ENROLL if mfa_required(user, session) else State.DONE


def recovery_codes_left(user) -> int:
    device = StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).first()
    return device.token_set.count() if device else 0


def secret_text(device: TOTPDevice) -> str:
    """The key as authenticator apps take it typed in: base32, in groups of four."""
    text = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
