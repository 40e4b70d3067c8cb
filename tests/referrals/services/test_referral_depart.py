from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from referrals.errors import Refused
from referrals.models import Phase, PoliceStatus
from referrals.workflows.co_response import kinds
from referrals.workflows.co_response.services import referral_depart
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

NOT_ASSIGNEE = Refused("Only the clinician who accepted this request can do that.")
REFUSED = {
    S.REQUESTED: NOT_ASSIGNEE,
    S.ESCALATED: NOT_ASSIGNEE,
    S.TRANSFERRED: NOT_ASSIGNEE,
    S.DECLINED: NOT_ASSIGNEE,
    S.CANCELLED: NOT_ASSIGNEE,
    S.EN_ROUTE: "A request that is en route cannot be marked en route.",
    S.ON_SCENE: "A request that is on scene cannot be marked en route.",
    S.FOLLOW_UP: "A request that is follow-up cannot be marked en route.",
    S.CLOSED: "A request that is closed cannot be marked en route.",
}


@pytest.mark.parametrize("eta_minutes", [1, 12, 240])
def test_depart_moves_an_accepted_request_en_route_with_an_eta(personas, eta_minutes):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.ACCEPTED)
    events_before = len(events_of(referral))
    before = timezone.now()

    referral_depart(referral=referral, actor=clinician, eta_minutes=eta_minutes)

    referral.refresh_from_db()
    eta_at = referral.co_response.eta_at
    assert referral.co_response.state == S.EN_ROUTE
    assert (referral.police_status, referral.phase) == (PoliceStatus.EN_ROUTE, Phase.ACTIVE)
    assert before + timedelta(minutes=eta_minutes) <= eta_at
    assert eta_at <= timezone.now() + timedelta(minutes=eta_minutes)
    # Police read the arrival time beside the status, never anything clinical.
    assert referral.status_note == f"ETA {timezone.localtime(eta_at):%H:%M}"
    assert_one_event(
        referral,
        events_before,
        kind=kinds.EN_ROUTE,
        actor=clinician,
        from_state=S.ACCEPTED,
        to_state=S.EN_ROUTE,
        police_visible=True,
        message=f"ETA {eta_minutes} min",
    )


@pytest.mark.parametrize(("source", "message"), REFUSED.items())
def test_depart_is_refused_outside_accepted(personas, source, message):
    referral = reach(personas, source)

    assert_refused(
        lambda: referral_depart(referral=referral, actor=personas["clinician.b2"], eta_minutes=12), referral, message
    )


@pytest.mark.parametrize("username", ["clinician.supervisor", "clinician.c11", "officer.b2"])
def test_depart_by_anyone_but_the_accepting_clinician_is_refused(personas, username):
    referral = reach(personas, S.ACCEPTED)

    assert_refused(
        lambda: referral_depart(referral=referral, actor=personas[username], eta_minutes=12), referral, NOT_ASSIGNEE
    )


@pytest.mark.parametrize("eta_minutes", [-5, 0, 241])
def test_depart_with_an_eta_outside_1_to_240_minutes_is_refused(personas, eta_minutes):
    referral = reach(personas, S.ACCEPTED)

    assert_refused(
        lambda: referral_depart(referral=referral, actor=personas["clinician.b2"], eta_minutes=eta_minutes),
        referral,
        "Give an arrival time between 1 and 240 minutes.",
    )


def test_depart_hints_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ACCEPTED)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks,
        lambda: referral_depart(referral=referral, actor=personas["clinician.b2"], eta_minutes=12),
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral, police=True))


def test_depart_rolled_back_sends_no_hint_and_changes_nothing(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ACCEPTED)
    events_before = len(events_of(referral))

    hint, callbacks = run_and_roll_back(
        django_capture_on_commit_callbacks,
        lambda: referral_depart(referral=referral, actor=personas["clinician.b2"], eta_minutes=12),
    )

    hint.assert_not_called()
    assert callbacks == []
    referral.refresh_from_db()
    assert (referral.co_response.state, referral.co_response.eta_at) == (S.ACCEPTED, None)
    assert (referral.police_status, referral.status_note) == (PoliceStatus.ACCEPTED, "")
    assert len(events_of(referral)) == events_before
