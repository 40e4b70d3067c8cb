"""Two deadline sweepers running at the same moment escalate every overdue request exactly once.

These run in real transactions (transaction=True) with one database connection per thread, as two huey workers on
two machines would. PostgreSQL holds the row lock (SELECT ... FOR NO KEY UPDATE, re-checked after the wait); SQLite
serialises the writers with BEGIN IMMEDIATE. The same assertions hold for both.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.models import Team
from referrals import events as kinds
from referrals.models import Phase, PoliceStatus, Referral
from referrals.workflows.co_response.models import CoResponseState
from referrals.workflows.co_response.services import referrals_escalate_due
from tests.routing import file_referral, team

OVERDUE = 20
SWEEPERS = 2


def _race(now) -> list[int]:
    """Run SWEEPERS sweeps of `now` at once; return what each escalated. Any exception in a thread fails the test."""
    barrier = threading.Barrier(SWEEPERS)
    counts: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=30)
            counts.append(referrals_escalate_due(now))
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
    referrals = [file_referral(personas["officer.b2"], "B2") for _ in range(OVERDUE)]
    assert {r.team for r in referrals} == {team(code="B2")}  # the demo roster has clinician.b2 on shift
    now = timezone.now() + timedelta(minutes=45)

    counts = _race(now)

    assert sum(counts) == OVERDUE
    supervisors = team(Team.Kind.SUPERVISORS)
    for referral in Referral.objects.filter(pk__in=[r.pk for r in referrals]).select_related("team", "co_response"):
        escalations = referral.events.filter(kind=kinds.ESCALATED)
        assert escalations.count() == 1, referral.public_id
        assert referral.events.filter(kind=kinds.ROUTED).count() == 2  # filed, escalated once
        assert referral.co_response.state == CoResponseState.ESCALATED
        assert (referral.police_status, referral.phase) == (PoliceStatus.RECEIVED, Phase.WAITING)
        assert referral.team == supervisors  # B2 → supervisors: one step
        assert referral.due_at == now + timedelta(minutes=referral.program.acceptance_minutes)
    assert referrals_escalate_due(now) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
def test_two_sweepers_at_once_escalate_each_request_exactly_once_on_postgresql(personas):
    _escalates_each_exactly_once(personas)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite variant")
def test_two_sweepers_at_once_escalate_each_request_exactly_once_on_sqlite(personas):
    _escalates_each_exactly_once(personas)
