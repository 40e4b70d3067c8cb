"""Every read of Hub tables and situations, with constant query counts.

Lists and agendas read ``Situation`` and ``AffectedPerson`` only: de-identified. The identity
(``AffectedIdentity``) has one reader, ``identity_for``, which applies ``hub.policy.identity_scope`` and writes an
access-log row for every read. "Not yours" and "does not exist" are the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from hub import policy
from hub.models import (
    AffectedIdentity,
    AffectedPerson,
    AgendaItem,
    Assignment,
    HubAccessLog,
    Meeting,
    RiskFactor,
    Situation,
    SituationEvent,
    Table,
    TableAgency,
)
from hub.models import SituationState as S

# --- tables ---------------------------------------------------------------------------------------------------


def _acting(user) -> QuerySet[TableAgency]:
    return TableAgency.objects.filter(policy.acting_condition(user), is_active=True)


def tables_of(user) -> QuerySet[Table]:
    """The active tables a user coordinates or acts for an agency at, and where an officer's police agency sits
    (so they can propose). One query."""
    if not user.is_authenticated or not user.is_active:
        return Table.objects.none()
    from accounts.models import POLICE_ROLES
    from accounts.selectors import memberships_of

    police_ids = [m.organisation_id for m in memberships_of(user) if m.role in POLICE_ROLES]
    condition = (
        Q(organisation_id__in=policy.coordinated_organisation_ids(user))
        | Q(pk__in=_acting(user).values("table_id"))
        | Q(pk__in=TableAgency.objects.filter(organisation_id__in=police_ids, is_active=True).values("table_id"))
    )
    return Table.objects.filter(condition, is_active=True).select_related("district", "organisation").order_by("name")


def agencies_of(table: Table) -> list[TableAgency]:
    """A table's agencies with their sector, organisation and representatives (two queries)."""
    return list(
        table.agencies.filter(is_active=True)
        .select_related("organisation", "sector")
        .prefetch_related("representatives")
        .order_by("organisation__name")
    )


# --- situations -----------------------------------------------------------------------------------------------

LIST_RELATED = ("table__district", "originating__organisation", "originating__sector", "decided_meeting")


def situations_visible_to(user) -> QuerySet[Situation]:
    """The situations a user may see, de-identified: every one of a table they coordinate; at a table where they
    act for an agency, every one past filter 1 (a proposed one only to its originating agency); and those they
    proposed. One query (the user's memberships are loaded once per request)."""
    if not user.is_authenticated or not user.is_active:
        return Situation.objects.none()
    acting = _acting(user)
    condition = (
        Q(table__organisation_id__in=policy.coordinated_organisation_ids(user))
        | (Q(table_id__in=acting.values("table_id")) & ~Q(state=S.PROPOSED))
        | Q(originating_id__in=acting.values("pk"))
        | Q(proposed_by=user)
    )
    return Situation.objects.filter(condition).select_related(*LIST_RELATED).order_by("-created_at", "-pk")


def get_situation_for_user(user, public_id: str) -> Situation:
    """The only way a page gets a situation: 404 for "not yours" and "does not exist" alike."""
    situation = situations_visible_to(user).filter(public_id=public_id).first()
    if situation is None:
        raise Http404("No such situation")
    return situation


def get_meeting_for_user(user, meeting_id: int) -> Meeting:
    """A meeting of a table the user coordinates or acts for an agency at, else 404."""
    meeting = (
        Meeting.objects.filter(pk=meeting_id, table__in=tables_of(user).values("pk"))
        .select_related("table__district")
        .first()
    )
    if meeting is None:
        raise Http404("No such meeting")
    return meeting


def _deidentified(prefix: str = "") -> list:
    """The prefetches that bring a situation's de-identified details: never its identity."""
    return [
        Prefetch(f"{prefix}persons", queryset=AffectedPerson.objects.select_related("age_band").order_by("position")),
        Prefetch(f"{prefix}risk_factors", queryset=RiskFactor.objects.select_related("category")),
        f"{prefix}protective_factors",
        f"{prefix}study_flags",
    ]


def agenda_for(meeting: Meeting) -> list[AgendaItem]:
    """A meeting's agenda in order, each situation with what the table hears of it (age band and gender of the
    persons, risk and protective factors, study flags, description) and nothing that names anyone.
    Five queries, however long. Access to the meeting is ``get_meeting_for_user``'s."""
    return list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related(*(f"situation__{name}" for name in LIST_RELATED))
        .prefetch_related(*_deidentified("situation__"))
        .order_by("position", "pk")
    )


def situation_details(situation: Situation) -> Situation:
    """The same situation with its de-identified details, chosen agencies, reveals, status updates and outcome
    checks loaded (a fixed number of queries)."""
    return (
        Situation.objects.filter(pk=situation.pk)
        .select_related(*LIST_RELATED, "conclusion")
        .prefetch_related(
            *_deidentified(),
            "services_mobilised",
            "present_at_decision__organisation",
            "door_knock_agencies__organisation",
            "assignments__agency__organisation",
            "assignments__agency__sector",
            "reveals__agency__organisation",
            "status_updates__meeting",
            "outcome_checks",
        )
        .get()
    )


