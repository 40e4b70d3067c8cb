"""The Hub's writes. Each: lock the situation (or meeting), ask ``hub.policy``, run the transition, save with
``update_fields``, write the ``SituationEvent`` in the same transaction, and leave side effects (hints,
notifications) to ``transaction.on_commit(..., robust=True)``. Hints and notifications carry a public reference,
a table and plain words: never a name, a date of birth, an address or the description.

Every function is keyword-only with an explicit ``actor`` and refuses with ``referrals.errors``: ``Refused`` (not
yours to do) or ``ReferralError`` (not now, or bad input; the message is for the person who asked).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from accounts.models import Membership, Organisation, Role
from districts.models import District
from hub import events, policy
from hub.models import (
    DESCRIPTION_MAX,
    DOOR_KNOCK_STATES,
    AffectedIdentity,
    AffectedPerson,
    AgeBand,
    AgendaItem,
    Assignment,
    ConclusionCode,
    DiscussionType,
    Gender,
    Meeting,
    OutcomeCheck,
    ProtectiveFactor,
    ReferenceCounter,
    Response,
    Reveal,
    RiskFactor,
    Sector,
    Service,
    Situation,
    SituationEvent,
    StatusUpdate,
    StudyFlag,
    Table,
    TableAgency,
    validate_deidentified,
)
from hub.models import SituationState as S
from notifications import hints
from notifications.models import Kind
from notifications.services import notify
from programs.models import Program, Workflow
from referrals.errors import ReferralError, Refused
from referrals.models import Referral, Urgency

__all__ = ["NewPerson", "ReferralError", "Refused"]


# --- tables and agencies (set-up: the admin, the demo, tests) --------------------------------------------------


def table_create(
    *,
    name: str,
    organisation: Organisation,
    district: District,
    cadence: str = "",
    reveal: str = Table.Reveal.PRESENT,
    door_knock_hours: int = 48,
    outcome_checks: bool = False,
) -> Table:
    """A table, or the one of that name brought to these settings (the demo runs it again)."""
    if reveal not in Table.Reveal.values:
        raise ReferralError("Choose when names are shared: with the agencies present, or only the agencies chosen.")
    if not 24 <= door_knock_hours <= 48:
        raise ReferralError("The door-knock window is 24 to 48 hours.")
    table, _ = Table.objects.update_or_create(
        name=name,
        defaults={
            "organisation": organisation,
            "district": district,
            "cadence": cadence,
            "reveal": reveal,
            "door_knock_hours": door_knock_hours,
            "outcome_checks": outcome_checks,
            "is_active": True,
        },
    )
    return table


def table_agency_add(
    *,
    table: Table,
    organisation: Organisation,
    sector: Sector,
    representatives: Iterable = (),
    sharing_agreement_on: date | None = None,
) -> TableAgency:
    """Seat an organisation at a table (or update its seat): sector, representatives, agreement date (None: none)."""
    with transaction.atomic():
        agency, _ = TableAgency.objects.update_or_create(
            table=table,
            organisation=organisation,
            defaults={"sector": sector, "sharing_agreement_on": sharing_agreement_on, "is_active": True},
        )
        agency.representatives.set(list(representatives))
    return agency


# --- building blocks ------------------------------------------------------------------------------------------


def _lock(situation: Situation) -> Situation:
    """Re-read the situation under a row lock (PostgreSQL) or SQLite's write transaction, with its table."""
    return (
        Situation.objects.select_for_update(no_key=True, of=("self",))
        .select_related("table", "originating__organisation")
        .get(pk=situation.pk)
    )


def _transition(situation: Situation, method_name: str, **kwargs) -> str:
    method = getattr(situation, method_name)
    refusal = f"A situation that is {situation.get_state_display().lower()} cannot be changed that way."
    if not can_proceed(method):
        raise ReferralError(refusal)
    from_state = situation.state
    try:
        method(**kwargs)
    except TransitionNotAllowed:
        raise ReferralError(refusal) from None
    return from_state


def _save(situation: Situation, fields: Sequence[str]) -> None:
    try:
        situation.save(update_fields=sorted({*fields, "updated_at"}))
    except ConcurrentTransition:
        raise ReferralError("Someone else changed this situation at the same moment. Reload and try again.") from None
    policy.forget(situation)


