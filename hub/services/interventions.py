"""Filter 4 and after: the door knock, status updates, the conclusion and the outcome checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from hub import events, policy
from hub.models import (
    ConclusionCode,
    Meeting,
    OutcomeCheck,
    Response,
    Service,
    Situation,
    StatusUpdate,
    TableAgency,
)
from hub.services.common import (
    agency_names,
    announce,
    clean_text,
    event_record,
    lock_situation,
    names_of,
    run_transition,
    save_fields,
)
from referrals.errors import ReferralError


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
        situation = lock_situation(situation)
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
        save_fields(situation, ["door_knock_planned_for"])
        situation.door_knock_agencies.set(agencies)
        event = event_record(
            situation,
            events.DOOR_KNOCK_PLANNED,
            actor=actor,
            message=f"{agency_names(agencies)}, {timezone.localtime(planned_for):%a %b %-d, %H:%M}",
        )
        announce(situation, event)
    return situation


def door_knock_log(*, situation: Situation, actor, response: str, at: datetime | None = None) -> Situation:
    """Filter 4 done: the door was knocked on and the person accepted or declined help. Meets the deadline."""
    if response not in Response.values:
        raise ReferralError("Say whether the person accepted or declined help.")
    at = at or timezone.now()
    if at > timezone.now() + timedelta(minutes=5):
        raise ReferralError("A door knock cannot be logged in the future.")
    with transaction.atomic():
        situation = lock_situation(situation)
        policy.require(actor, "door_knock_log", situation)
        if situation.door_knock_done_at is not None:
            raise ReferralError("The door knock is already logged.")
        situation.door_knock_done_at = at
        situation.response = response
        situation.door_knock_due_at = None
        save_fields(situation, ["door_knock_done_at", "response", "door_knock_due_at"])
        event = event_record(situation, events.DOOR_KNOCK_DONE, actor=actor, message=Response(response).label)
        announce(situation, event)
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
        situation = lock_situation(situation)
        policy.require(actor, "status_update", situation)
        if meeting is not None and meeting.table_id != situation.table_id:
            raise ReferralError("That meeting is another table's.")
        text = clean_text(text, names=names_of(situation), what="status update")
        update = StatusUpdate.objects.create(situation=situation, meeting=meeting, author=actor, text=text)
        if services:
            situation.services_mobilised.add(*services)
        save_fields(situation, [])
        event = event_record(situation, events.STATUS_UPDATE, actor=actor, meeting=meeting)
        announce(situation, event)
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
        situation = lock_situation(situation)
        policy.require(actor, "conclude", situation)
        if meeting is not None and meeting.table_id != situation.table_id:
            raise ReferralError("That meeting is another table's.")
        from_state = run_transition(situation, "conclude", code=code, at=timezone.now())
        save_fields(situation, ["state", "conclusion", "concluded_at", "door_knock_due_at"])
        if services:
            situation.services_mobilised.add(*services)
        event = event_record(
            situation, events.CONCLUDED, actor=actor, from_state=from_state, meeting=meeting, message=str(code)
        )
        announce(situation, event)
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
        situation = lock_situation(situation)
        policy.require(actor, "outcome_check", situation)
        if not situation.table.outcome_checks:
            raise ReferralError("This table has not agreed to outcome checks.")
        due = situation.concluded_at + timedelta(days=days)
        if timezone.now() < due:
            raise ReferralError(f"The {days}-day check is due from {timezone.localtime(due):%b %-d, %Y}.")
        if OutcomeCheck.objects.filter(situation=situation, days=days).exists():
            raise ReferralError(f"The {days}-day check is already recorded.")
        note = clean_text(note, names=names_of(situation), limit=300, what="note") if note.strip() else ""
        check = OutcomeCheck.objects.create(
            situation=situation,
            days=days,
            still_connected=still_connected,
            new_incidents=new_incidents,
            note=note,
            recorded_by=actor,
        )
        event = event_record(situation, events.OUTCOME_CHECK, actor=actor, message=f"{days} days")
        announce(situation, event)
    return check
