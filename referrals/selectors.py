"""Every read of referrals. Police selectors read only the envelope; partner selectors go through object grants.

"Not yours" and "does not exist" are the same 404 everywhere, so a probe learns nothing.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import PARTNER_ROLES, POLICE_ROLES, Membership, Role
from accounts.selectors import memberships_of
from referrals import policy, workflows
from referrals.break_glass import open_for as break_glass_open_for
from referrals.models import (
    Phase,
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralUserObjectPermission,
)
from referrals.part2 import notes_for

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


def officer_unit(user):
    """The citywide unit an officer files from (Youth Violence Strike Force...), or None: a partner's team for that
    unit takes the unit's casework first."""
    for membership in memberships_of(user):
        if membership.role in POLICE_ROLES:
            units = list(membership.units.all())
            if units:
                return units[0]
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
        .select_related("program", "district", "assignee", "officer")
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
        .select_related("program", "district", "assignee", "officer")
        .order_by("-created_at", "-pk")
    )


def get_police_referral_for_user(user, public_id: str) -> Referral:
    """One referral for its police page, joined to what the page and the policy read (the program's organisation
    for the responder's phone, and whichever workflow state row it has) so the page costs no extra queries."""
    referral = (
        referrals_for_police(user=user)
        .select_related("program__organisation", *(spec.related_name for spec in workflows.registered()))
        .filter(public_id=public_id)
        .first()
    )
    if referral is None:
        raise Http404("No such referral")
    return referral


def police_timeline(referral: Referral) -> QuerySet[ReferralEvent]:
    return referral.events.filter(police_visible=True).select_related("actor").order_by("created_at", "pk")


# --- partner side: object grants, supervisors' organisations --------------------------------------------------


def _grant_exists(user) -> tuple[Exists, Exists]:
    """EXISTS probes of the user's teams' grants and the user's own grants on the outer referral.

    The grants are django-guardian's direct foreign-key permission rows (``ReferralGroupObjectPermission``,
    ``ReferralUserObjectPermission``). They are checked with a correlated EXISTS per referral rather than
    guardian's ``get_objects_for_user`` (an ``id IN (every granted id)`` list): the queue reads a few hundred
    waiting rows out of 100,000, and EXISTS lets the database start from those few. The subqueries inside are
    uncorrelated, evaluated once, so each EXISTS is one probe of the (who, permission, referral) unique index.
    """
    permissions = Permission.objects.filter(
        content_type__app_label="referrals", codename__in=["view_clinical", "change_clinical"]
    ).values("pk")
    by_team = ReferralGroupObjectPermission.objects.filter(
        group__in=user.groups.values("pk"), permission__in=permissions, content_object=OuterRef("pk")
    )
    by_user = ReferralUserObjectPermission.objects.filter(
        user=user, permission__in=permissions, content_object=OuterRef("pk")
    )
    return Exists(by_team), Exists(by_user)


LIST_RELATED = ("program", "district", "assignee", "team")


def state_related() -> tuple[str, ...]:
    """Every registered workflow's accessor for its state row: a list joins its rows' states in its one query (a
    referral of another workflow finds no row there and leaves that accessor empty)."""
    return tuple(sorted(spec.related_name for spec in workflows.registered()))


def referrals_for_partner(*, user, break_glass: bool = False) -> QuerySet[Referral]:
    """Referrals granted to the user's district teams or to the user, and all of a supervisor's organisation;
    with ``break_glass`` (the case page only, never a list) also those the user opened by break-glass, unexpired."""
    if not is_partner(user):
        return Referral.objects.none()
    by_team, by_user = _grant_exists(user)
    condition = by_team | by_user
    organisation_ids = supervised_organisation_ids(user)
    if organisation_ids:
        condition |= Q(program__organisation_id__in=organisation_ids)
    if break_glass and organisation_ids:
        condition |= break_glass_open_for(user)
    return Referral.objects.filter(condition).select_related(*LIST_RELATED)


