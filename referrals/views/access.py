from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from accounts.audit import client_ip
from referrals import services
from referrals.models import Referral
from referrals.selectors import get_referral_for_user, is_partner, is_police


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
            if "public_id" in kwargs:  # a record's partner side asked for by someone without a partner role
                read_refused(request, kwargs["public_id"], reason="not partner staff")
            raise PermissionDenied("This page is for partner staff.")
        return view(request, *args, **kwargs)

    return wrapper


def read_refused(request: HttpRequest, public_id: str, *, reason: str) -> None:
    """Log a refused read of a referral's partner side (who, which record, when, from where, why refused)."""
    match = getattr(request, "resolver_match", None)
    view = match.view_name if match is not None else request.path
    services.clinical_read_refused(
        user=request.user, public_id=public_id, view=view, reason=reason, ip_address=client_ip(request)
    )


def partner_referral(request: HttpRequest, public_id: str) -> Referral:
    """``get_referral_for_user`` for a partner page, logging the refusal when the reference names a referral that
    is not this person's: the answer stays the same 404 as for one that does not exist."""
    try:
        return get_referral_for_user(request.user, public_id)
    except Http404:
        read_refused(request, public_id, reason="not in the reader's scope")
        raise
