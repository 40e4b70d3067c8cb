from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from referrals.errors import Refused
from referrals.workflows.co_response import kinds
from referrals.workflows.co_response.models import FollowUp
from referrals.workflows.co_response.services import follow_up_add, follow_up_complete
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
NOT_WRITER = Refused("Only the clinician who accepted this request, or a supervisor, can schedule follow-ups.")
NOT_ASSIGNEE = Refused("Only the clinician who accepted this request can do that.")


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
    assert referral.co_response.state == source
    assert_one_event(
        referral,
        events_before,
        kind=kinds.FOLLOW_UP_ADDED,
        actor=clinician,
        from_state="",
        to_state=source,
        police_visible=False,
        message="",
    )


@pytest.mark.parametrize(("source", "message"), REFUSED.items())
def test_follow_up_is_refused_on_a_request_not_accepted_or_already_closed(personas, source, message):
    referral = reach(personas, source)

    assert_refused(lambda: _add(referral, personas["clinician.supervisor"]), referral, message)


def test_follow_up_by_a_supervisor_is_scheduled(personas):
    supervisor = personas["clinician.supervisor"]
    referral = reach(personas, S.ON_SCENE)

    follow_up = _add(referral, supervisor)

    assert (follow_up.referral_id, follow_up.created_by) == (referral.pk, supervisor)


def test_a_clinician_of_the_holding_queue_cannot_schedule_a_follow_up_on_a_request_nobody_has_taken(personas):
    referral = reach(personas, S.REQUESTED)

    assert_refused(lambda: _add(referral, personas["clinician.b2"]), referral, NOT_WRITER)


@pytest.mark.parametrize("username", ["clinician.c11", "officer.b2", "sergeant.b2"])
def test_follow_up_by_anyone_but_the_accepting_clinician_or_a_supervisor_is_refused(personas, username):
    referral = reach(personas, S.ON_SCENE)

    assert_refused(lambda: _add(referral, personas[username]), referral, NOT_WRITER)


@pytest.mark.parametrize(
    "due_at",
    [
        lambda: timezone.now() - timedelta(days=1),
        lambda: timezone.now() + timedelta(days=367),
        lambda: datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
    ],
    ids=["yesterday", "next-year-and-a-day", "9999-12-31"],
)
def test_follow_up_due_outside_now_to_a_year_ahead_is_refused(personas, due_at):
    referral = reach(personas, S.ON_SCENE)

    assert_refused(
        lambda: follow_up_add(
            referral=referral, actor=personas["clinician.b2"], kind=FollowUp.Kind.PHONE_CALL, due_at=due_at()
        ),
        referral,
        "A follow-up is due from now to a year ahead.",
    )


@pytest.mark.parametrize("kind", ["", "visit", "HOME_VISIT"])
def test_follow_up_of_an_unknown_kind_is_refused(personas, kind):
    referral = reach(personas, S.ON_SCENE)

    assert_refused(
        lambda: follow_up_add(referral=referral, actor=personas["clinician.b2"], kind=kind, due_at=_tomorrow()),
        referral,
        "Choose what kind of follow-up it is.",
    )


def test_follow_up_add_hints_partner_pages_only_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ON_SCENE)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks, lambda: _add(referral, personas["clinician.b2"])
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral, police=False))


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
    assert referral.co_response.state == S.FOLLOW_UP
    assert_one_event(
        referral,
        events_before,
        kind=kinds.FOLLOW_UP_DONE,
        actor=clinician,
        from_state="",
        to_state=S.FOLLOW_UP,
        police_visible=False,
        message="",
    )


def test_follow_up_complete_by_a_supervisor_records_the_outcome(personas):
    referral = reach(personas, S.FOLLOW_UP)
    follow_up = FollowUp.objects.get(referral=referral)

    follow_up_complete(follow_up=follow_up, actor=personas["clinician.supervisor"], outcome=FollowUp.Outcome.REACHED)

    follow_up.refresh_from_db()
    assert (follow_up.outcome, follow_up.done_at is not None) == (FollowUp.Outcome.REACHED, True)


@pytest.mark.parametrize("username", ["clinician.c11", "officer.b2", "sergeant.b2"])
def test_follow_up_complete_by_anyone_but_the_accepting_clinician_or_a_supervisor_is_refused(personas, username):
    referral = reach(personas, S.FOLLOW_UP)
    follow_up = FollowUp.objects.get(referral=referral)

    assert_refused(
        lambda: follow_up_complete(follow_up=follow_up, actor=personas[username], outcome=FollowUp.Outcome.REACHED),
        referral,
        NOT_ASSIGNEE,
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


def test_follow_up_complete_hints_partner_pages_only_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.FOLLOW_UP)
    follow_up = FollowUp.objects.get(referral=referral)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks,
        lambda: follow_up_complete(follow_up=follow_up, actor=personas["clinician.b2"], outcome="reached"),
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral, police=False))


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
