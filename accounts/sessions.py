"""Session limits: how long a sign-in lasts, what ends it, and who is told so its live sockets close.

A sign-in ends
- after a time without activity: ``SESSION_IDLE_MINUTES``, or the shortest of the person's active roles in
  ``SESSION_IDLE_MINUTES_BY_ROLE``, or ``SESSION_SHARED_DEVICE_IDLE_MINUTES`` if the person ticked "shared device"
  when signing in and that is shorter. Worked out once, at sign-in, and kept in the session;
- ``SESSION_COOKIE_AGE`` seconds after signing in, however active (the stored session's expiry is a fixed moment
  shortly after, STORE_GRACE_SECONDS, so that saving it on activity never pushes its end away);
- at "log out" (that session only), "log out everywhere", a password change, or the account's deactivation (every
  session of the account: their rows are deleted).

Activity is a request the person made. A request the page made by itself (a slow poll, a re-fetch after a live hint)
carries ``X-Handoff-Background: 1`` (static/js/handoff.js) and does not count; the header can only shorten a sign-in.

The live sockets belong to the notifications app, above this one: this module never imports it. It sends two
signals that app listens to, after the change is committed: ``session_ended`` (close the sockets of one session,
by its key) and ``account_sessions_changed`` (close every socket of one account). A socket also looks at its own
session (``session_seconds_left``) at its deadlines and every ``SESSION_SOCKET_RECHECK_SECONDS``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.checks import Error, register
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.audit import security_event_record
from accounts.models import AccountSession, Membership, Role, SecurityEvent

SIGNED_IN_AT = "_handoff_signed_in_at"
LAST_ACTIVITY = "_handoff_last_activity"
IDLE_SECONDS = "_handoff_idle_seconds"
SHARED_DEVICE = "_handoff_shared_device"
BACKGROUND_HEADER = "X-Handoff-Background"

IDLE = "idle"
ABSOLUTE = "absolute"
# The stored session outlives its absolute limit by this much, so the request that comes after the limit still finds
# it, and can say why the person was signed out (the limits refuse it all the same).
STORE_GRACE_SECONDS = 10 * 60

# Sent after commit. notifications (AppConfig.ready) turns them into websocket group messages.
session_ended = Signal()  # session_key: close this session's sockets now
account_sessions_changed = Signal()  # user_id: close every socket of this account now


def _now() -> float:
    return timezone.now().timestamp()


def duration_text(seconds: float) -> str:
    """``1800`` -> "30 minutes", ``43200`` -> "12 hours", ``5`` -> "5 seconds"."""
    seconds = round(seconds)
    for size, unit in ((3600, "hour"), (60, "minute"), (1, "second")):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def idle_seconds_for(user, *, shared_device: bool) -> int:
    """The idle limit of ``user``'s sign-in: the shortest of their active roles', and of a shared device's."""
    by_role = settings.SESSION_IDLE_MINUTES_BY_ROLE
    roles = set(
        Membership.objects.filter(user=user, is_active=True, pending=False, organisation__is_active=True).values_list(
            "role", flat=True
        )
    )
    minutes = min((by_role.get(role, settings.SESSION_IDLE_MINUTES) for role in roles), default=None)
    if minutes is None:
        minutes = settings.SESSION_IDLE_MINUTES
    if shared_device:
        minutes = min(minutes, settings.SESSION_SHARED_DEVICE_IDLE_MINUTES)
    return max(1, round(minutes * 60))


def session_start(session, user, *, shared_device: bool) -> None:
    """Stamp a new sign-in: when it began, its idle limit, and its hard end ``SESSION_COOKIE_AGE`` from now."""
    now = _now()
    session[SIGNED_IN_AT] = now
    session[LAST_ACTIVITY] = now
    session[IDLE_SECONDS] = idle_seconds_for(user, shared_device=shared_device)
    session[SHARED_DEVICE] = bool(shared_device)
    # A fixed moment, not an age: saving the session (each activity) must not push its end further away.
    session.set_expiry(datetime.fromtimestamp(now + settings.SESSION_COOKIE_AGE + STORE_GRACE_SECONDS, tz=UTC))


def limits_verdict(data: Mapping, now: float) -> tuple[str, float]:
    """``("", seconds left)`` while a session is within its idle and absolute limits, ``(IDLE | ABSOLUTE, 0)`` after."""
    try:
        signed_in = float(data[SIGNED_IN_AT])
        last = float(data[LAST_ACTIVITY])
        idle = float(data[IDLE_SECONDS])
    except (KeyError, TypeError, ValueError):
        return "", math.inf  # not stamped (made outside a sign-in): the middleware stamps it at its next request
    absolute_left = signed_in + settings.SESSION_COOKIE_AGE - now
    idle_left = last + idle - now
    if absolute_left <= 0:
        return ABSOLUTE, 0
    if idle_left <= 0:
        return IDLE, 0
    return "", min(absolute_left, idle_left)


def is_background(request: HttpRequest) -> bool:
    return request.headers.get(BACKGROUND_HEADER) == "1"


