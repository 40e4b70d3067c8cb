from __future__ import annotations

import pytest

from referrals import events
from referrals.errors import Refused
from referrals.models import Phase, PoliceStatus
from referrals.workflows.co_response.services import referral_cancel
from tests.referrals.services import (
    S,
    assert_one_event,
    assert_refused,
    events_of,
    expected_hint,
    reach,
    run_and_commit,
    run_and_roll_back,
)

pytestmark = pytest.mark.django_db

ALLOWED = [S.REQUESTED, S.ESCALATED, S.TRANSFERRED]
REFUSED = {
    S.ACCEPTED: "A request that is accepted cannot be cancelled.",
    S.EN_ROUTE: "A request that is en route cannot be cancelled.",
    S.ON_SCENE: "A request that is on scene cannot be cancelled.",
    S.FOLLOW_UP: "A request that is follow-up cannot be cancelled.",
    S.CLOSED: "A request that is closed cannot be cancelled.",
    S.DECLINED: "A request that is declined cannot be cancelled.",
    S.CANCELLED: "A request that is cancelled cannot be cancelled.",
}


@pytest.mark.parametrize("source", ALLOWED)
def test_cancel_by_the_filing_officer_ends_a_waiting_request(personas, source):
    officer = personas["officer.b2"]
    referral = reach(personas, source)
    events_before = len(events_of(referral))

    referral_cancel(referral=referral, actor=officer)

    referral.refresh_from_db()
    assert referral.co_response.state == S.CANCELLED
    assert (referral.police_status, referral.phase) == (PoliceStatus.CANCELLED, Phase.ENDED)
    assert referral.ended_at is not None
    assert referral.due_at is None
    assert_one_event(
        referral,
        events_before,
        kind=events.CANCELLED,
        actor=officer,
        from_state=source,
        to_state=S.CANCELLED,
        police_visible=True,
    )


@pytest.mark.parametrize(("source", "message"), REFUSED.items())
def test_cancel_is_refused_once_the_request_is_no_longer_waiting(personas, source, message):
    referral = reach(personas, source)

    assert_refused(lambda: referral_cancel(referral=referral, actor=personas["officer.b2"]), referral, message)


@pytest.mark.parametrize("username", ["officer.d4", "sergeant.b2", "clinician.b2", "clinician.supervisor"])
def test_cancel_by_anyone_but_the_filing_officer_is_refused(personas, username):
    referral = reach(personas, S.REQUESTED)

    assert_refused(
        lambda: referral_cancel(referral=referral, actor=personas[username]),
        referral,
        Refused("Only the officer who filed a request can cancel it."),
    )


def test_cancel_hints_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.REQUESTED)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks, lambda: referral_cancel(referral=referral, actor=personas["officer.b2"])
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral, police=True))


def test_cancel_rolled_back_sends_no_hint_and_changes_nothing(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.REQUESTED)

    hint, callbacks = run_and_roll_back(
        django_capture_on_commit_callbacks, lambda: referral_cancel(referral=referral, actor=personas["officer.b2"])
    )

    hint.assert_not_called()
    assert callbacks == []
    referral.refresh_from_db()
    assert (referral.co_response.state, referral.police_status, referral.ended_at) == (
        S.REQUESTED,
        PoliceStatus.RECEIVED,
        None,
    )
    assert len(events_of(referral)) == 2