def _event(
    situation: Situation, kind: str, *, actor, from_state: str = "", meeting: Meeting | None = None, message: str = ""
) -> SituationEvent:
    return SituationEvent.objects.create(
        situation=situation,
        kind=kind,
        actor=actor,
        from_state=from_state,
        to_state=situation.state,
        meeting=meeting,
        message=message[:200],
    )


def audience_ids(table_id: int) -> set[int]:
    """Everyone whose pages show this table: its coordinators and the people who act for its agencies."""
    agencies = TableAgency.objects.filter(table_id=table_id, is_active=True)
    organisation_ids = list(agencies.values_list("organisation_id", flat=True))
    table = Table.objects.only("organisation_id").get(pk=table_id)
    people = set(
        Membership.objects.filter(
            Q(organisation_id=table.organisation_id, role=Role.HUB_COORDINATOR)
            | Q(organisation_id__in=organisation_ids, role__in=policy.HUB_ROLES),
            is_active=True,
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )
    people |= set(agencies.filter(representatives__is_active=True).values_list("representatives", flat=True))
    return people


def coordinator_ids(table: Table) -> list[int]:
    return list(
        Membership.objects.filter(
            organisation_id=table.organisation_id, role=Role.HUB_COORDINATOR, is_active=True, user__is_active=True
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def _announce(situation: Situation, event: SituationEvent, *, extra_user_ids: Iterable[int] = ()) -> None:
    """After commit: the situation's pages and its table's agenda fetch again. No data in the hint."""
    public_id, table_id, sequence = situation.public_id, situation.table_id, event.pk
    extra = {situation.proposed_by_id, *extra_user_ids}

    def send() -> None:
        hints.hub_situation_changed(
            public_id=public_id, table_id=table_id, user_ids=audience_ids(table_id) | extra, sequence=sequence
        )

    transaction.on_commit(send, robust=True)


def _announce_agenda(table_id: int, sequence: int) -> None:
    transaction.on_commit(
        lambda: hints.hub_agenda_changed(table_id=table_id, user_ids=audience_ids(table_id), sequence=sequence),
        robust=True,
    )


def situation_path(situation: Situation) -> str:
    return f"/hub/situations/{situation.public_id}/"


def _agency_names(agencies: Iterable[TableAgency]) -> str:
    return ", ".join(sorted(str(a.organisation) for a in agencies))


def _clean_text(text: str, *, names: Iterable[str] = (), limit: int = DESCRIPTION_MAX, what: str = "text") -> str:
    """Stripped, bounded, and free of the obvious identifiers (``validate_deidentified``) and of the people's names."""
    text = (text or "").strip()
    if not text:
        raise ReferralError(f"Write the {what}.")
    if len(text) > limit:
        raise ReferralError(f"Keep the {what} to {limit} characters (it has {len(text)}).")
    try:
        validate_deidentified(text)
    except ValidationError as error:
        raise ReferralError(error.messages[0]) from None
    lowered = text.lower()
    for name in names:
        for part in re.findall(r"[\w'-]{3,}", name.lower()):
            if re.search(rf"\b{re.escape(part)}\b", lowered):
                raise ReferralError(f"The {what} names an affected person. Write it without their name.")
    return text


def _names_of(situation: Situation) -> list[str]:
    """The affected persons' names, for refusing them in de-identified text. Read by a service, never shown."""
    return list(AffectedIdentity.objects.filter(person__situation=situation).values_list("full_name", flat=True))


# --- filter 1: proposing --------------------------------------------------------------------------------------


@dataclass
class NewPerson:
    """An affected person as the originating agency enters them: the table hears ``age_band`` and ``gender``;
    ``full_name``, ``date_of_birth`` and ``address`` stay with the originating agency (``AffectedIdentity``)."""

    age_band: AgeBand
    gender: str
    full_name: str
    date_of_birth: date | None = None
    address: str = ""


def _next_public_id(now: datetime) -> str:
    year = timezone.localdate(now).year
    ReferenceCounter.objects.get_or_create(year=year)
    counter = ReferenceCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"H-{year}-{counter.last:04d}"


def situation_propose(
    *,
    table: Table,
    actor,
    idempotency_key: uuid.UUID,
    discussion_type: str,
    description: str,
    persons: Sequence[NewPerson],
    risk_factors: Iterable[RiskFactor],
    protective_factors: Iterable[ProtectiveFactor] = (),
    study_flags: Iterable[StudyFlag] = (),
    agency: TableAgency | None = None,
    referral: Referral | None = None,
) -> tuple[Situation, bool]:
    """Filter 1: an agency (or an officer, for the police) brings a situation to the table: (situation, created).

    The same idempotency key always yields the same situation: a double submit makes one. ``agency`` is the
    originating agency; it may be left out when the actor can propose for exactly one. ``referral``, optional,
    must be one the actor filed; only the link is kept (nothing a partner learned about it is copied).
    """
    existing = Situation.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _existing_for(existing, actor), False
    agencies = policy.proposing_agencies(actor, table)
    if not agencies:
        raise Refused("Only an agency sitting at this table can propose a situation to it.")
    if agency is None:
        if len(agencies) > 1:
            raise ReferralError("Choose which of your agencies proposes this situation.")
        agency = agencies[0]
    elif agency.pk not in {a.pk for a in agencies}:
        raise Refused("You can propose only for an agency you act for at this table.")
    if referral is not None and referral.officer_id != actor.pk:
        raise Refused("You can link only a referral you filed yourself.")
    if discussion_type not in DiscussionType.values:
        raise ReferralError("Choose the discussion type: person, family, group or location.")
    persons = list(persons)
    if not persons and discussion_type != DiscussionType.LOCATION:
        raise ReferralError("Add the affected person (age band and gender).")
    if discussion_type == DiscussionType.PERSON and len(persons) != 1:
        raise ReferralError("A discussion about a person has one affected person; choose family or group.")
    for person in persons:
        if person.gender not in Gender.values:
            raise ReferralError("Choose each affected person's gender (or unknown).")
        if not person.age_band.is_active:
            raise ReferralError(f"The age band {person.age_band} is no longer offered.")
        if not (person.full_name or "").strip():
            raise ReferralError("Enter each affected person's name: it stays with your agency.")
    risk_factors = list(risk_factors)
    if not risk_factors:
        raise ReferralError("Choose at least one risk factor.")
    protective_factors, study_flags = list(protective_factors), list(study_flags)
    for item in (*risk_factors, *protective_factors, *study_flags):
        if not item.is_active:
            raise ReferralError(f"{item} is no longer offered.")
    description = _clean_text(description, names=[p.full_name for p in persons], what="description")
    try:
        with transaction.atomic():
            situation = _create(
                table=table,
                agency=agency,
                actor=actor,
                idempotency_key=idempotency_key,
                discussion_type=discussion_type,
                description=description,
                persons=persons,
                risk_factors=risk_factors,
                protective_factors=protective_factors,
                study_flags=study_flags,
                referral=referral,
            )
    except IntegrityError:
        # A double submit raced us between the lookup and the insert: the other one won, return it.
        existing = Situation.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _existing_for(existing, actor), False
    return situation, True


def _existing_for(situation: Situation, actor) -> Situation:
    if situation.proposed_by_id != actor.pk:
        raise ReferralError("This form was already used. Open a new form and try again.")
    return situation


def _create(*, table, agency, actor, idempotency_key, persons, risk_factors, protective_factors, study_flags, **fields):
    now = timezone.now()
    situation = Situation.objects.create(
        public_id=_next_public_id(now),
        idempotency_key=idempotency_key,
        table=table,
        originating=agency,
        proposed_by=actor,
        **fields,
    )
    situation.risk_factors.set(risk_factors)
    situation.protective_factors.set(protective_factors)
    situation.study_flags.set(study_flags)
    for position, person in enumerate(persons):
        row = AffectedPerson.objects.create(
            situation=situation, age_band=person.age_band, gender=person.gender, position=position
        )
        AffectedIdentity.objects.create(
            person=row,
            full_name=person.full_name.strip()[:200],
            date_of_birth=person.date_of_birth,
            address=(person.address or "").strip()[:300],
        )
    event = _event(situation, events.PROPOSED, actor=actor, message=f"By {agency.organisation}")
    # Inbox rows in this transaction; notify sends and hints after the commit.
    notify(
        user_ids=coordinator_ids(table),
        kind=Kind.NEW_IN_QUEUE,
        text=f"New Hub situation {situation.public_id} proposed to {table.name}.",
        path=situation_path(situation),
    )
    _announce(situation, event)
    return situation


# --- meetings -------------------------------------------------------------------------------------------------


def meeting_schedule(*, table: Table, actor, held_on: date) -> Meeting:
    """The table's meeting of a day (made once), so its agenda can be prepared before it opens."""
    policy.require_coordinator(actor, table)
    meeting, _ = Meeting.objects.get_or_create(table=table, held_on=held_on)
    return meeting


def _lock_meeting(meeting: Meeting, actor) -> Meeting:
    meeting = Meeting.objects.select_for_update().select_related("table").get(pk=meeting.pk)
    policy.require_coordinator(actor, meeting.table)
    return meeting


def meeting_open(*, meeting: Meeting, actor) -> Meeting:
    with transaction.atomic():
        meeting = _lock_meeting(meeting, actor)
        if meeting.closed_at is not None:
            raise ReferralError("This meeting is closed.")
        if meeting.opened_at is not None:
            return meeting
        other = Meeting.objects.filter(table=meeting.table, opened_at__isnull=False, closed_at__isnull=True)
        if other.exclude(pk=meeting.pk).exists():
            raise ReferralError("Another meeting of this table is open: close it first.")
        meeting.opened_at = timezone.now()
        meeting.save(update_fields=["opened_at"])
        _announce_agenda(meeting.table_id, meeting.pk)
    return meeting


def attendance_record(*, meeting: Meeting, actor, agencies: Iterable[TableAgency]) -> Meeting:
    """Who is present at the meeting now (replaces the list; the filter-2 decision records its own copy)."""
    agencies = list(agencies)
    with transaction.atomic():
        meeting = _lock_meeting(meeting, actor)
        if not meeting.is_open:
            raise ReferralError("Attendance is taken while the meeting is open.")
        if any(a.table_id != meeting.table_id or not a.is_active for a in agencies):
            raise ReferralError("Only agencies sitting at this table can be present.")
        meeting.present.set(agencies)
        _announce_agenda(meeting.table_id, meeting.pk)
    return meeting


def meeting_close(*, meeting: Meeting, actor) -> Meeting:
    with transaction.atomic():
        meeting = _lock_meeting(meeting, actor)
        if not meeting.is_open:
            raise ReferralError("Only an open meeting can be closed.")
        meeting.closed_at = timezone.now()
        meeting.save(update_fields=["closed_at"])
        _announce_agenda(meeting.table_id, meeting.pk)
    return meeting


def _open_meeting_with(situation: Situation, meeting: Meeting) -> Meeting:
    """The meeting, re-read, open, of the situation's table, with the situation on its agenda."""
    meeting = Meeting.objects.get(pk=meeting.pk)
    if meeting.table_id != situation.table_id:
        raise ReferralError("That meeting is another table's.")
    if not meeting.is_open:
        raise ReferralError("The table decides while its meeting is open.")
    if not AgendaItem.objects.filter(meeting=meeting, situation=situation).exists():
        raise ReferralError("Put the situation on this meeting's agenda first.")
    return meeting


# --- the agenda and filter 2 ----------------------------------------------------------------------------------


def agenda_add(*, situation: Situation, actor, meeting: Meeting) -> AgendaItem:
    """The coordinator puts a situation on a meeting's agenda: for the filter-2 decision (a proposed one), or for
    a status update (one already accepted or in intervention)."""
    with transaction.atomic():
        situation = _lock(situation)
        policy.require(actor, "agenda_add", situation)
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.table_id != situation.table_id:
            raise ReferralError("That meeting is another table's.")
        if meeting.closed_at is not None:
            raise ReferralError("That meeting is closed.")
        if AgendaItem.objects.filter(meeting=meeting, situation=situation).exists():
            raise ReferralError("It is already on that meeting's agenda.")
        position = (AgendaItem.objects.filter(meeting=meeting).aggregate(last=Max("position"))["last"] or 0) + 1
        item = AgendaItem.objects.create(meeting=meeting, situation=situation, position=position, added_by=actor)
        from_state = ""
        if situation.state == S.PROPOSED:
            from_state = _transition(situation, "schedule")
            _save(situation, ["state"])
        event = _event(
            situation,
            events.AGENDA_ADDED,
            actor=actor,
            from_state=from_state,
            meeting=meeting,
            message=f"Meeting of {meeting.held_on:%Y-%m-%d}",
        )
        _announce(situation, event)
        _announce_agenda(situation.table_id, event.pk)
    return item


def threshold_decide(*, situation: Situation, actor, meeting: Meeting, met: bool) -> Situation:
    """Filter 2: the table decides whether the risk is acutely elevated. The agencies present are recorded with
    the decision. Not met: rejected, and nothing more is shared about it, ever. Met: the door-knock window opens."""
    with transaction.atomic():
        situation = _lock(situation)
        policy.require(actor, "threshold_decide", situation)
        meeting = _open_meeting_with(situation, meeting)
        present = list(meeting.present.all())
        if not present:
            raise ReferralError("Record which agencies are present before the table decides.")
        now = timezone.now()
        if met:
            from_state = _transition(situation, "accept", meeting=meeting, at=now)
            situation.door_knock_due_at = now + timedelta(hours=situation.table.door_knock_hours)
            fields = ["state", "decided_meeting", "decided_at", "door_knock_due_at"]
        else:
            from_state = _transition(situation, "reject", meeting=meeting, at=now)
            fields = ["state", "decided_meeting", "decided_at"]
        _save(situation, fields)
        situation.present_at_decision.set(present)
        event = _event(
            situation,
            events.ACCEPTED if met else events.REJECTED,
            actor=actor,
            from_state=from_state,
            meeting=meeting,
            message=f"Present: {_agency_names(present)}",
        )
        _announce(situation, event)
        _announce_agenda(situation.table_id, event.pk)
    return situation


# --- filter 3 -------------------------------------------------------------------------------------------------


def _reveal_to(situation: Situation, agencies: Iterable[TableAgency], *, actor, meeting) -> list[TableAgency]:
    """Write a ``Reveal`` for each agency with an agreement that has none yet; the agencies newly revealed to."""
    already = set(Reveal.objects.filter(situation=situation).values_list("agency_id", flat=True))
    new = [a for a in agencies if a.has_agreement and a.pk not in already]
    for agency in new:
        Reveal.objects.create(situation=situation, agency=agency, meeting=meeting, revealed_by=actor)
    policy.forget(situation)
    return new


def names_reveal(*, situation: Situation, actor, meeting: Meeting) -> list[TableAgency]:
    """Filter 3 at a table that shares names with the agencies present (the usual practice): one ``Reveal`` per
    present agency with an information-sharing agreement. Agencies without one receive nothing. At a table that
    shares names only with the agencies chosen, names go with ``agencies_choose`` instead."""
    with transaction.atomic():
        situation = _lock(situation)
        policy.require(actor, "names_reveal", situation)
        if situation.table.reveal != situation.table.Reveal.PRESENT:
            raise ReferralError("This table shares names only with the agencies it chooses: choose them.")
        meeting = _open_meeting_with(situation, meeting)
        present = [a for a in meeting.present.select_related("organisation") if a.is_active]
        new = _reveal_to(situation, present, actor=actor, meeting=meeting)
        if not new:
            raise ReferralError("Names are already shared with every agency present that has a sharing agreement.")
        without = [a for a in present if not a.has_agreement]
        message = f"To {_agency_names(new)}"
        if without:
            message += f"; not to {_agency_names(without)} (no sharing agreement)"
        event = _event(situation, events.NAMES_REVEALED, actor=actor, meeting=meeting, message=message)
        _announce(situation, event)
    return new


def agencies_choose(
    *,
    situation: Situation,
    actor,
    lead: TableAgency,
    assisting: Iterable[TableAgency] = (),
    meeting: Meeting | None = None,
) -> Situation:
    """Filter 3: the lead and assisting agencies. Each must sit at the table and have an information-sharing
    agreement. The chosen agencies receive the names (a ``Reveal`` each, where they have none yet, whatever the
    table's setting) and the situation moves to intervention with the door-knock window: ``door_knock_hours``
    from now, unless the window already ran out and was escalated (it escalates once)."""
    assisting = [a for a in assisting if a.pk != lead.pk]
    chosen = [lead, *assisting]
    with transaction.atomic():
        situation = _lock(situation)
        policy.require(actor, "agencies_choose", situation)
        if len({a.pk for a in chosen}) != len(chosen):
            raise ReferralError("Choose each agency once.")
        for agency in chosen:
            if agency.table_id != situation.table_id or not agency.is_active:
                raise ReferralError(f"{agency.organisation} does not sit at this table.")
            if not agency.has_agreement:
                raise ReferralError(
                    f"{agency.organisation} has no information-sharing agreement on record: it cannot receive names "
                    "or be chosen. Record the agreement's date first."
                )
        if meeting is not None and meeting.table_id != situation.table_id:
            raise ReferralError("That meeting is another table's.")
        for role, agencies in ((Assignment.Role.LEAD, [lead]), (Assignment.Role.ASSISTING, assisting)):
            for agency in agencies:
                Assignment.objects.create(situation=situation, agency=agency, role=role, chosen_by=actor)
        revealed = _reveal_to(situation, chosen, actor=actor, meeting=meeting)
        from_state = _transition(situation, "intervene")
        fields = ["state"]
        if situation.escalated_at is None:
            situation.door_knock_due_at = timezone.now() + timedelta(hours=situation.table.door_knock_hours)
            fields.append("door_knock_due_at")
        _save(situation, fields)
        message = f"Lead {lead.organisation}"
        if assisting:
            message += f"; assisting {_agency_names(assisting)}"
        event = _event(
            situation, events.AGENCIES_CHOSEN, actor=actor, from_state=from_state, meeting=meeting, message=message
        )
        if revealed:
            _event(
                situation, events.NAMES_REVEALED, actor=actor, meeting=meeting, message=f"To {_agency_names(revealed)}"
            )
        _announce(situation, event)
    return situation


# --- filter 4 -------------------------------------------------------------------------------------------------


def _chosen_agencies(situation: Situation) -> list[TableAgency]:
    return list(
        TableAgency.objects.filter(assignments__situation=situation).select_related("organisation").order_by("pk")
    )


def door_knock_plan(
    *, situation: Situation, actor, agencies: Iterable[TableAgency], planned_for: datetime
) -> Situation:
    """Filter 4: which chosen agencies knock, and when, within the table's window. Can be re-planned until done."""
    agencies = list(agencies)
    with transaction.atomic():
        situation = _lock(situation)
        policy.require(actor, "door_knock_plan", situation)
        if situation.door_knock_done_at is not None:
            raise ReferralError("The door knock is already logged.")
        chosen = {a.pk for a in _chosen_agencies(situation)}
        if not agencies or any(a.pk not in chosen for a in agencies):
            raise ReferralError("The door knock is planned by the chosen agencies: choose one or more of them.")
        if planned_for < timezone.now() - timedelta(hours=1):
            raise ReferralError("Plan the door knock for a time still to come.")
        if situation.door_knock_due_at is not None and planned_for > situation.door_knock_due_at:
            due = timezone.localtime(situation.door_knock_due_at)
            raise ReferralError(f"Plan the door knock within the table's window: by {due:%a %b %-d, %H:%M}.")
        situation.door_knock_planned_for = planned_for
        _save(situation, ["door_knock_planned_for"])
        situation.door_knock_agencies.set(agencies)
        event = _event(
            situation,
            events.DOOR_KNOCK_PLANNED,
            actor=actor,
            message=f"{_agency_names(agencies)}, {timezone.localtime(planned_for):%a %b %-d, %H:%M}",
        )
        _announce(situation, event)
    return situation


def door_knock_log(*, situation: Situation, actor, response: str, at: datetime | None = None) -> Situation:
    """Filter 4 done: the door was knocked on and the person accepted or declined help. Meets the deadline."""
    if response not in Response.values:
        raise ReferralError("Say whether the person accepted or declined help.")
    at = at or timezone.now()
    if at > timezone.now() + timedelta(minutes=5):
        raise ReferralError("A door knock cannot be logged in the future.")
    with transaction.atomic():
        situation = _lock(situation)
        policy.require(actor, "door_knock_log", situation)
        if situation.door_knock_done_at is not None:
            raise ReferralError("The door knock is already logged.")
        situation.door_knock_done_at = at
        situation.response = response
        situation.door_knock_due_at = None
        _save(situation, ["door_knock_done_at", "response", "door_knock_due_at"])
        event = _event(situation, events.DOOR_KNOCK_DONE, actor=actor, message=Response(response).label)
        _announce(situation, event)
    return situation


# --- later meetings, conclusion, outcome checks ---------------------------------------------------------------


def _services(services: Iterable[Service]) -> list[Service]:
    services = list(services)
    for service in services:
        if not service.is_active:
            raise ReferralError(f"{service} is no longer offered.")
    return services


def status_update_add(
    *,
    situation: Situation,
    actor,
    text: str,
    meeting: Meeting | None = None,
    services: Iterable[Service] = (),
) -> StatusUpdate:
    """A de-identified status update (at a later meeting, when given), and any services mobilised since."""
    services = _services(services)
    with transaction.atomic():
        situation = _lock(situation)
        policy.require(actor, "status_update", situation)
        if meeting is not None and meeting.table_id != situation.table_id:
            raise ReferralError("That meeting is another table's.")
        text = _clean_text(text, names=_names_of(situation), what="status update")
        update = StatusUpdate.objects.create(situation=situation, meeting=meeting, author=actor, text=text)
        if services:
            situation.services_mobilised.add(*services)
        _save(situation, [])
        event = _event(situation, events.STATUS_UPDATE, actor=actor, meeting=meeting)
        _announce(situation, event)
    return update


def situation_conclude(
    *,
    situation: Situation,
    actor,
    code: ConclusionCode,
    services: Iterable[Service] = (),
    meeting: Meeting | None = None,
) -> Situation:
    """The table concludes a situation with its RTD code. From now on only the originating agency holds the
    identity; the case, if any, goes on in that agency's own program (the Hub does no case management)."""
    services = _services(services)
    if not code.is_active:
        raise ReferralError(f"{code} is no longer offered.")
    with transaction.atomic():
        situation = _lock(situation)
        policy.require(actor, "conclude", situation)
        if meeting is not None and meeting.table_id != situation.table_id:
            raise ReferralError("That meeting is another table's.")
        from_state = _transition(situation, "conclude", code=code, at=timezone.now())
        _save(situation, ["state", "conclusion", "concluded_at", "door_knock_due_at"])
        if services:
            situation.services_mobilised.add(*services)
        event = _event(
            situation, events.CONCLUDED, actor=actor, from_state=from_state, meeting=meeting, message=str(code)
        )
        _announce(situation, event)
    return situation


def outcome_check_record(
    *,
    situation: Situation,
    actor,
    days: int,
    still_connected: bool | None,
    new_incidents: bool | None,
    note: str = "",
) -> OutcomeCheck:
    """Beyond the RTD, where the table agreed: 30 or 90 days after the conclusion, still connected? new incidents?
    Recorded de-identified, once per check, from its day on."""
    if days not in OutcomeCheck.Days.values:
        raise ReferralError("Outcome checks are at 30 and 90 days.")
    with transaction.atomic():
        situation = _lock(situation)
        policy.require(actor, "outcome_check", situation)
        if not situation.table.outcome_checks:
            raise ReferralError("This table has not agreed to outcome checks.")
        due = situation.concluded_at + timedelta(days=days)
        if timezone.now() < due:
            raise ReferralError(f"The {days}-day check is due from {timezone.localtime(due):%b %-d, %Y}.")
        if OutcomeCheck.objects.filter(situation=situation, days=days).exists():
            raise ReferralError(f"The {days}-day check is already recorded.")
        note = _clean_text(note, names=_names_of(situation), limit=300, what="note") if note.strip() else ""
        check = OutcomeCheck.objects.create(
            situation=situation,
            days=days,
            still_connected=still_connected,
            new_incidents=new_incidents,
            note=note,
            recorded_by=actor,
        )
        event = _event(situation, events.OUTCOME_CHECK, actor=actor, message=f"{days} days")
        _announce(situation, event)
    return check


# --- handing on: a chosen agency's own casework program -------------------------------------------------------


def _age_on(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def casework_referral_open(
    *,
    situation: Situation,
    actor,
    program: Program,
    person: AffectedPerson | None = None,
    consent: str = "",
) -> Referral:
    """From a situation in intervention, a chosen agency opens a referral to its OWN casework program in one step
    (the Hub does no case management; the case goes on there). Filed through ``referrals.services.referral_file``
    with the actor as the filer, in the table's district, as follow-up only.

    Copied into the new referral: the affected person's name (subject), gender (its label), age (from the date of
    birth), date of birth and address (the casework person), and "From Hub situation H-...: <the de-identified
    description>" as the circumstances. Nothing else: no risk factor, status update, reveal or other person.
    ``consent`` ("person" or "guardian") records consent the agency obtained at the door knock, as an officer's
    consent on scene is recorded; "" records none (the program then asks for it before engaging).
    Opening it again for the same person and program returns the same referral.
    """
    from referrals.services import NewReferral, referral_file

    if consent not in ("", "person", "guardian"):
        raise ReferralError("Consent is given by the person or a guardian, or not recorded.")
    with transaction.atomic():
        situation = _lock(situation)
        policy.require(actor, "casework_referral_open", situation)
        own = {
            a.organisation_id
            for a in policy.acting_agencies(actor, situation.table_id).filter(assignments__situation=situation)
        }
        if program.workflow != Workflow.CASEWORK or not program.is_active or program.organisation_id not in own:
            raise ReferralError("A chosen agency opens a referral to its own casework program only.")
        persons = list(AffectedPerson.objects.filter(situation=situation).select_related("identity"))
        if person is None:
            if len(persons) != 1:
                raise ReferralError("Choose which affected person the referral is for.")
            person = persons[0]
        person = next((p for p in persons if p.pk == person.pk), None)
        if person is None:
            raise ReferralError("That person is not part of this situation.")
        key = uuid.uuid5(situation.idempotency_key, f"casework:{program.pk}:{person.pk}")
        existing = Referral.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        identity = person.identity
        referral, _ = referral_file(
            new=NewReferral(
                program=program,
                district=situation.table.district,
                urgency=Urgency.FOLLOW_UP,
                idempotency_key=key,
                subject_name=identity.full_name,
                subject_age=_age_on(identity.date_of_birth, timezone.localdate()),
                subject_gender=person.get_gender_display(),
                circumstances=f"From Hub situation {situation.public_id}: {situation.description}",
                extra={
                    "person": {"date_of_birth": identity.date_of_birth, "address": identity.address},
                    "consent": consent,
                },
            ),
            officer=actor,
        )
        _save(situation, [])
        event = _event(
            situation, events.CASEWORK_OPENED, actor=actor, message=f"{program.name} referral {referral.public_id}"
        )
        _announce(situation, event)
    return referral


# --- deadlines ------------------------------------------------------------------------------------------------


def door_knock_escalate_if_due(*, situation_id: int, now: datetime) -> bool:
    """Tell the table's coordinators once that a door knock is overdue. Exactly once, whoever else is sweeping:
    one conditional UPDATE claims the row (due, not done, not escalated, still waiting on a door knock) and clears
    its deadline; only the sweeper whose UPDATE changed the row writes the event and the notification, in the same
    transaction."""
    with transaction.atomic():
        claimed = Situation.objects.filter(
            pk=situation_id,
            door_knock_due_at__lte=now,
            door_knock_done_at__isnull=True,
            escalated_at__isnull=True,
            state__in=list(DOOR_KNOCK_STATES),
        ).update(door_knock_due_at=None, escalated_at=now, updated_at=now)
        if not claimed:
            # Nothing to escalate (done, already escalated, ended): its deadline no longer applies.
            Situation.objects.filter(pk=situation_id, door_knock_due_at__lte=now).exclude(
                state__in=list(DOOR_KNOCK_STATES), door_knock_done_at__isnull=True, escalated_at__isnull=True
            ).update(door_knock_due_at=None)
            return False
        situation = Situation.objects.select_related("table").get(pk=situation_id)
        event = _event(situation, events.DOOR_KNOCK_OVERDUE, actor=None)
        notify(
            user_ids=coordinator_ids(situation.table),
            kind=Kind.ESCALATED,
            text=f"Hub situation {situation.public_id} at {situation.table.name}: door knock overdue.",
            path=situation_path(situation),
        )
        _announce(situation, event)
    return True


def due_situation_ids(*, now: datetime, limit: int = 1000) -> list[int]:
    return list(
        Situation.objects.filter(door_knock_due_at__lte=now)
        .order_by("door_knock_due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def door_knocks_escalate_due(now: datetime) -> int:
    """The deadline sweeper for door knocks (registered with ``routing.deadlines`` in ``HubConfig.ready``)."""
    return sum(door_knock_escalate_if_due(situation_id=pk, now=now) for pk in due_situation_ids(now=now))
