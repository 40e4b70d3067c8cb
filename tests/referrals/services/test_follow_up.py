from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from referrals.models import FollowUp, ReferralEvent
from referrals.services import follow_up_add, follow_up_complete
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

ALLOWED = [S.ACCEPTED, S.EN_ROUTE, S.ON_SCENE, S.FOLLOW_UP]
NOT_ACCEPTED = "Follow-ups are scheduled on an accepted request that is not closed."
REFUSED = {
    S.REQUESTED: NOT_ACCEPTED,
    S.ESCALATED: NOT_ACCEPTED,
    S.TRANSFERRED: NOT_ACCEPTED,
    S.CLOSED: NOT_ACCEPTED,
    S.DECLINED: NOT_ACCEPTED,
    S.CANCELLED: NOT_ACCEPTED,
}


def _tomorrow():
    return timezone.now() + timedelta(days=1)


def _add(referral, actor):
    return follow_up_add(referral=referral, actor=actor, kind=FollowUp.Kind.HOME_VISIT, due_at=_tomorrow())


# --- follow_up_add --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ALLOWED)
def test_follow_up_is_scheduled_on_an_accepted_request_without_changing_its_state(personas, source):
    clinician = personas["clinician.b2"]
    referral = reach(personas, source)
    events_before = len(events_of(referral))
    due_at = _tomorrow()

    follow_up = follow_up_add(referral=referral, actor=clinician, kind=FollowUp.Kind.HOME_VISIT, due_at=due_at)

    follow_up.refresh_from_db()
    assert (follow_up.referral_id, follow_up.kind, follow_up.due_at, follow_up.created_by) == (
        referral.pk,
        FollowUp.Kind.HOME_VISIT,
        due_at,
        clinician,
    )
    assert (follow_up.done_at, follow_up.outcome) == (None, "")
    referral.refresh_from_db()
    assert referral.state == source
    assert_one_event(
        referral,
        events_before,
        kind=ReferralEvent.Kind.FOLLOW_UP_ADDED,
        actor=clinician,
        from_state="",
        to_state=source,
        police_visible=False,
        message="",
    )


@pytest.mark.parametrize(("source", "message"), REFUSED.items())
def test_follow_up_is_refused_on_a_request_not_accepted_or_already_closed(personas, source, message):
    referral = reach(personas, source)

    assert_refused(lambda: _add(referral, personas["clinician.b2"]), referral, message)


@pytest.mark.parametrize("kind", ["", "visit", "HOME_VISIT"])
def test_follow_up_of_an_unknown_kind_is_refused(personas, kind):
    referral = reach(personas, S.ON_SCENE)

    assert_refused(
        lambda: follow_up_add(referral=referral, actor=personas["clinician.b2"], kind=kind, due_at=_tomorrow()),
        referral,
        "Choose what kind of follow-up it is.",
    )


def test_follow_up_add_hints_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ON_SCENE)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks, lambda: _add(referral, personas["clinician.b2"])
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral))


def test_follow_up_add_rolled_back_sends_no_hint_and_leaves_no_follow_up(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ON_SCENE)
    events_before = len(events_of(referral))

    hint, callbacks = run_and_roll_back(
        django_capture_on_commit_callbacks, lambda: _add(referral, personas["clinician.b2"])
    )

    hint.assert_not_called()
    assert callbacks == []
    assert FollowUp.objects.filter(referral=referral).count() == 0
    assert len(events_of(referral)) == events_before


# --- follow_up_complete ---------------------------------------------------------------------------------------


def test_follow_up_complete_records_the_outcome_without_changing_the_state(personas):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.FOLLOW_UP)
    follow_up = FollowUp.objects.get(referral=referral)
    events_before = len(events_of(referral))

    follow_up_complete(follow_up=follow_up, actor=clinician, outcome=FollowUp.Outcome.REACHED)

    follow_up.refresh_from_db()
    assert follow_up.outcome == FollowUp.Outcome.REACHED
    assert follow_up.done_at is not None
    referral.refresh_from_db()
    assert referral.state == S.FOLLOW_UP
    assert_one_event(
        referral,
        events_before,
        kind=ReferralEvent.Kind.FOLLOW_UP_DONE,
        actor=clinician,
        from_state="",
        to_state=S.FOLLOW_UP,
        police_visible=False,
        message="",
    )


def test_follow_up_complete_twice_is_refused(personas):
    referral = reach(personas, S.FOLLOW_UP)
    follow_up = FollowUp.objects.get(referral=referral)
    follow_up_complete(follow_up=follow_up, actor=personas["clinician.b2"], outcome=FollowUp.Outcome.NOT_REACHED)

    assert_refused(
        lambda: follow_up_complete(
            follow_up=follow_up, actor=personas["clinician.b2"], outcome=FollowUp.Outcome.REACHED
        ),
        referral,
        "This follow-up is already done.",
    )


@pytest.mark.parametrize("outcome", ["", "done", "REACHED"])
def test_follow_up_complete_with_an_unknown_outcome_is_refused(personas, outcome):
    referral = reach(personas, S.FOLLOW_UP)
    follow_up = FollowUp.objects.get(referral=referral)

    assert_refused(
        lambda: follow_up_complete(follow_up=follow_up, actor=personas["clinician.b2"], outcome=outcome),
        referral,
        "Choose the outcome of the follow-up.",
    )


def test_follow_up_complete_hints_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.FOLLOW_UP)
    follow_up = FollowUp.objects.get(referral=referral)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks,
        lambda: follow_up_complete(follow_up=follow_up, actor=personas["clinician.b2"], outcome="reached"),
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral))


def test_follow_up_complete_rolled_back_sends_no_hint_and_leaves_it_open(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.FOLLOW_UP)
    follow_up = FollowUp.objects.get(referral=referral)
    events_before = len(events_of(referral))

    hint, callbacks = run_and_roll_back(
        django_capture_on_commit_callbacks,
        lambda: follow_up_complete(follow_up=follow_up, actor=personas["clinician.b2"], outcome="reached"),
    )

    hint.assert_not_called()
    assert callbacks == []
    follow_up.refresh_from_db()
    assert (follow_up.done_at, follow_up.outcome) == (None, "")
    assert len(events_of(referral)) == events_before
