"""Break-glass: a partner supervisor opens a record outside their scope for a serious and imminent threat.

Supervisors already read every referral of their own organisation, so "outside their scope" is a referral of
another partner organisation's program (a BEST supervisor who needs the YouthConnect record of the person in
front of a clinician now). The opening needs a reason, is an append-only ``BreakGlass`` row and an event on the
referral's timeline, and lets the ordinary selector (``get_referral_for_user``) return the referral, read only,
until it expires (``settings.BREAK_GLASS_MINUTES``, default 60). Every read under it is logged with the reason
"break-glass". It adds no relation to the referral, so it never opens a Part 2 record (``referrals.part2``) and
allows no action. A second person reviews each opening: a supervisor of the opener's own organisation holding
``referrals.review_break_glass``, never the opener. One ``BreakGlassReview`` row records it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import PARTNER_ROLES, SUPERVISOR_ROLES, Membership
from accounts.selectors import memberships_of
from referrals import events
from referrals.errors import ReferralError, Refused
from referrals.models import BreakGlass, BreakGlassReview, Referral
from referrals.services import lock, record_event, who

REVIEW_PERMISSION = "referrals.review_break_glass"
READ_REASON = "break-glass"


def is_partner_supervisor(user) -> bool:
    return any(m.role in SUPERVISOR_ROLES & PARTNER_ROLES for m in memberships_of(user))


def _supervised_organisation_ids(user) -> list[int]:
    return [m.organisation_id for m in memberships_of(user) if m.role in SUPERVISOR_ROLES & PARTNER_ROLES]


def _opener_in(organisation_ids: list[int]) -> Exists:
    """EXISTS: the outer opening's opener holds a partner-supervisor membership in force in one of these."""
    return Exists(
        Membership.objects.filter(
            user=OuterRef("opened_by"),
            organisation_id__in=organisation_ids,
            role__in=SUPERVISOR_ROLES & PARTNER_ROLES,
            is_active=True,
            pending=False,
        )
    )


def open_for(user) -> Exists:
    """EXISTS: an unexpired break-glass opening of the outer referral by ``user``."""
    return Exists(BreakGlass.objects.filter(opened_by=user, referral=OuterRef("pk"), expires_at__gt=timezone.now()))


def is_open(user, referral: Referral) -> bool:
    return BreakGlass.objects.filter(opened_by=user, referral=referral, expires_at__gt=timezone.now()).exists()


def referral_by_reference(public_id: str) -> Referral | None:
    """The referral a break-glass form names. Only that form asks: whoever may break glass may open any one."""
    return Referral.objects.filter(public_id=public_id.strip().upper()).select_related("program").first()


@transaction.atomic
def break_glass_open(*, referral: Referral, actor, reason: str, ip_address: str | None = None) -> BreakGlass:
    from referrals.selectors import referrals_for_partner

    reason = reason.strip()
    if not is_partner_supervisor(actor):
        raise Refused("Only a partner supervisor can open a record outside their scope.")
    if not reason:
        raise ReferralError("Give the serious and imminent threat that makes you open this record.")
    referral = lock(referral)
    if referrals_for_partner(user=actor).filter(pk=referral.pk).exists():
        raise ReferralError("This record is already yours to read; no break-glass is needed.")
    now = timezone.now()
    opening = BreakGlass.objects.create(
        referral=referral,
        opened_by=actor,
        reason=reason[:500],
        opened_at=now,
        expires_at=now + timedelta(minutes=settings.BREAK_GLASS_MINUTES),
        ip_address=ip_address,
    )
    # The timeline says who opened it and until when, never why (the reason may be clinical).
    until = timezone.localtime(opening.expires_at).strftime("%H:%M")
    record_event(referral, events.BREAK_GLASS, actor=actor, message=f"By {who(actor)}, until {until}")
    return opening


@transaction.atomic
def break_glass_review(*, opening: BreakGlass, actor, outcome: str, comment: str = "") -> BreakGlassReview:
    if actor.pk == opening.opened_by_id:
        raise Refused("A second person reviews a break-glass opening, not the one who opened it.")
    if not actor.has_perm(REVIEW_PERMISSION):
        raise Refused("Only a supervisor reviews break-glass openings.")
    if not BreakGlass.objects.filter(_opener_in(_supervised_organisation_ids(actor)), pk=opening.pk).exists():
        raise Refused("A supervisor of the opener's own organisation reviews a break-glass opening.")
    if outcome not in BreakGlassReview.Outcome.values:
        raise ReferralError("Say whether the opening was justified.")
    if BreakGlassReview.objects.filter(opening=opening).exists():
        raise ReferralError("This opening has already been reviewed.")
    try:
        with transaction.atomic():
            return BreakGlassReview.objects.create(
                opening=opening, reviewed_by=actor, outcome=outcome, comment=comment.strip()[:500]
            )
    except IntegrityError:
        raise ReferralError("This opening has already been reviewed.") from None


def unreviewed(*, user) -> QuerySet[BreakGlass]:
    """Openings nobody has reviewed yet, oldest first, made by supervisors of the reviewer's own organisation other
    than the reviewer; nothing for anyone else."""
    if not user.has_perm(REVIEW_PERMISSION):
        return BreakGlass.objects.none()
    organisation_ids = _supervised_organisation_ids(user)
    if not organisation_ids:
        return BreakGlass.objects.none()
    return (
        BreakGlass.objects.filter(_opener_in(organisation_ids), review__isnull=True)
        .exclude(opened_by=user)
        .select_related("referral", "referral__program", "opened_by")
        .order_by("opened_at", "pk")
    )
