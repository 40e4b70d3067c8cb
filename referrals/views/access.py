from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from referrals.selectors import is_partner, is_police


def police_required(view):
    """Signed in with a police role (officer or police supervisor); anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_police(request.user):
            raise PermissionDenied("This page is for police officers.")
        return view(request, *args, **kwargs)

    return wrapper


def partner_required(view):
    """Signed in with a partner role (clinician, worker or their supervisors); anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_partner(request.user):
            raise PermissionDenied("This page is for partner staff.")
        return view(request, *args, **kwargs)

    return wrapper
