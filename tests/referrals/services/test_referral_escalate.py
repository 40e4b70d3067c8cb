from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from referrals import events
from referrals.models import Phase, PoliceStatus, Referral
from referrals.selectors import referrals_for_partner
from referrals.workflows.co_response.services import referral_escalate_if_due
from tests.referrals.services import (
    S,
    co_response,
    events_of,
    file_referral,
    group_grants,
    on_call_team,
    reach,
    route_b2_through_on_call,
    run_and_commit,
    run_and_roll_back,
    snapshot,
    supervisors_team,
    team_of,
)

pytestmark = pytest.mark.django_db

ALLOWED = [S.REQUESTED, S.ESCALATED, S.TRANSFERRED]
REFUSED = [S.ACCEPTED, S.EN_ROUTE, S.ON_SCENE, S.FOLLOW_UP, S.CLOSED, S.DECLINED, S.CANCELLED]
LATE = timedelta(days=1)  # well past any acceptance deadline


def _escalate(referral, *, now=None):
    return referral_escalate_if_due(referral_id=referral.pk, now=now or timezone.now() + LATE)


@pytest.mark.parametrize("source", ALLOWED)
def test_escalate_moves_an_overdue_waiting_request_to_the_supervisors(personas, source):
    referral = reach(personas, source)
    events_before = len(events_of(referral))

    assert _escalate(referral) is True

    referral.refresh_from_db()
    assert referral.co_response.state == S.ESCALATED
    assert (referral.police_status, referral.phase) == (PoliceStatus.RECEIVED, Phase.WAITING)
    assert referral.team == supervisors_team()
    timeline = events_of(referral)
    assert len(timeline) == events_before + 2
    assert [(e.kind, e.actor, e.from_state, e.to_state, e.police_visible) for e in timeline[-2:]] == [
        (events.ESCALATED, None, source, S.ESCALATED, True),
        (events.ROUTED, None, "", S.ESCALATED, False),
    ]
    assert timeline[-2].message == "Not yet accepted: still being placed"


def test_escalate_sets_a_new_deadline_when_it_moves_the_request(personas):
    referral = reach(personas, S.REQUESTED)
    now = referral.due_at

    _escalate(referral, now=now)

    referral.refresh_from_db()
    assert referral.due_at == now + timedelta(minutes=co_response().acceptance_minutes)


def test_escalate_at_the_end_of_the_chain_keeps_it_with_the_supervisors_without_a_deadline(personas):
    referral = reach(personas, S.ESCALATED)

    _escalate(referral)

    referral.refresh_from_db()
    assert (referral.team, referral.due_at) == (supervisors_team(), None)


@pytest.mark.parametrize("source", REFUSED)
def test_escalate_leaves_a_request_that_is_no_longer_waiting_alone(personas, source):
    referral = reach(personas, source)
    before = snapshot(referral)

    assert _escalate(referral) is False

    assert snapshot(referral) == before


def test_escalate_leaves_a_request_before_its_deadline_alone(personas):
    referral = reach(personas, S.REQUESTED)
    before = snapshot(referral)

    assert _escalate(referral, now=referral.due_at - timedelta(seconds=1)) is False

    assert snapshot(referral) == before


def test_escalate_grants_view_clinical_to_the_new_queue_and_keeps_the_old(personas):
    referral = reach(personas, S.REQUESTED)

    _escalate(referral)

    assert group_grants(referral) == sorted(
        [(team_of("B2").group_id, "view_clinical"), (supervisors_team().group_id, "view_clinical")]
    )


def test_escalate_of_a_transferred_request_moves_on_from_its_new_queue_not_back_to_the_old(personas):
    referral = reach(personas, S.TRANSFERRED)
    assert (referral.district.code, referral.team) == ("B2", team_of("C11"))

    assert _escalate(referral, now=referral.due_at) is True

    referral.refresh_from_db()
    assert (referral.district.code, referral.team) == ("B2", supervisors_team())
    assert group_grants(referral) == sorted(
        [(team_of("C11").group_id, "view_clinical"), (supervisors_team().group_id, "view_clinical")]
    )


def test_escalate_to_on_call_lets_both_queues_read_the_request_while_it_waits(personas):
    route_b2_through_on_call()
    referral = file_referral(personas)
    assert not referrals_for_partner(user=personas["clinician.c11"]).filter(pk=referral.pk).exists()

    assert _escalate(referral, now=referral.due_at) is True

    referral.refresh_from_db()
    assert (referral.team, referral.co_response.state) == (on_call_team(), S.ESCALATED)
    assert group_grants(referral) == sorted(
        [(team_of("B2").group_id, "view_clinical"), (on_call_team().group_id, "view_clinical")]
    )
    for username in ("clinician.b2", "clinician.c11", "clinician.supervisor"):
        assert referrals_for_partner(user=personas[username]).filter(pk=referral.pk).exists(), username


def test_escalate_hints_old_and_new_queue_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.REQUESTED)

    _, hint, calls_before_commit = run_and_commit(django_capture_on_commit_callbacks, lambda: _escalate(referral))

    assert calls_before_commit == 0
    escalated = Referral.objects.get(pk=referral.pk).events.get(kind=events.ESCALATED)
    hint.assert_called_once_with(
        public_id=referral.public_id,
        team_group_ids={team_of("B2").group_id, supervisors_team().group_id},
        user_ids={personas["officer.b2"].pk},
        organisation_id=co_response().organisation_id,
        district_ids={referral.district_id},
        sequence=escalated.pk,
    )


def test_escalate_rolled_back_sends_no_hint_and_changes_nothing(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.REQUESTED)
    before = snapshot(referral)

    hint, callbacks = run_and_roll_back(django_capture_on_commit_callbacks, lambda: _escalate(referral))

    hint.assert_not_called()
    assert callbacks == []
    assert snapshot(referral) == before
