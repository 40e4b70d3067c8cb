from __future__ import annotations

from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode

from accounts import sessions
from accounts.mfa import State, session_state


class NoStoreForSignedInMiddleware:
    """Signed-in pages can carry clinical or identifying details: no browser or proxy may keep a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, no_cache=True, must_revalidate=True, private=True)
        return response


class SessionLimitsMiddleware:
    """A signed-in request past its sign-in's idle or absolute limit is signed out and sent to the sign-in page with
    the reason; any other counts as activity unless the page sent it by itself (accounts/sessions.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            reason = sessions.session_touch(request)
            if reason:
                return sessions.session_expire(request, reason)
        return self.get_response(request)


class SecondFactorMiddleware:
    """A signed-in session that still owes its second factor (accounts.mfa) reaches only the two-step pages and
    signing out: every other request goes to verify (has a device) or enrol (needs one, has none), for every method,
    so nothing is shown or changed before the second step. The websocket refuses such a session too
    (notifications.consumers)."""

    OPEN = frozenset(
        {
            "accounts:mfa_verify",
            "accounts:mfa_enroll",
            "login",
            "logout",
            "healthz",
            "notifications:hint_relay",  # server-to-server, signed; no session
        }
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.resolver_match is not None and request.resolver_match.view_name in self.OPEN:
            return None
        state = session_state(user, request.session, verified=user.is_verified())
        if state == State.DONE:
            return None
        target = reverse("accounts:mfa_verify" if state == State.VERIFY else "accounts:mfa_enroll")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
