"""The acceptance deadline: a stopped worker catches up without escalating twice, and what an escalation leaves behind
(the officer's timeline, the partner's reason, the end of the chain, the new queue's grant)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Team
from programs.models import Program
from referrals import events as kinds
from referrals.models import Phase, PoliceStatus, Referral
from referrals.selectors import police_timeline, queue_for
from referrals.workflows.co_response.models import CoResponseState
from referrals.workflows.co_response.services import referral_accept, referrals_escalate_due
from routing.deadlines import sweep_all
from routing.tasks import sweep_deadlines
from tests.routing import clear_shifts, events, file_referral, route, team

pytestmark = pytest.mark.django_db

ACCEPTANCE = timedelta(minutes=10)
ESCALATED = kinds.ESCALATED
ROUTED = kinds.ROUTED


@pytest.fixture
def ten_minutes(personas):
    Program.objects.filter(slug="co-response").update(acceptance_minutes=10)


@pytest.fixture
def b2_chain(ten_minutes):
    """B2 → B3 → C11 → supervisors; the demo roster has B2 and C11 on shift, nobody in B3."""
    route("B2", "B2", "B3", "C11", "supervisors")


def _file(personas, count: int = 1) -> list[Referral]:
    return [file_referral(personas["officer.b2"], "B2") for _ in range(count)]


def _reload(referrals: list[Referral]) -> list[Referral]:
    return [Referral.objects.select_related("team", "co_response").get(pk=r.pk) for r in referrals]


# --- a worker stopped for a while ---------------------------------------------------------------------------------


def test_a_long_overdue_request_moves_one_step_with_a_deadline_from_the_sweep(personas, b2_chain):
    referrals = _file(personas, 3)
    now = timezone.now() + timedelta(minutes=45)  # four deadlines' worth of downtime

    escalated = referrals_escalate_due(now)

    assert escalated == 3
    for referral in _reload(referrals):
        assert referral.team == team(code="C11")  # B3 is empty: one escalation, to the next queue on shift
        assert referral.co_response.state == CoResponseState.ESCALATED
        assert referral.due_at == now + ACCEPTANCE
        assert len(events(referral, ESCALATED)) == 1


def test_a_second_sweep_at_the_same_instant_escalates_nothing(personas, b2_chain):
    referrals = _file(personas, 3)
    now = timezone.now() + timedelta(minutes=45)
    referrals_escalate_due(now)

    assert referrals_escalate_due(now) == 0
    for referral in _reload(referrals):
        assert referral.team == team(code="C11")
        assert len(events(referral, ESCALATED)) == 1
        assert len(events(referral, ROUTED)) == 2  # filed, escalated


def test_a_request_not_yet_due_is_left_alone(personas, b2_chain):
    (referral,) = _file(personas)

    assert referrals_escalate_due(referral.due_at - timedelta(seconds=1)) == 0
    assert referrals_escalate_due(referral.due_at) == 1


def test_an_accepted_request_is_not_escalated(personas, b2_chain):
    (referral,) = _file(personas)
    referral_accept(referral=referral, actor=personas["clinician.b2"])

    assert referrals_escalate_due(timezone.now() + timedelta(hours=1)) == 0
    assert events(referral, ESCALATED) == []


def test_sweep_all_runs_the_co_response_acceptance_sweeper(personas, b2_chain):
    referrals = _file(personas, 2)

    results = sweep_all(timezone.now() + timedelta(minutes=45))

    assert results["co_response.acceptance"] == 2
    assert [r.team for r in _reload(referrals)] == [team(code="C11")] * 2


def test_the_periodic_task_escalates_what_is_past_due(personas, b2_chain):
    past = timezone.now() - timedelta(minutes=45)
    (referral,) = _file(personas)
    Referral.objects.filter(pk=referral.pk).update(due_at=past)  # filed before the worker stopped

    sweep_deadlines()  # HUEY.immediate: runs in-line

    referral.refresh_from_db()
    assert referral.co_response.state == CoResponseState.ESCALATED
    assert referral.team == team(code="C11")
    assert referral.due_at > timezone.now() + ACCEPTANCE - timedelta(minutes=1)
    assert len(events(referral, ESCALATED)) == 1


# --- what an escalation leaves behind -----------------------------------------------------------------------------


def test_the_officer_sees_not_yet_accepted_and_the_status_stays_received(personas, b2_chain):
    (referral,) = _file(personas)

    referrals_escalate_due(timezone.now() + timedelta(minutes=45))

    referral.refresh_from_db()
    timeline = [(e.kind, e.message) for e in police_timeline(referral)]
    assert timeline == [(kinds.FILED, ""), (ESCALATED, "Not yet accepted: still being placed")]
    assert (referral.police_status, referral.phase) == (PoliceStatus.RECEIVED, Phase.WAITING)


def test_the_partner_routed_event_says_why_it_moved(personas, b2_chain):
    (referral,) = _file(personas)

    referrals_escalate_due(timezone.now() + timedelta(minutes=45))

    routed = events(referral, ROUTED)
    assert [e.message for e in routed] == ["Routed to BEST B2", "Routed to BEST C11: nobody on shift in B3"]
    assert not any(e.police_visible for e in routed)


def test_at_the_end_of_the_chain_the_deadline_is_cleared_and_further_sweeps_do_nothing(personas, ten_minutes):
    clear_shifts()
    (referral,) = _file(personas)  # nobody on shift: straight to the supervisors, the end of the chain
    assert referral.team == team(Team.Kind.SUPERVISORS)
    now = timezone.now() + timedelta(minutes=45)

    assert referrals_escalate_due(now) == 1
    referral.refresh_from_db()
    assert referral.team == team(Team.Kind.SUPERVISORS)
    assert referral.due_at is None
    assert events(referral, ROUTED)[-1].message == "Still with BEST supervisors: end of the chain"

    assert referrals_escalate_due(now + timedelta(days=1)) == 0
    assert len(events(referral, ESCALATED)) == 1


def test_escalation_walks_the_chain_one_queue_per_deadline_to_the_supervisors(personas, b2_chain):
    (referral,) = _file(personas)
    now = timezone.now()
    held_by = []
    for _ in range(4):
        now += timedelta(minutes=11)
        referrals_escalate_due(now)
        referral.refresh_from_db()
        held_by.append((referral.team, referral.due_at))

    assert held_by == [
        (team(code="C11"), now - 3 * timedelta(minutes=11) + ACCEPTANCE),
        (team(Team.Kind.SUPERVISORS), now - 2 * timedelta(minutes=11) + ACCEPTANCE),
        (team(Team.Kind.SUPERVISORS), None),
        (team(Team.Kind.SUPERVISORS), None),
    ]
    assert len(events(referral, ESCALATED)) == 3


def test_escalation_lets_the_new_team_see_the_request_in_its_queue(personas, b2_chain):
    (referral,) = _file(personas)
    c11 = personas["clinician.c11"]
    assert referral not in queue_for(user=c11)["waiting"]

    referrals_escalate_due(timezone.now() + timedelta(minutes=45))

    assert referral in queue_for(user=c11)["waiting"]
    assert referral in queue_for(user=personas["clinician.b2"])["waiting"]  # B2 may still take it
