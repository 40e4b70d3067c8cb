"""Meetings: schedule, open, record attendance, close."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone

from hub import policy
from hub.models import (
    AgendaItem,
    Meeting,
    Situation,
    Table,
    TableAgency,
)
from hub.services.common import announce_agenda
from referrals.errors import ReferralError


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
        announce_agenda(meeting.table_id, meeting.pk)
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
        announce_agenda(meeting.table_id, meeting.pk)
    return meeting


def meeting_close(*, meeting: Meeting, actor) -> Meeting:
    with transaction.atomic():
        meeting = _lock_meeting(meeting, actor)
        if not meeting.is_open:
            raise ReferralError("Only an open meeting can be closed.")
        meeting.closed_at = timezone.now()
        meeting.save(update_fields=["closed_at"])
        announce_agenda(meeting.table_id, meeting.pk)
    return meeting


def open_meeting_with(situation: Situation, meeting: Meeting) -> Meeting:
    """The meeting, re-read, open, of the situation's table, with the situation on its agenda."""
    meeting = Meeting.objects.get(pk=meeting.pk)
    if meeting.table_id != situation.table_id:
        raise ReferralError("That meeting is another table's.")
    if not meeting.is_open:
        raise ReferralError("The table decides while its meeting is open.")
    if not AgendaItem.objects.filter(meeting=meeting, situation=situation).exists():
        raise ReferralError("Put the situation on this meeting's agenda first.")
    return meeting
