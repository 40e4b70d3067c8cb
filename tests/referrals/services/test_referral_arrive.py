from __future__ import annotations

import pytest
from django.utils import timezone

from referrals.errors import Refused
from referrals.models import Phase, PoliceStatus
from referrals.workflows.co_response import kinds
from referrals.workflows.co_response.services import referral_arrive
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
ALLOWED = [S.ACCEPTED, S.EN_ROUTE]
REFUSED = {
    S.REQUESTED: NOT_ASSIGNEE,
    S.ESCALATED: NOT_ASSIGNEE,
    S.TRANSFERRED: NOT_ASSIGNEE,
    S.DECLINED: NOT_ASSIGNEE,
    S.CANCELLED: NOT_ASSIGNEE,
    S.ON_SCENE: "A request that is on scene cannot be marked on scene.",
    S.FOLLOW_UP: "A request that is follow-up cannot be marked on scene.",
    S.CLOSED: "A request that is closed cannot be marked on scene.",
}


@pytest.mark.parametrize("source", ALLOWED)
def test_arrive_moves_an_accepted_or_en_route_request_on_scene(personas, source):
    clinician = personas["clinician.b2"]
    referral = reach(personas, source)
    events_before = len(events_of(referral))

    referral_arrive(referral=referral, actor=clinician)

    referral.refresh_from_db()
    assert referral.co_response.state == S.ON_SCENE
    assert (referral.police_status, referral.phase, referral.status_note) == (PoliceStatus.ON_SCENE, Phase.ACTIVE, "")
    assert referral.co_response.eta_at is None
    assert_one_event(
        referral,
        events_before,
        kind=kinds.ON_SCENE,
        actor=clinician,
        from_state=source,
        to_state=S.ON_SCENE,
        police_visible=True,
    )


@pytest.mark.parametrize(("source", "message"), REFUSED.items())
def test_arrive_is_refused_outside_accepted_and_en_route(personas, source, message):
    referral = reach(personas, source)

    assert_refused(lambda: referral_arrive(referral=referral, actor=personas["clinician.b2"]), referral, message)


@pytest.mark.parametrize("username", ["clinician.supervisor", "clinician.c11", "officer.b2"])
def test_arrive_by_anyone_but_the_accepting_clinician_is_refused(personas, username):
    referral = reach(personas, S.EN_ROUTE)

    assert_refused(lambda: referral_arrive(referral=referral, actor=personas[username]), referral, NOT_ASSIGNEE)


def test_arrive_hints_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.EN_ROUTE)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks, lambda: referral_arrive(referral=referral, actor=personas["clinician.b2"])
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral, police=True))


def test_arrive_rolled_back_sends_no_hint_and_changes_nothing(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.EN_ROUTE)
    events_before = len(events_of(referral))

    hint, callbacks = run_and_roll_back(
        django_capture_on_commit_callbacks, lambda: referral_arrive(referral=referral, actor=personas["clinician.b2"])
    )

    hint.assert_not_called()
    assert callbacks == []
    referral.refresh_from_db()
    assert referral.co_response.state == S.EN_ROUTE
    assert referral.co_response.eta_at is not None
    assert (referral.police_status, referral.status_note) == (
        PoliceStatus.EN_ROUTE,
        f"ETA {timezone.localtime(referral.co_response.eta_at):%H:%M}",
    )
    assert len(events_of(referral)) == events_before
