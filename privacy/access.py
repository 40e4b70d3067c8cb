from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from accounts.models import Role
from accounts.selectors import memberships_of


def is_privacy_officer(user) -> bool:
    """Holds a privacy-officer membership in force (confirmed by a second administrator); a superuser does not."""
    return any(m.role == Role.PRIVACY_OFFICER for m in memberships_of(user))


def privacy_officer_required(view):
    """Signed in with the privacy-officer role; anyone else gets 403, administrators included."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_privacy_officer(request.user):
            raise PermissionDenied("This page is for the privacy officer.")
        return view(request, *args, **kwargs)

    return wrapper
