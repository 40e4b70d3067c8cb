"""Account lockout (CJIS AC-7) on django-axes: 5 failed sign-ins within 15 minutes lock the username until an
administrator releases it.

Per username, not per address: officers sign in from district stations behind one NAT address, so locking an
address would lock a whole station out after one person's typos, and an attacker with many addresses would never be
locked. The cost of per-username locking: anyone can lock an account by failing five times; an administrator
releases it. A lock blocks new sign-ins only: a session the account already holds goes on (an attacker guessing a
password must not sign an officer out mid-shift).

axes counts a username's failures until a success resets them, and with no cool-off (the lock lasts until released)
it never forgets them; the window is added here: failures more than ``HANDOFF_LOCKOUT_WINDOW_MINUTES`` old are
forgotten before a new one is counted, unless they have already locked the account.
"""

from __future__ import annotations

from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.audit import existing_user, security_event_record
from accounts.models import SecurityEvent
from accounts.sso import providers_enabled

LOCKED_MESSAGE = "This account is locked after repeated failed sign-ins. Ask your administrator to release it."


class HandoffAxesHandler(AxesDatabaseHandler):
    """axes' database handler, with failures counted within a sliding window until they lock the account."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None and not getattr(request, "axes_locked_out", False):
            username = get_client_username(request, credentials)
            if username is not None:
                _forget_stale_failures(username)
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        # A provider's sign-in (accounts.sso) is no password: it does not reset the password failures, so a lock
        # stays until an administrator releases it (and the lock does not refuse the provider's sign-in either).
        if getattr(request, "signed_in_through", None) is not None:
            return None
        return super().user_logged_in(sender, request, user, **kwargs)


def _forget_stale_failures(username: str) -> None:
    attempts = AccessAttempt.objects.filter(username=username)
    failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
    if failures >= settings.AXES_FAILURE_LIMIT:
        return  # locked: only an administrator's release clears it
    threshold = timezone.now() - timedelta(minutes=settings.HANDOFF_LOCKOUT_WINDOW_MINUTES)
    attempts.filter(attempt_time__lt=threshold).delete()


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The sign-in page again, saying the account is locked (axes' AXES_LOCKOUT_CALLABLE).

    The form is unbound: binding it would run authenticate again, and count one more failure.
    """
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    context = {"form": form, "locked_out": True, "locked_message": LOCKED_MESSAGE, "next": request.POST.get("next", "")}
    # A provider's sign-in is not a password: the lock does not close it (accounts.sso).
    context["identity_providers"] = list(providers_enabled())
    return render(request, "registration/login.html", context, status=403)


def is_locked_out(username: str) -> bool:
    total = AccessAttempt.objects.filter(username=username).aggregate(total=Sum("failures_since_start"))["total"]
    return (total or 0) >= settings.AXES_FAILURE_LIMIT


def lockout_release(*, username: str, actor, request: HttpRequest | None = None) -> bool:
    """Clear the username's failed sign-ins, so it may sign in again; audited. False if it was not locked."""
    with transaction.atomic():
        was_locked = is_locked_out(username)
        AccessAttempt.objects.filter(username=username).delete()
        if was_locked:
            security_event_record(
                kind=SecurityEvent.Kind.LOCKOUT_RELEASED,
                request=request,
                user=existing_user(username),
                actor=actor,
                username=username,
                detail=f"released by {actor.get_username()}",
            )
    return was_locked


USERNAME_LENGTH = 150  # Django's username column; axes keeps 255, and PostgreSQL refuses longer (a 500)


def attempted_username(request, credentials=None) -> str | None:
    """The username a sign-in tried, as axes counts it: cut to a username's length, so a pasted novel is counted as
    its first 150 characters instead of failing the insert (the fuzz found that 500 on PostgreSQL)."""
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get("username")
    return username[:USERNAME_LENGTH] if isinstance(username, str) else username