def queue_for(*, user) -> dict[str, list[Referral]]:
    """The live queue: waiting requests (most urgent, then longest waiting, first), the user's own open work, and
    for a supervisor everyone else's, each one query on the "referral_queue" or "referral_assignee" index.

    A waiting request is held by team grants only (a person's own grant comes with taking it), and a person's own
    open work is what they are the assignee of (the policy's answer too), so those two skip the other probe.
    """
    if not is_partner(user):
        return {"waiting": [], "mine": [], "in_progress": []}
    order = ("urgency_rank", "created_at", "pk")
    related = (*LIST_RELATED, *state_related())
    by_team, _ = _grant_exists(user)
    organisation_ids = supervised_organisation_ids(user)
    held = by_team | Q(program__organisation_id__in=organisation_ids) if organisation_ids else by_team
    waiting = list(Referral.objects.filter(held, phase=Phase.WAITING).select_related(*related).order_by(*order)[:200])
    partner_organisation_ids = [m.organisation_id for m in memberships_of(user) if m.role in PARTNER_ROLES]
    mine = list(
        Referral.objects.filter(
            assignee=user, phase=Phase.ACTIVE, program__organisation_id__in=partner_organisation_ids
        )
        .select_related(*related)
        .order_by(*order)[:200]
    )
    in_progress = []
    if organisation_ids:
        in_progress = list(
            Referral.objects.filter(program__organisation_id__in=organisation_ids, phase=Phase.ACTIVE)
            .exclude(assignee=user)
            .select_related(*related)
            .order_by(*order)[:200]
        )
    return {"waiting": waiting, "mine": mine, "in_progress": in_progress}


def get_referral_for_user(user, public_id: str) -> Referral:
    """The only way a partner view gets a referral: 404 for "not yours" and "does not exist" alike.

    What the user may then do with it is ``referrals.policy``'s answer, asked by the service itself. The case page
    asks nothing more of the row: the one query also brings its workflow's state and one-to-one rows and values
    (``WorkflowSpec.case_related``, ``case_annotations``), the queue that holds it and whether a team of the user's
    holds it (the policy's "holder"). Nothing else rides along: each subquery costs more CPU to compile than a
    small query of its own costs to run (the officer's callback number is one, ``officer_phone``), and a unique
    public id needs no ORDER BY.
    """
    related = {name for spec in workflows.registered() for name in (spec.related_name, *spec.case_related)}
    values = {name: make() for spec in workflows.registered() for name, make in spec.case_annotations.items()}
    rows = list(
        referrals_for_partner(user=user, break_glass=True)
        .select_related("subject", "officer", "officer_district", "team__organisation", "team__district")
        .select_related(*sorted(related))
        .annotate(**values, viewer_holds=policy.held_by(user))
        .filter(public_id=public_id)
        .order_by()[:1]
    )
    if not rows:
        raise Http404("No such referral")
    referral = rows[0]
    referral.__dict__[Referral.LOADED_VALUES] = {name: referral.__dict__.pop(name) for name in values}
    policy.note_held(user, referral, referral.__dict__.pop("viewer_holds"))
    return referral


def supervises(user, referral: Referral) -> bool:
    return referral.program.organisation_id in supervised_organisation_ids(user)


def partner_case(referral: Referral, *, user) -> dict:
    """The shared part of a partner's case page (timeline and notes), in a fixed number of queries. Part 2 notes
    only for those who read them (``referrals.part2``)."""
    events = list(referral.events.select_related("actor").order_by("created_at", "pk"))
    notes = notes_for(user, referral)
    return {"events": events, "notes": notes, "part2_shown": any(note.part2 for note in notes)}


def phone_of(user, organisation_id: int) -> str:
    """The callback number on a person's membership of an organisation ("" if none)."""
    if user is None:
        return ""
    phone = (
        user.memberships.filter(organisation_id=organisation_id, is_active=True, pending=False)
        .exclude(phone="")
        .order_by("pk")  # not the model's ordering by organisation name: no join for one column
        .values_list("phone", flat=True)
        .first()
    )
    return phone or ""


def _police_phones(user) -> QuerySet:
    """An officer's callback numbers on their police memberships, the one to show first."""
    return (
        Membership.objects.filter(user=user, role__in=POLICE_ROLES, is_active=True, pending=False)
        .exclude(phone="")
        .order_by("organisation__name", "role", "pk")
        .values_list("phone", flat=True)
    )


def police_phone_of(user) -> str:
    """An officer's callback number, from their police membership."""
    if user is None:
        return ""
    return _police_phones(user).first() or ""


def officer_phone(referral: Referral) -> str:
    """The filing officer's callback number for the partner's case page, which shows it once someone has taken the
    request: "" before that, without a query."""
    if not referral.assignee_id:
        return ""
    return police_phone_of(referral.officer)


def overdue_for(*, user, now) -> list[dict]:
    """A supervisor's overdue work, from every workflow, oldest first."""
    organisation_ids = supervised_organisation_ids(user)
    if not organisation_ids:
        return []
    items = []
    for spec in workflows.registered():
        if spec.overdue is not None:
            items += spec.overdue(organisation_ids=organisation_ids, now=now)
    return sorted(items, key=lambda item: item["since"])
