"""Filters 2 and 3 at the table: the agenda, the threshold vote, the reveal of names, choosing agencies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hub import events, policy
from hub.models import (
    AgendaItem,
    Assignment,
    Meeting,
    Reveal,
    Situation,
    TableAgency,
)
from hub.models import SituationState as S
from hub.services.common import (
    agency_names,
    announce,
    announce_agenda,
    event_record,
    lock_situation,
    run_transition,
    save_fields,
)
from hub.services.meetings import open_meeting_with
from referrals.errors import ReferralError


def agenda_add(*, situation: Situation, actor, meeting: Meeting) -> AgendaItem:
    """The coordinator puts a situation on a meeting's agenda: for the filter-2 decision (a proposed one), or for
    a status update (one already accepted or in intervention)."""
    with transaction.atomic():
        situation = lock_situation(situation)
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
            from_state = run_transition(situation, "schedule")
            save_fields(situation, ["state"])
        event = event_record(
            situation,
            events.AGENDA_ADDED,
            actor=actor,
            from_state=from_state,
            meeting=meeting,
            message=f"Meeting of {meeting.held_on:%Y-%m-%d}",
        )
        announce(situation, event)
        announce_agenda(situation.table_id, event.pk)
    return item


def threshold_decide(*, situation: Situation, actor, meeting: Meeting, met: bool) -> Situation:
    """Filter 2: the table decides whether the risk is acutely elevated. The agencies present are recorded with
    the decision. Not met: rejected, and nothing more is shared about it, ever. Met: the door-knock window opens."""
    with transaction.atomic():
        situation = lock_situation(situation)
        policy.require(actor, "threshold_decide", situation)
        meeting = open_meeting_with(situation, meeting)
        present = list(meeting.present.all())
        if not present:
            raise ReferralError("Record which agencies are present before the table decides.")
        now = timezone.now()
        if met:
            from_state = run_transition(situation, "accept", meeting=meeting, at=now)
            situation.door_knock_due_at = now + timedelta(hours=situation.table.door_knock_hours)
            fields = ["state", "decided_meeting", "decided_at", "door_knock_due_at"]
        else:
            from_state = run_transition(situation, "reject", meeting=meeting, at=now)
            fields = ["state", "decided_meeting", "decided_at"]
        save_fields(situation, fields)
        situation.present_at_decision.set(present)
        event = event_record(
            situation,
            events.ACCEPTED if met else events.REJECTED,
            actor=actor,
            from_state=from_state,
            meeting=meeting,
            message=f"Present: {agency_names(present)}",
        )
        announce(situation, event)
        announce_agenda(situation.table_id, event.pk)
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
        situation = lock_situation(situation)
        policy.require(actor, "names_reveal", situation)
        if situation.table.reveal != situation.table.Reveal.PRESENT:
            raise ReferralError("This table shares names only with the agencies it chooses: choose them.")
        meeting = open_meeting_with(situation, meeting)
        present = [a for a in meeting.present.select_related("organisation") if a.is_active]
        new = _reveal_to(situation, present, actor=actor, meeting=meeting)
        if not new:
            raise ReferralError("Names are already shared with every agency present that has a sharing agreement.")
        without = [a for a in present if not a.has_agreement]
        message = f"To {agency_names(new)}"
        if without:
            message += f"; not to {agency_names(without)} (no sharing agreement)"
        event = event_record(situation, events.NAMES_REVEALED, actor=actor, meeting=meeting, message=message)
        announce(situation, event)
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
        situation = lock_situation(situation)
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
        from_state = run_transition(situation, "intervene")
        fields = ["state"]
        if situation.escalated_at is None:
            situation.door_knock_due_at = timezone.now() + timedelta(hours=situation.table.door_knock_hours)
            fields.append("door_knock_due_at")
        save_fields(situation, fields)
        message = f"Lead {lead.organisation}"
        if assisting:
            message += f"; assisting {agency_names(assisting)}"
        event = event_record(
            situation, events.AGENCIES_CHOSEN, actor=actor, from_state=from_state, meeting=meeting, message=message
        )
        if revealed:
            event_record(
                situation, events.NAMES_REVEALED, actor=actor, meeting=meeting, message=f"To {agency_names(revealed)}"
            )
        announce(situation, event)
    return situation
