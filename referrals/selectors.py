"""Every read of referrals. Police selectors read only the envelope; partner selectors go through object grants.

"Not yours" and "does not exist" are the same 404 everywhere, so a probe learns nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import PARTNER_ROLES, POLICE_ROLES, Role
from accounts.selectors import memberships_of
from referrals.models import (
    ACTIVE_STATES,
    WAITING_STATES,
    CoResponseState,
    FollowUp,
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralUserObjectPermission,
)

# --- who is who -----------------------------------------------------------------------------------------------


def is_police(user) -> bool:
    return any(m.role in POLICE_ROLES for m in memberships_of(user))


def is_partner(user) -> bool:
    return any(m.role in PARTNER_ROLES for m in memberships_of(user))


def supervised_organisation_ids(user) -> list[int]:
    return [
        m.organisation_id for m in memberships_of(user) if m.role in (Role.CLINICAL_SUPERVISOR, Role.WORKER_SUPERVISOR)
    ]


def police_district_ids(user) -> list[int]:
    """Districts whose referrals a police supervisor oversees."""
    ids: set[int] = set()
    for membership in memberships_of(user):
        if membership.role == Role.POLICE_SUPERVISOR:
            ids.update(d.pk for d in membership.districts.all())
    return sorted(ids)


def officer_home_district(user):
    for membership in memberships_of(user):
        if membership.role in POLICE_ROLES:
            districts = list(membership.districts.all())
            if districts:
                return districts[0]
    return None


# --- police side: the envelope only ---------------------------------------------------------------------------


def referrals_for_police(*, user) -> QuerySet[Referral]:
    """An officer's own requests; a police supervisor's also every request in their districts."""
    if not is_police(user):
        return Referral.objects.none()
    condition = Q(officer=user)
    district_ids = police_district_ids(user)
    if district_ids:
        condition |= Q(district_id__in=district_ids) | Q(officer_district_id__in=district_ids)
    return (
        Referral.objects.filter(condition)
        .select_related("program", "district", "accepted_by", "officer")
        .order_by("-created_at", "-pk")
    )


def police_list(*, user, limit: int = 50) -> list[Referral]:
    """The newest ``limit`` referrals a police user may see, newest first.

    A supervisor's condition is an OR of three indexed columns (filer, incident district, filer's district); one
    query over the OR would gather every matching row to sort it. Instead each branch gives its newest ``limit``
    ids through its own index, and one more query loads the newest ``limit`` of those: four queries at any size.
    """
    if not is_police(user):
        return []
    branches = [Referral.objects.filter(officer=user)]
    district_ids = police_district_ids(user)
    if district_ids:
        branches.append(Referral.objects.filter(district_id__in=district_ids))
        branches.append(Referral.objects.filter(officer_district_id__in=district_ids))
    newest: list[tuple] = []
    for branch in branches:
        newest += branch.order_by("-created_at", "-pk").values_list("created_at", "pk")[:limit]
    ids = [pk for _, pk in sorted(set(newest), reverse=True)[:limit]]
    return list(
        Referral.objects.filter(pk__in=ids)
        .select_related("program", "district", "accepted_by", "officer")
        .order_by("-created_at", "-pk")
    )


def get_police_referral_for_user(user, public_id: str) -> Referral:
    referral = referrals_for_police(user=user).filter(public_id=public_id).first()
    if referral is None:
        raise Http404("No such referral")
    return referral


def police_timeline(referral: Referral) -> QuerySet[ReferralEvent]:
    return referral.events.filter(police_visible=True).select_related("actor").order_by("created_at", "pk")


# --- partner side: object grants, supervisors' organisations --------------------------------------------------


def referrals_for_partner(*, user) -> QuerySet[Referral]:
    """Referrals granted to the user's district teams or to the user, and all of a supervisor's organisation.

    The grants are django-guardian's direct foreign-key permission rows (``ReferralGroupObjectPermission``,
    ``ReferralUserObjectPermission``). They are checked with a correlated EXISTS per referral rather than
    guardian's ``get_objects_for_user`` (an ``id IN (every granted id)`` list): the queue reads a few hundred
    waiting rows out of 100,000, and EXISTS lets the database start from those few.
    """
    if not is_partner(user):
        return Referral.objects.none()
    # Uncorrelated subqueries, evaluated once, so each EXISTS is one probe of the (who, permission, referral)
    # unique index rather than a walk over everything granted to the user.
    permissions = Permission.objects.filter(
        content_type__app_label="referrals", codename__in=["view_clinical", "change_clinical"]
    ).values("pk")
    by_team = ReferralGroupObjectPermission.objects.filter(
        group__in=user.groups.values("pk"), permission__in=permissions, content_object=OuterRef("pk")
    )
    by_user = ReferralUserObjectPermission.objects.filter(
        user=user, permission__in=permissions, content_object=OuterRef("pk")
    )
    condition = Exists(by_team) | Exists(by_user)
    organisation_ids = supervised_organisation_ids(user)
    if organisation_ids:
        condition |= Q(program__organisation_id__in=organisation_ids)
    return Referral.objects.filter(condition).select_related("program", "district", "accepted_by", "team")


def queue_for(*, user) -> dict[str, list[Referral]]:
    """The live queue: waiting requests (most urgent, then longest waiting, first) and the user's own open calls."""
    visible = referrals_for_partner(user=user)
    waiting = list(visible.filter(state__in=WAITING_STATES).order_by("urgency_rank", "created_at", "pk")[:200])
    held = [*ACTIVE_STATES, CoResponseState.FOLLOW_UP]
    mine = list(visible.filter(accepted_by=user, state__in=held).order_by("urgency_rank", "created_at", "pk")[:200])
    in_progress = []
    if supervised_organisation_ids(user):
        in_progress = list(
            visible.filter(state__in=held).exclude(accepted_by=user).order_by("urgency_rank", "created_at", "pk")[:200]
        )
    return {"waiting": waiting, "mine": mine, "in_progress": in_progress}