def timeline_for(situation: Situation) -> list[SituationEvent]:
    return list(situation.events.select_related("actor", "meeting").order_by("created_at", "pk"))


# --- identity -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonIdentity:
    person_id: int
    age_band: str
    gender: str
    full_name: str
    date_of_birth: date | None  # None under the "names" scope
    address: str  # "" under the "names" scope


@dataclass(frozen=True)
class Identity:
    scope: str  # "names" or "full"
    persons: list[PersonIdentity]

    @property
    def names_only(self) -> bool:
        return self.scope == HubAccessLog.Scope.NAMES


def identity_for(
    user, situation: Situation, *, view: str = "", reason: str = "", ip_address: str | None = None
) -> Identity | None:
    """Who the affected persons are, as far as ``user`` may know now, or None (the rule: ``policy.identity_scope``).

    Reads the situation afresh (a page's copy may be older than a conclusion) and writes a ``HubAccessLog`` row
    for every read it answers. Three queries when it answers (situation, policy, identity) plus the log row.
    """
    situation = Situation.objects.select_related("table").filter(pk=situation.pk).first()
    if situation is None:
        return None
    scope = policy.identity_scope(user, situation)
    if scope is None:
        return None
    rows = (
        AffectedIdentity.objects.filter(person__situation=situation)
        .select_related("person__age_band")
        .order_by("person__position", "person__pk")
    )
    full = scope == policy.FULL
    if not full:
        rows = rows.only("full_name", "person__gender", "person__position", "person__age_band__label")
    persons = [
        PersonIdentity(
            person_id=row.person_id,
            age_band=row.person.age_band.label,
            gender=row.person.get_gender_display(),
            full_name=row.full_name,
            date_of_birth=row.date_of_birth if full else None,
            address=row.address if full else "",
        )
        for row in rows
    ]
    HubAccessLog.objects.create(
        user=user,
        situation=situation,
        scope=scope,
        view=view[:100],
        reason=(reason or "situation page")[:100],
        ip_address=ip_address,
    )
    return Identity(scope=scope, persons=persons)


# --- pages ----------------------------------------------------------------------------------------------------


def get_table_for_user(user, table_id: int) -> Table:
    """A table the user coordinates, sits at, or (an officer) may propose to, else 404."""
    table = tables_of(user).filter(pk=table_id).first()
    if table is None:
        raise Http404("No such table")
    return table


def sits_at(user, table: Table) -> bool:
    """Coordinates the table or acts for one of its agencies: may read its meetings' de-identified agendas."""
    return policy.is_coordinator(user, table) or policy.acting_agencies(user, table).exists()


def table_situations(user, table: Table) -> list[Situation]:
    """The situations of ``table`` the user may see, de-identified, with what a list row shows (five queries)."""
    return list(
        situations_visible_to(user)
        .filter(table=table)
        .prefetch_related(
            Prefetch("persons", queryset=AffectedPerson.objects.select_related("age_band").order_by("position")),
            Prefetch("risk_factors", queryset=RiskFactor.objects.select_related("category")),
        )
    )


def situation_counts(user) -> dict[int, dict[str, int]]:
    """For each table, how many situations the user may see in each state (one query)."""
    counts: dict[int, dict[str, int]] = {}
    rows = (
        situations_visible_to(user)
        .order_by()
        .values("table_id", "state")
        .annotate(n=Count("pk"))
        .values_list("table_id", "state", "n")
    )
    for table_id, state, n in rows:
        counts.setdefault(table_id, {})[state] = n
    return counts


def upcoming_meetings(tables) -> dict[int, list[Meeting]]:
    """Each table's meetings not yet closed, soonest first (one query)."""
    found: dict[int, list[Meeting]] = {}
    for meeting in Meeting.objects.filter(table__in=list(tables), closed_at__isnull=True).order_by("held_on", "pk"):
        found.setdefault(meeting.table_id, []).append(meeting)
    return found


def overdue_door_knocks(user, now) -> list[Situation]:
    """At the tables the user coordinates: door knocks escalated and still not logged, and those past due but not yet
    swept. Oldest first, de-identified (two queries)."""
    coordinated = policy.coordinated_organisation_ids(user)
    if not coordinated:
        return []
    waiting = Q(escalated_at__isnull=False) | Q(door_knock_due_at__lte=now)
    return list(
        Situation.objects.filter(
            waiting,
            table__organisation_id__in=coordinated,
            state__in=[S.ACCEPTED, S.INTERVENTION],
            door_knock_done_at__isnull=True,
        )
        .select_related(*LIST_RELATED)
        .prefetch_related(Prefetch("assignments", queryset=_assignments()))
        .order_by("escalated_at", "door_knock_due_at", "pk")
    )


def _assignments():
    return Assignment.objects.select_related("agency__organisation").order_by("-role", "pk")
