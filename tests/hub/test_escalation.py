"""A door knock not logged within its window escalates to the table's coordinators, exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from hub import events, services
from hub.models import Response, Situation, SituationEvent
from notifications.models import Kind, Notification
from routing.deadlines import sweep_all
from tests.hub import NAME, build_hub_seed


def overdue_events(situation) -> int:
    return SituationEvent.objects.filter(situation=situation, kind=events.DOOR_KNOCK_OVERDUE).count()


def test_an_overdue_door_knock_escalates_once_and_tells_the_coordinator_without_a_name(hub_seed):
    seed = hub_seed
    situation = seed.to_state(seed.propose(), "intervention")
    later = timezone.now() + timedelta(hours=49)
    assert services.door_knocks_escalate_due(timezone.now()) == 0
    assert sweep_all(later)["hub.door_knock"] == 1
    assert services.door_knocks_escalate_due(later + timedelta(hours=1)) == 0
    situation.refresh_from_db()
    assert situation.escalated_at == later and situation.door_knock_due_at is None
    assert overdue_events(situation) == 1
    notes = list(Notification.objects.filter(kind=Kind.ESCALATED))
    assert [n.user for n in notes] == [seed.coordinator]
    assert situation.public_id in notes[0].text and seed.table.name in notes[0].text
    assert NAME.split()[0] not in notes[0].text


def test_an_accepted_situation_without_chosen_agencies_escalates_too(hub_seed):
    seed = hub_seed
    situation = seed.to_state(seed.propose(), "accepted")
    assert services.door_knocks_escalate_due(timezone.now() + timedelta(hours=49)) == 1
    # choosing the agencies afterwards opens no second window: it escalated once
    situation = services.agencies_choose(situation=situation, actor=seed.coordinator, lead=seed.agencies["housing"])
    assert situation.door_knock_due_at is None
    assert services.door_knocks_escalate_due(timezone.now() + timedelta(days=10)) == 0


def test_a_door_knock_logged_in_time_never_escalates(hub_seed):
    seed = hub_seed
    situation = seed.to_state(seed.propose(), "intervention")
    services.door_knock_log(situation=situation, actor=seed.users["housing"], response=Response.ACCEPTED)
    assert services.door_knocks_escalate_due(timezone.now() + timedelta(days=3)) == 0
    assert overdue_events(situation) == 0


def test_rejected_and_concluded_situations_never_escalate(hub_seed):
    seed = hub_seed
    seed.to_state(seed.propose(), "rejected")
    seed.to_state(seed.propose(), "concluded", meeting=Situation.objects.first().decided_meeting)
    assert services.door_knocks_escalate_due(timezone.now() + timedelta(days=3)) == 0


OVERDUE = 8
SWEEPERS = 2


def _race(now) -> list[int]:
    barrier = threading.Barrier(SWEEPERS)
    counts: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=30)
            counts.append(services.door_knocks_escalate_due(now))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(SWEEPERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a sweeper hung"
    assert errors == []
    return counts


def _escalates_each_exactly_once(personas) -> None:
    seed = build_hub_seed(personas)
    meeting = seed.meeting()
    situations = [seed.to_state(seed.propose(), "intervention", meeting=meeting) for _ in range(OVERDUE)]
    now = timezone.now() + timedelta(hours=49)

    counts = _race(now)

    assert sum(counts) == OVERDUE
    for situation in situations:
        assert overdue_events(situation) == 1, situation.public_id
    assert Notification.objects.filter(kind=Kind.ESCALATED).count() == OVERDUE
    assert services.door_knocks_escalate_due(now) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
def test_two_sweepers_at_once_escalate_each_door_knock_exactly_once_on_postgresql(personas):
    _escalates_each_exactly_once(personas)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite variant")
def test_two_sweepers_at_once_escalate_each_door_knock_exactly_once_on_sqlite(personas):
    _escalates_each_exactly_once(personas)
