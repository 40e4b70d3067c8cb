from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy

from accounts.audit import security_event_record
from accounts.models import Role, SecurityEvent
from accounts.roles import ROLE_HOME_URL
from accounts.selectors import memberships_of, primary_membership


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
    # URL names only: these pages belong to apps above this one.
    actions = [
        {"url": reverse("notifications:inbox"), "label": "Notifications"},
        {"url": reverse("notifications:preferences"), "label": "How notifications reach you (email, text)"},
        {"url": reverse("password_change"), "label": "Change your password"},
    ]
    return render(
        request,
        "accounts/role_home.html",
        {
            "memberships": memberships,
            "actions": actions,
            "is_administrator": request.user.is_staff or any(m.role == Role.ADMINISTRATOR for m in memberships),
        },
    )


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