def session_touch(request: HttpRequest) -> str:
    """For a signed-in request: the limit it is past (IDLE or ABSOLUTE), or "" after noting the activity."""
    session = request.session
    if SIGNED_IN_AT not in session:
        session_start(session, request.user, shared_device=False)
        return ""
    now = _now()
    reason, _ = limits_verdict(session, now)
    if reason:
        return reason
    if not is_background(request):
        # Written at most every minute (sooner for a short limit): a session row is not rewritten per request.
        step = min(60.0, float(session[IDLE_SECONDS]) / 10)
        if now - float(session[LAST_ACTIVITY]) >= step:
            session[LAST_ACTIVITY] = now
    return ""


def _after_commit_session_ended(session_key: str) -> None:
    transaction.on_commit(
        lambda: session_ended.send(sender=AccountSession, session_key=session_key),
        robust=True,
    )


def _after_commit_account_sessions_changed(user_id: int) -> None:
    transaction.on_commit(
        lambda: account_sessions_changed.send(sender=AccountSession, user_id=user_id),
        robust=True,
    )


def session_expire(request: HttpRequest, reason: str) -> HttpResponse:
    """End a sign-in past its limit: audit it, close its sockets, say why on the sign-in page."""
    session = request.session
    if reason == IDLE:
        limit = duration_text(float(session.get(IDLE_SECONDS, 0)))
        detail = f"no activity for {limit}"
        text = f"You were signed out after {limit} without activity. Sign in again to go on."
    else:
        limit = duration_text(settings.SESSION_COOKIE_AGE)
        detail = f"{limit} after signing in"
        text = f"You were signed out: a sign-in lasts at most {limit}. Sign in again to go on."
    security_event_record(kind=SecurityEvent.Kind.SESSION_EXPIRED, request=request, user=request.user, detail=detail)
    if session.session_key:
        _after_commit_session_ended(session.session_key)
    session.flush()
    request.user = AnonymousUser()
    messages.info(request, text)
    login_url = resolve_url(settings.LOGIN_URL)
    if request.headers.get("HX-Request") == "true":
        # htmx would swap a redirect's page into a fragment: it goes to the sign-in page as a whole instead.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = login_url
        return response
    if request.method == "GET":
        return redirect_to_login(request.get_full_path(), login_url)
    return HttpResponseRedirect(login_url)  # what was posted is not done, nor carried over the sign-in


def account_sessions_end(*, user, keep_session_key: str | None = None) -> int:
    """Delete every session of ``user`` (but ``keep_session_key``) and close their sockets; how many ended."""
    ended = AccountSession.objects.filter(user_id=user.pk)
    if keep_session_key:
        ended = ended.exclude(session_key=keep_session_key)
    count, _ = ended.delete()
    _after_commit_account_sessions_changed(user.pk)
    return count


def session_seconds_left(session_key: str, user_id: int) -> float:
    """For an open socket: how long its session still has (0: it has ended, by any of the ways above).

    Reads the session store and the account, as ``django.contrib.auth.get_user`` does for a request: the row must
    exist and be unexpired, name this account, the account must be active, and its password unchanged since.
    """
    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore(session_key)
    data = store.load()
    if not data or str(data.get(SESSION_KEY)) != str(user_id):
        return 0
    user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
    if user is None or not constant_time_compare(str(data.get(HASH_SESSION_KEY, "")), user.get_session_auth_hash()):
        return 0
    now = _now()
    reason, left = limits_verdict(data, now)
    if reason:
        return 0
    expiry = data.get("_session_expiry")
    if expiry is not None:
        left = min(left, store.get_expiry_age(expiry=expiry))
    else:
        # An age counted from the last save: the stored row says when that was.
        row = AccountSession.objects.filter(session_key=session_key).values_list("expire_date", flat=True).first()
        left = min(left, (row - timezone.now()).total_seconds() if row else 0)
    return max(0.0, left)


# --- receivers (connected in AccountsConfig.ready): auth's sign-in and sign-out, and the account's own saves -------


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    shared = request.method == "POST" and request.POST.get("shared_device") in {"1", "on", "true"}
    session_start(session, user, shared_device=shared)


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    # Sent before auth flushes the session: the key is still the one this browser's sockets were opened with.
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        _after_commit_session_ended(session.session_key)


def on_user_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    """A deactivated account or a new password ends every session of the account (the one changing its own password
    keeps its sign-in: auth's ``update_session_auth_hash`` saves it again under a new key right after)."""
    if created:
        return
    # AbstractBaseUser.set_password keeps the new password in ``_password`` until the save that stores it.
    password_changed = getattr(instance, "_password", None) is not None
    if instance.is_active and not password_changed:
        return
    count = account_sessions_end(user=instance)
    if count:
        why = "the account was deactivated" if not instance.is_active else "the password was changed"
        security_event_record(
            kind=SecurityEvent.Kind.SESSIONS_ENDED, user=instance, detail=f"{count} session(s) ended: {why}"
        )


@register()
def check_session_settings(app_configs, **kwargs) -> list[Error]:
    """SESSION_IDLE_MINUTES_BY_ROLE names roles that exist (settings cannot import the Role list to check it)."""
    unknown = sorted(set(settings.SESSION_IDLE_MINUTES_BY_ROLE) - set(Role.values))
    if unknown:
        return [
            Error(
                f"SESSION_IDLE_MINUTES_BY_ROLE names no such role: {', '.join(unknown)}",
                hint=f"Roles: {', '.join(Role.values)}",
                id="accounts.E001",
            )
        ]
    return []
