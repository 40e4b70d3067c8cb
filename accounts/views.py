from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import Role
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
