"""Repeat referrals: has this organisation been referred this person before?

A keyed hash (HMAC-SHA256) of the normalised name and date of birth, with a key of each partner organisation's
own, is kept partner-side on ``CaseworkPerson``. The same person referred to two organisations gets two unrelated
fingerprints, so no query, page or export can match across organisations; police never see either.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import date

from django.conf import settings
from django.db.models import Count, Max


def normalise_name(name: str) -> str:
    """Case, accents, punctuation and word order do not matter: "José  O'Neil" == "oneil jose"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if c.isalnum() or c.isspace())
    return " ".join(sorted(letters.split()))


def _organisation_key(organisation_id: int) -> bytes:
    base = (getattr(settings, "HANDOFF_MATCH_KEY", "") or settings.SECRET_KEY).encode()
    return hmac.new(base, f"repeat-referral:{organisation_id}".encode(), hashlib.sha256).digest()


def fingerprint(*, organisation_id: int, name: str, date_of_birth: date | None) -> str:
    """ "" without both a name and a date of birth: a guess must not flag a stranger as a repeat."""
    normalised = normalise_name(name or "")
    if not normalised or date_of_birth is None:
        return ""
    message = f"{normalised}|{date_of_birth.isoformat()}".encode()
    return hmac.new(_organisation_key(organisation_id), message, hashlib.sha256).hexdigest()


def earlier_referrals(referral) -> dict | None:
    """{"count": n, "last": datetime} of this organisation's earlier referrals of the same person, or None."""
    from referrals.workflows.casework.models import CaseworkPerson

    person = getattr(referral, "casework_person", None)
    if person is None or not person.fingerprint:
        return None
    found = (
        CaseworkPerson.objects.filter(
            fingerprint=person.fingerprint,
            referral__program__organisation_id=referral.program.organisation_id,
            referral__created_at__lt=referral.created_at,
        )
        .exclude(referral_id=referral.pk)
        .aggregate(count=Count("pk"), last=Max("referral__created_at"))
    )
    return found if found["count"] else None
