"""Single sign-on through OpenID Connect: starting a sign-in, finding whom a provider's answer names, signing them in.

No self-registration: a provider signs a person into an existing, active Handoff account with an active membership
in the provider's organisation, or not at all. The account is found by the link (provider, ``sub``) once linked;
the first time, by the provider's verified email matching exactly one such account (the link is then recorded), or
an administrator links it beforehand in the admin. Anything else is refused: nothing is created, and the security
log says why (with the provider's subject, so an administrator can link it).

Whether the provider vouches for a second factor (``MFA_SESSION_KEY`` in the session): yes when the administrator
marked the provider as enforcing MFA, or when the ID token's ``amr`` claim (RFC 8176) lists ``mfa``. ``acr`` values
are each provider's own vocabulary and are not read.
"""

from __future__ import annotations

import time

from django.contrib import auth
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.audit import security_event_record
from accounts.models import IdentityLink, IdentityProvider, SecurityEvent

MFA_SESSION_KEY = "signed_in_with_idp_mfa"
SESSION_STATES = "sso_states"
STATE_MAX_AGE_SECONDS = 10 * 60
PENDING_LIMIT = 5  # sign-ins started and not finished, per session (several tabs); the oldest is dropped
MFA_AMR_VALUES = frozenset({"mfa"})
SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"  # loads the signed-in user on later requests

NOT_AVAILABLE = (
    "That sign-in provider is not available. Sign in with your username and password, or ask your administrator."
)
STALE = "This sign-in was not started here or has expired. Start again from the sign-in page."


class SsoRefused(Exception):
    def __init__(self, message: str, *, reason: str, status: int = 403, user=None):
        super().__init__(reason)
        self.message = message  # for the person
        self.reason = reason  # for the security log
        self.status = status
        self.user = user


def providers_enabled():
    """The providers the sign-in page offers: enabled, fully configured, of an active organisation."""
    return (
        IdentityProvider.objects.filter(is_enabled=True, organisation__is_active=True)
        .exclude(authorization_endpoint="")
        .exclude(token_endpoint="")
        .exclude(jwks_uri="")
        .select_related("organisation")
        .order_by("name")
    )


def provider_enabled(slug: str) -> IdentityProvider | None:
    return providers_enabled().filter(slug=slug).first()


def sso_pending_add(*, request: HttpRequest, provider: IdentityProvider, pending: dict, next_url: str) -> None:
    """Remember a started sign-in in the session: what the callback checks the provider's answer against."""
    states = dict(request.session.get(SESSION_STATES) or {})
    states[pending["state"]] = {
        "provider": provider.slug,
        "nonce": pending["nonce"],
        "code_verifier": pending["code_verifier"],
        "next": next_url,
        "at": time.time(),
    }
    newest = sorted(states.items(), key=lambda item: item[1]["at"])[-PENDING_LIMIT:]
    request.session[SESSION_STATES] = dict(newest)


def sso_pending_take(*, request: HttpRequest, state) -> dict | None:
    """The started sign-in this state names, removed from the session (a state answers once); None if unknown or
    older than ``STATE_MAX_AGE_SECONDS``."""
    states = dict(request.session.get(SESSION_STATES) or {})
    if not isinstance(state, str) or state not in states:
        return None
    pending = states.pop(state)
    request.session[SESSION_STATES] = states
    if time.time() - pending.get("at", 0) > STATE_MAX_AGE_SECONDS:
        return None
    return pending


def _member_of(user, provider: IdentityProvider) -> bool:
    return (
        user.is_active
        and user.memberships.filter(
            organisation=provider.organisation, is_active=True, pending=False, organisation__is_active=True
        ).exists()
    )


NO_ACCOUNT = (
    "Handoff has no account linked to this sign-in. Nothing was created: ask your administrator to link your "
    "account, or sign in with your username and password."
)


def sso_user_for(*, provider: IdentityProvider, claims: dict):
    """The active Handoff account the provider's checked claims name, linking it on a first verified-email match."""
    subject = claims["sub"]
    link = IdentityLink.objects.select_related("user").filter(provider=provider, subject=subject).first()
    if link is not None:
        if not _member_of(link.user, provider):
            raise SsoRefused(
                f"Your account cannot sign in through {provider.name}: it is inactive, or no longer a member of "
                f"{provider.organisation}. Ask your administrator.",
                reason=f"subject {subject} is linked to an account that is inactive or not a member",
                user=link.user,
            )
        return link.user
    email = claims.get("email")
    if claims.get("email_verified") is not True or not isinstance(email, str) or not email.strip():
        raise SsoRefused(NO_ACCOUNT, reason=f"subject {subject} is not linked and has no verified email")
    User = get_user_model()
    candidates = list(
        User._default_manager.filter(
            is_active=True,
            email__iexact=email.strip(),
            memberships__organisation=provider.organisation,
            memberships__is_active=True,
            memberships__pending=False,
        ).distinct()[:2]
    )
    if len(candidates) != 1:
        raise SsoRefused(
            NO_ACCOUNT,
            reason=f"subject {subject} is not linked and its verified email matches "
            + ("no active member" if not candidates else "more than one account"),
        )
    [user] = candidates
    try:
        with transaction.atomic():
            IdentityLink.objects.create(
                provider=provider, subject=subject, user=user, method=IdentityLink.Method.VERIFIED_EMAIL
            )
            security_event_record(
                kind=SecurityEvent.Kind.SSO_LINKED,
                user=user,
                detail=f"{provider.name}, subject {subject}, by its verified email at the first sign-in",
            )
    except IntegrityError:
        # The account already has another subject at this provider: an administrator decides which is right.
        raise SsoRefused(
            NO_ACCOUNT, reason=f"subject {subject}: the matching account is linked to another subject", user=user
        ) from None
    return user


def idp_vouches_for_mfa(*, provider: IdentityProvider, claims: dict) -> bool:
    amr = claims.get("amr")
    return provider.enforces_mfa or (isinstance(amr, list) and any(value in MFA_AMR_VALUES for value in amr))


def sso_sign_in(*, request: HttpRequest, provider: IdentityProvider, user, claims: dict) -> None:
    """Sign the person in (a new session key, as every Handoff sign-in) and say whether the provider vouched for MFA.

    ``request.signed_in_through`` tells the audit receiver which provider, and the lockout handler that this was not
    a password: a password lockout neither refuses a provider's sign-in nor is released by it.
    """
    request.signed_in_through = provider
    auth.login(request, user, backend=SESSION_BACKEND)
    request.session[MFA_SESSION_KEY] = idp_vouches_for_mfa(provider=provider, claims=claims)


def sso_refusal_record(*, request: HttpRequest, provider: IdentityProvider | None, refusal: SsoRefused) -> None:
    where = f"single sign-on through {provider.name}" if provider is not None else "single sign-on"
    security_event_record(
        kind=SecurityEvent.Kind.LOGIN_FAILED, request=request, user=refusal.user, detail=f"{where}: {refusal.reason}"
    )
