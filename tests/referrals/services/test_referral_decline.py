from __future__ import annotations

import pytest

from referrals.models import DeclineReason, PoliceStatus, ReferralEvent
from referrals.services import referral_decline
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
    S.ACCEPTED: "A request that is accepted cannot be declined.",
    S.EN_ROUTE: "A request that is en route cannot be declined.",
    S.ON_SCENE: "A request that is on scene cannot be declined.",
    S.FOLLOW_UP: "A request that is follow-up cannot be declined.",
    S.CLOSED: "A request that is closed cannot be declined.",
    S.DECLINED: "A request that is declined cannot be declined.",
    S.CANCELLED: "A request that is cancelled cannot be declined.",
}


@pytest.mark.parametrize("source", ALLOWED)
def test_decline_ends_a_waiting_request_with_its_reason(personas, source):
    clinician = personas["clinician.c11"]
    referral = reach(personas, source)
    events_before = len(events_of(referral))

    referral_decline(referral=referral, actor=clinician, reason=DeclineReason.SAFETY)

    referral.refresh_from_db()
    assert referral.state == S.DECLINED
    assert referral.police_status == PoliceStatus.DECLINED
    assert referral.decline_reason == DeclineReason.SAFETY
    assert referral.ended_at is not None
    assert referral.acceptance_due_at is None
    assert_one_event(
        referral,
        events_before,
        kind=ReferralEvent.Kind.DECLINED,
        actor=clinician,
        from_state=source,
        to_state=S.DECLINED,
        police_visible=True,
        message="Safety: police-only response",
    )


@pytest.mark.parametrize(("source", "message"), REFUSED.items())
def test_decline_is_refused_once_the_request_is_no_longer_waiting(personas, source, message):
    referral = reach(personas, source)

    assert_refused(
        lambda: referral_decline(referral=referral, actor=personas["clinician.b2"], reason=DeclineReason.CAPACITY),
        referral,
        message,
    )


@pytest.mark.parametrize("reason", ["", "because", "SAFETY"])
def test_decline_without_a_known_reason_is_refused(personas, reason):
    referral = reach(personas, S.REQUESTED)

    assert_refused(
        lambda: referral_decline(referral=referral, actor=personas["clinician.b2"], reason=reason),
        referral,
        "Choose why the request is declined.",
    )


def test_decline_hints_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.REQUESTED)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks,
        lambda: referral_decline(referral=referral, actor=personas["clinician.b2"], reason=DeclineReason.MEDICAL),
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral))


def test_decline_rolled_back_sends_no_hint_and_changes_nothing(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.REQUESTED)

    hint, callbacks = run_and_roll_back(
        django_capture_on_commit_callbacks,
        lambda: referral_decline(referral=referral, actor=personas["clinician.b2"], reason=DeclineReason.MEDICAL),
    )

    hint.assert_not_called()
    assert callbacks == []
    referral.refresh_from_db()
    assert (referral.state, referral.decline_reason, referral.ended_at) == (S.REQUESTED, "", None)
    assert len(events_of(referral)) == 2
