"""The security audit log: one service others call, and the receivers of auth's own sign-in signals.

``security_event_record`` takes no credentials: what a row says is a kind, the account, the username given, where
the request came from and a few plain words. A password, a token or a reset link never reaches it.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from accounts.models import SecurityEvent

USER_AGENT_LENGTH = SecurityEvent._meta.get_field("user_agent").max_length
DETAIL_LENGTH = SecurityEvent._meta.get_field("detail").max_length
USERNAME_LENGTH = SecurityEvent._meta.get_field("username").max_length


def client_ip(request: HttpRequest | None) -> str | None:
    """The address the request came from: the socket's peer, or behind our TLS proxy the address that proxy added.

    Only the right-most X-Forwarded-For entry is the proxy's own; anything left of it is what the client claimed.
    Also django-axes' AXES_CLIENT_IP_CALLABLE, so the lockout and the audit log agree.
    """
    if request is None:
        return None
    candidate = request.META.get("REMOTE_ADDR", "")
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            candidate = forwarded[-1]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def security_event_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    user=None,
    actor=None,
    username: str = "",
    detail: str = "",
) -> SecurityEvent:
    """Write one security event. ``user`` is the account concerned; ``actor`` whoever acted on it, if not its holder."""
    if user is not None and not username:
        username = user.get_username()
    user_agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    return SecurityEvent.objects.create(
        kind=SecurityEvent.Kind(kind),
        user=user,
        actor=actor,
        username=(username or "")[:USERNAME_LENGTH],
        ip_address=client_ip(request),
        user_agent=user_agent[:USER_AGENT_LENGTH],
        detail=detail[:DETAIL_LENGTH],
    )


def existing_user(username: str):
    if not username:
        return None
    User = get_user_model()
    return User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()


# --- receivers of django.contrib.auth's signals and django-axes' lockout signal (connected in AccountsConfig) ------


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    provider = getattr(request, "signed_in_through", None)  # accounts.sso: a provider's sign-in, not a password
    detail = f"single sign-on through {provider.name}" if provider is not None else ""
    security_event_record(kind=SecurityEvent.Kind.LOGIN_SUCCEEDED, request=request, user=user, detail=detail)


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    if user is None:
        return  # a sign-out posted without a session (auth sends the signal anyway): nobody signed out
    security_event_record(kind=SecurityEvent.Kind.LOGGED_OUT, request=request, user=user)


def on_user_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # auth has already replaced the password in `credentials` with stars; only the username is read here.
    username = str(credentials.get(get_user_model().USERNAME_FIELD, "") or "")
    # axes marks a request it refused because the account is locked, and counts failures only for the others.
    refused = getattr(request, "axes_locked_out", False) and getattr(request, "axes_failures_since_start", None) is None
    security_event_record(
        kind=SecurityEvent.Kind.LOGIN_FAILED,
        request=request,
        user=existing_user(username),
        username=username,
        detail="refused: the account is locked" if refused else "username and password did not match",
    )


def on_user_locked_out(sender, request, username, **kwargs) -> None:
    # axes sends this for the failure that reached the limit and again for each attempt refused while locked;
    # only the first has counted its failures.
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    security_event_record(
        kind=SecurityEvent.Kind.LOCKED_OUT,
        request=request,
        user=existing_user(username or ""),
        username=username or "",
        detail=f"{request.axes_failures_since_start} failed sign-ins",
    )
