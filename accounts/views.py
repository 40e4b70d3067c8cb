from __future__ import annotations

from functools import wraps

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login

from accounts import mfa, sso
from accounts.audit import security_event_record
from accounts.forms import SecondFactorCodeForm
from accounts.lockout import LOCKED_MESSAGE
from accounts.models import IdentityProvider, Role, SecurityEvent
from accounts.oidc import OidcError, ProviderClient, authorization_request
from accounts.roles import ROLE_HOME_URL
from accounts.selectors import memberships_of, primary_membership
from accounts.services import mfa_code_check, mfa_enroll_confirm, mfa_enrollment_device, mfa_recovery_codes_replace
from accounts.sessions import IDLE_SECONDS, SHARED_DEVICE, account_sessions_end, duration_text


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the page their role works from."""
    membership = primary_membership(request.user)
    if membership is None:
        if request.user.is_superuser:
            return redirect("admin:index")
        return redirect("accounts:role_home")
    return redirect(ROLE_HOME_URL[membership.role])


@login_required
def role_home(request: HttpRequest) -> HttpResponse:
    """Who you are in Handoff: organisations, roles, districts and units, and what you can do from here."""
    memberships = memberships_of(request.user)
    idle_seconds = float(request.session.get(IDLE_SECONDS, 0)) or settings.SESSION_IDLE_MINUTES * 60
    # URL names only: these pages belong to apps above this one.
    actions = [
        {"url": reverse("notifications:inbox"), "label": "Notifications"},
        {"url": reverse("notifications:preferences"), "label": "How notifications reach you (email, text)"},
        {"url": reverse("password_change"), "label": "Change your password"},
        {"url": reverse("accounts:mfa_settings"), "label": "Two-step sign-in (authenticator app, recovery codes)"},
    ]
    return render(
        request,
        "accounts/role_home.html",
        {
            "memberships": memberships,
            "actions": actions,
            "is_administrator": request.user.is_staff or any(m.role == Role.ADMINISTRATOR for m in memberships),
            "idle_limit": duration_text(idle_seconds),
            "absolute_limit": duration_text(settings.SESSION_COOKIE_AGE),
            "shared_device": bool(request.session.get(SHARED_DEVICE)),
        },
    )


@require_POST
@login_required
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of the account (this one too) and close all its live pages, on every device."""
    user = request.user
    count = account_sessions_end(user=user)
    security_event_record(
        kind=SecurityEvent.Kind.SESSIONS_ENDED,
        request=request,
        user=user,
        detail=f"{count} session(s) ended by the account holder",
    )
    logout(request)
    messages.success(request, "You are signed out on every device.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


# --- passwords: django.contrib.auth's views (they already mark their POST data sensitive), audited ----------------


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        security_event_record(kind=SecurityEvent.Kind.PASSWORD_CHANGED, request=self.request, user=form.user)
        return response


def password_reset_by_email_enabled(view):
    """404 unless an administrator turned password reset by email on (PASSWORD_RESET_BY_EMAIL)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.PASSWORD_RESET_BY_EMAIL:
            raise Http404("Password reset by email is off.")
        return view(request, *args, **kwargs)

    return wrapped


class PasswordResetView(auth_views.PasswordResetView):
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        # Neither the address typed nor whether it matched anyone: the page does not say, and neither does the log.
        security_event_record(kind=SecurityEvent.Kind.PASSWORD_RESET_REQUESTED, request=self.request)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        security_event_record(kind=SecurityEvent.Kind.PASSWORD_RESET, request=self.request, user=form.user)
        return response


# --- sign-in: the local form, and a button per enabled identity provider (single sign-on, accounts.sso) ----------


class LoginView(auth_views.LoginView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["identity_providers"] = list(sso.providers_enabled())
        return context


def _safe_next(request: HttpRequest) -> str:
    candidate = request.GET.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _callback_uri(request: HttpRequest, provider: IdentityProvider) -> str:
    # The redirect URI registered at the provider: this server's own address (ALLOWED_HOSTS vouches for the host).
    return request.build_absolute_uri(reverse("accounts:sso_callback", kwargs={"provider": provider.slug}))


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "registration/sso_refused.html", {"message": message}, status=status)


@require_GET
@never_cache
def sso_start(request: HttpRequest, provider: str) -> HttpResponse:
    """Send the browser to the provider's sign-in, remembering (in the session) what its answer must match."""
    chosen = sso.provider_enabled(provider)
    if chosen is None:
        return _refused(request, sso.NOT_AVAILABLE, 404)
    url, pending = authorization_request(provider=chosen, redirect_uri=_callback_uri(request, chosen))
    sso.sso_pending_add(request=request, provider=chosen, pending=pending, next_url=_safe_next(request))
    return redirect(url)


@require_GET
@never_cache
def sso_callback(request: HttpRequest, provider: str) -> HttpResponse:
    """The provider's answer: check it, find the account it names, sign in; or refuse, audited, nothing created."""
    chosen = sso.provider_enabled(provider)
    pending = sso.sso_pending_take(request=request, state=request.GET.get("state"))
    try:
        if chosen is None:
            raise sso.SsoRefused(sso.NOT_AVAILABLE, reason=f"no enabled provider {provider!r}"[:80], status=404)
        if pending is None or pending["provider"] != chosen.slug:
            raise sso.SsoRefused(sso.STALE, reason="unknown, expired or foreign state", status=400)
        if request.GET.get("error") is not None:
            raise sso.SsoRefused(
                f"{chosen.name} did not sign you in. Try again, or sign in with your username and password.",
                reason="the provider answered with an error",
            )
        code = request.GET.get("code")
        if not code or len(code) > 2048:
            raise sso.SsoRefused(sso.STALE, reason="the answer carries no usable code", status=400)
        try:
            claims = ProviderClient(chosen).claims_for_code(
                code=code,
                redirect_uri=_callback_uri(request, chosen),
                nonce=pending["nonce"],
                code_verifier=pending["code_verifier"],
            )
        except OidcError as exc:
            raise sso.SsoRefused(
                f"The sign-in through {chosen.name} could not be completed. Try again, or sign in with your "
                "username and password.",
                reason=str(exc),
            ) from None
        user = sso.sso_user_for(provider=chosen, claims=claims)
    except sso.SsoRefused as refusal:
        sso.sso_refusal_record(request=request, provider=chosen, refusal=refusal)
        return _refused(request, refusal.message, refusal.status)
    sso.sso_sign_in(request=request, provider=chosen, user=user, claims=claims)
    return redirect(pending["next"] or "home")


# --- two-step sign-in: verify, enrol, recovery codes (accounts.mfa decides who needs it) ----------------------------


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def _second_step_passed(request: HttpRequest, device) -> None:
    # A new session key for the verified session, as at the password step: a key that was seen (or planted) before
    # the second factor is worth nothing after it.
    request.session.cycle_key()
    otp_login(request, device)


def _with_next(name: str, request: HttpRequest) -> str:
    return f"{reverse(name)}?{urlencode({'next': _next_url(request)})}"


@login_required
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The second step of sign-in: a code from the authenticator app, or a recovery code."""
    state = mfa.session_state(request.user, request.session, verified=request.user.is_verified())
    if state == mfa.State.DONE:
        return redirect(_next_url(request))
    if state == mfa.State.ENROLL:
        return redirect(_with_next("accounts:mfa_enroll", request))
    form = SecondFactorCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            check = mfa_code_check(user=request.user, code=form.cleaned_data["code"], request=request)
            if check.device is not None:
                _second_step_passed(request, check.device)
                if check.recovery:
                    left = mfa.recovery_codes_left(request.user)
                    messages.warning(
                        request,
                        f"You signed in with a recovery code; {left} left. Make new ones from Two-step sign-in "
                        "on your home page if you are running low or have lost your phone.",
                    )
                return redirect(_next_url(request))
            if check.locked:
                logout(request)
                messages.error(request, LOCKED_MESSAGE)
                return redirect("login")
            if check.throttled_seconds:
                form.add_error(None, f"Too many tries. Wait {check.throttled_seconds} seconds, then type the new code.")
                status = 429
            else:
                # 200, as the sign-in page answers a wrong password: the refusal was recorded (the audit log, the
                # device's slow-down), which a 4xx must not do.
                form.add_error("code", "That code did not match. Type the code showing now, or a recovery code.")
    context = {"form": form, "next": _next_url(request), "mfa_pending": True}
    return render(request, "accounts/mfa_verify.html", context, status=status)


@login_required
def mfa_enroll(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), confirm with a code, keep the recovery codes."""
    if mfa.has_confirmed_device(request.user):
        if request.user.is_verified():
            return redirect("accounts:mfa_settings")
        return redirect(_with_next("accounts:mfa_verify", request))
    form = SecondFactorCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if mfa.pending_totp_device(request.user) is None:
            # Nothing shown yet to confirm (a POST without the page): the page, which makes the key, first.
            return redirect(_with_next("accounts:mfa_enroll", request))
        if not form.is_valid():
            status = 400
        else:
            device, codes = mfa_enroll_confirm(user=request.user, code=form.cleaned_data["code"], request=request)
            if device is not None:
                _second_step_passed(request, device)
                return render(request, "accounts/mfa_recovery_codes.html", {"codes": codes, "next": _next_url(request)})
            form.add_error(
                "code", "That code did not match. Check the app lists Handoff, then type the code showing now."
            )
    device = mfa_enrollment_device(user=request.user)
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "next": _next_url(request),
        # segno's own markup (paths and a title), no input of the person's in it but the otpauth URI it encodes.
        "qr_svg": mark_safe(qr.svg_inline(scale=4, border=4, dark="#000", light="#fff", title="QR code to scan")),
        "secret": mfa.secret_text(device),
        "mfa_pending": not request.user.is_verified(),
        "required": mfa.mfa_required(request.user, request.session),
    }
    return render(request, "accounts/mfa_enroll.html", context, status=status)


@login_required
def mfa_settings(request: HttpRequest) -> HttpResponse:
    """Two-step sign-in for the signed-in person: whether it is set up, recovery codes left, new recovery codes."""
    device = mfa.confirmed_totp_device(request.user)
    if request.method == "POST":
        if device is None:
            return redirect("accounts:mfa_enroll")
        codes = mfa_recovery_codes_replace(user=request.user, request=request)
        return render(request, "accounts/mfa_recovery_codes.html", {"codes": codes, "next": reverse("home")})
    context = {
        "device": device,
        "codes_left": mfa.recovery_codes_left(request.user),
        "required": mfa.mfa_required(request.user, request.session),
    }
    return render(request, "accounts/mfa_settings.html", context)