def get_referral_for_user(user, public_id: str, *, write: bool = False) -> Referral:
    """The only way a partner view gets a referral. 404 if not visible; 403 if visible but not writable."""
    referral = (
        referrals_for_partner(user=user)
        .select_related("subject", "clinical_record", "officer", "officer_district")
        .filter(public_id=public_id)
        .first()
    )
    if referral is None:
        raise Http404("No such referral")
    if write and not can_write_clinical(user, referral):
        raise PermissionDenied("Only the clinician who accepted this request, or a supervisor, can change it.")
    return referral


def can_write_clinical(user, referral: Referral) -> bool:
    return referral.accepted_by_id == user.pk or referral.program.organisation_id in supervised_organisation_ids(user)


def can_supervise(user, referral: Referral) -> bool:
    return referral.program.organisation_id in supervised_organisation_ids(user)


def partner_case(referral: Referral) -> dict:
    """Everything a partner's case page shows, in a fixed number of queries."""
    events = list(referral.events.select_related("actor").order_by("created_at", "pk"))
    notes = list(referral.notes.select_related("author").order_by("created_at", "pk"))
    follow_ups = list(referral.follow_ups.order_by("due_at", "pk"))
    return {"events": events, "notes": notes, "follow_ups": follow_ups}


def colleagues_for_reassign(referral: Referral):
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            memberships__organisation_id=referral.program.organisation_id,
            memberships__role=Role.CLINICIAN,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("first_name", "last_name")
    )


def get_follow_up(referral: Referral, follow_up_id: int) -> FollowUp:
    """A follow-up of a referral the caller already reached through get_referral_for_user."""
    follow_up = FollowUp.objects.filter(referral=referral, pk=follow_up_id).first()
    if follow_up is None:
        raise Http404("No such follow-up")
    return follow_up


def overdue_for(*, user, now) -> list[dict]:
    """A supervisor's overdue work: requests not accepted in time and follow-ups past due, oldest first."""
    organisation_ids = supervised_organisation_ids(user)
    if not organisation_ids:
        return []
    referrals = (
        Referral.objects.filter(program__organisation_id__in=organisation_ids, state__in=WAITING_STATES)
        .filter(Q(acceptance_due_at__lte=now) | Q(state=CoResponseState.ESCALATED))
        .select_related("program", "district", "team", "team__organisation", "team__district")
    )
    follow_ups = FollowUp.objects.filter(
        referral__program__organisation_id__in=organisation_ids, done_at__isnull=True, due_at__lte=now
    ).select_related("referral", "referral__accepted_by", "referral__district")
    items = [
        {
            "kind": "acceptance",
            "since": referral.created_at + timedelta(minutes=referral.program.acceptance_minutes),
            "referral": referral,
        }
        for referral in referrals[:500]
    ]
    items += [
        {"kind": "follow_up", "since": follow_up.due_at, "referral": follow_up.referral, "follow_up": follow_up}
        for follow_up in follow_ups[:500]
    ]
    return sorted(items, key=lambda item: item["since"])
