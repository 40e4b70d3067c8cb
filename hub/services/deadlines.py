"""Deadlines: a door knock not done in time escalates to the coordinators, exactly once."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from hub import events
from hub.models import DOOR_KNOCK_STATES, Situation
from hub.services.common import announce, coordinator_ids, event_record, situation_path
from notifications.models import Kind
from notifications.services import notify


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
        event = event_record(situation, events.DOOR_KNOCK_OVERDUE, actor=None)
        notify(
            user_ids=coordinator_ids(situation.table),
            kind=Kind.ESCALATED,
            text=f"Hub situation {situation.public_id} at {situation.table.name}: door knock overdue.",
            path=situation_path(situation),
        )
        announce(situation, event)
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
