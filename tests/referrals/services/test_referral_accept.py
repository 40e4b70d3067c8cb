from __future__ import annotations

import pytest

from referrals.models import ReferralEvent
from referrals.services import referral_accept
from tests.referrals.services import (
    S,
    assert_one_event,
    assert_refused,
    events_of,
    expected_hint,
    reach,
    run_and_commit,
    run_and_roll_back,
    user_grants,
)

pytestmark = pytest.mark.django_db

ALLOWED = [S.REQUESTED, S.ESCALATED, S.TRANSFERRED]
REFUSED = {
    S.ACCEPTED: "Jordan Lee has already accepted this request.",
    S.EN_ROUTE: "Jordan Lee has already accepted this request.",
    S.ON_SCENE: "Jordan Lee has already accepted this request.",
    S.FOLLOW_UP: "Jordan Lee has already accepted this request.",
    S.CLOSED: "Jordan Lee has already accepted this request.",
    S.DECLINED: "A request that is declined cannot be accepted.",
    S.CANCELLED: "A request that is cancelled cannot be accepted.",
}


@pytest.mark.parametrize("source", ALLOWED)
def test_accept_moves_a_waiting_request_to_accepted(personas, source):
    clinician = personas["clinician.c11"]
    referral = reach(personas, source)
    events_before = len(events_of(referral))

    accepted = referral_accept(referral=referral, actor=clinician)

    accepted.refresh_from_db()
    assert accepted.state == S.ACCEPTED
    assert accepted.accepted_by == clinician
    assert accepted.accepted_at is not None
    assert accepted.acceptance_due_at is None
    assert_one_event(
        accepted,
        events_before,
        kind=ReferralEvent.Kind.ACCEPTED,
        actor=clinician,
        from_state=source,
        to_state=S.ACCEPTED,
        police_visible=True,
    )


@pytest.mark.parametrize(("source", "message"), REFUSED.items())
def test_accept_is_refused_once_the_request_is_no_longer_waiting(personas, source, message):
    referral = reach(personas, source)

    assert_refused(
        lambda: referral_accept(referral=referral, actor=personas["clinician.supervisor"]), referral, message
    )


def test_accept_grants_change_clinical_to_the_clinician(personas):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.REQUESTED)
    assert user_grants(referral) == []

    referral_accept(referral=referral, actor=clinician)

    assert user_grants(referral) == [(clinician.pk, "change_clinical")]


def test_accept_hints_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.REQUESTED)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks,
        lambda: referral_accept(referral=referral, actor=personas["clinician.b2"]),
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral))


def test_accept_rolled_back_sends_no_hint_and_changes_nothing(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.REQUESTED)

    hint, callbacks = run_and_roll_back(
        django_capture_on_commit_callbacks,
        lambda: referral_accept(referral=referral, actor=personas["clinician.b2"]),
    )

    hint.assert_not_called()
    assert callbacks == []
    referral.refresh_from_db()
    assert referral.state == S.REQUESTED
    assert referral.accepted_by is None
    assert [e.kind for e in events_of(referral)] == [ReferralEvent.Kind.FILED, ReferralEvent.Kind.ROUTED]
    assert user_grants(referral) == []
