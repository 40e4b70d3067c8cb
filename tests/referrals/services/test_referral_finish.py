from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from referrals import events, policy
from referrals.errors import Refused
from referrals.models import Phase, PoliceStatus
from referrals.workflows.co_response import kinds
from referrals.workflows.co_response.models import CONNECTED_DISPOSITIONS, Disposition, FollowUp
from referrals.workflows.co_response.services import (
    clinical_disposition_record,
    follow_up_add,
    follow_up_complete,
    referral_finish,
)
from tests.referrals.services import (
    S,
    assert_one_event,
    assert_refused,
    events_of,
    expected_hint,
    reach,
    run_and_commit,
    run_and_roll_back,
    status_notices,
)

pytestmark = pytest.mark.django_db

NOT_ASSIGNEE = Refused("Only the clinician who accepted this request can do that.")
ACTIVE = [S.ACCEPTED, S.EN_ROUTE, S.ON_SCENE]
REFUSED = {
    S.REQUESTED: NOT_ASSIGNEE,
    S.ESCALATED: NOT_ASSIGNEE,
    S.TRANSFERRED: NOT_ASSIGNEE,
    S.DECLINED: NOT_ASSIGNEE,
    S.CANCELLED: NOT_ASSIGNEE,
    S.CLOSED: "A request that is closed cannot be closed.",
}


def _disposed(personas, state, disposition=Disposition.STABILISED):
    referral = reach(personas, state)
    clinical_disposition_record(referral=referral, actor=personas["clinician.b2"], disposition=disposition)
    return referral


def _add_follow_up(personas, referral):
    return follow_up_add(
        referral=referral,
        actor=personas["clinician.b2"],
        kind=FollowUp.Kind.PHONE_CALL,
        due_at=timezone.now() + timedelta(days=1),
    )


@pytest.mark.parametrize("source", ACTIVE)
def test_finish_closes_an_active_call_with_a_disposition_and_no_open_follow_up(personas, source):
    clinician = personas["clinician.b2"]
    referral = _disposed(personas, source)
    events_before = len(events_of(referral))

    referral_finish(referral=referral, actor=clinician)

    referral.refresh_from_db()
    assert referral.co_response.state == S.CLOSED
    assert referral.co_response.connected is True
    assert (referral.police_status, referral.phase) == (PoliceStatus.CLOSED_CONNECTED, Phase.ENDED)
    assert referral.ended_at is not None
    assert (referral.co_response.eta_at, referral.status_note) == (None, "")
    assert_one_event(
        referral,
        events_before,
        kind=events.CLOSED,
        actor=clinician,
        from_state=source,
        to_state=S.CLOSED,
        police_visible=True,
    )


@pytest.mark.parametrize("source", ACTIVE)
def test_finish_with_an_open_follow_up_moves_the_call_to_follow_up(personas, source):
    clinician = personas["clinician.b2"]
    referral = _disposed(personas, source)
    _add_follow_up(personas, referral)
    events_before = len(events_of(referral))

    referral_finish(referral=referral, actor=clinician)

    referral.refresh_from_db()
    assert referral.co_response.state == S.FOLLOW_UP
    # The call is over for police; the partner still has work to do.
    assert (referral.police_status, referral.phase) == (PoliceStatus.CLOSED_CONNECTED, Phase.ACTIVE)
    assert referral.ended_at is None
    assert_one_event(
        referral,
        events_before,
        kind=kinds.FOLLOW_UP,
        actor=clinician,
        from_state=source,
        to_state=S.FOLLOW_UP,
        police_visible=True,
    )


def test_finish_closes_a_follow_up_once_every_follow_up_is_done(personas):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.FOLLOW_UP)
    for follow_up in FollowUp.objects.filter(referral=referral):
        follow_up_complete(follow_up=follow_up, actor=clinician, outcome=FollowUp.Outcome.REACHED)
    events_before = len(events_of(referral))

    referral_finish(referral=referral, actor=clinician)

    referral.refresh_from_db()
    assert referral.co_response.state == S.CLOSED
    assert (referral.police_status, referral.phase) == (PoliceStatus.CLOSED_CONNECTED, Phase.ENDED)
    assert referral.ended_at is not None
    assert_one_event(
        referral,
        events_before,
        kind=events.CLOSED,
        actor=clinician,
        from_state=S.FOLLOW_UP,
        to_state=S.CLOSED,
        police_visible=True,
    )


def test_finish_is_refused_on_a_follow_up_with_a_follow_up_still_open(personas):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.FOLLOW_UP)

    assert policy.can(clinician, "finish", referral) is False
    assert_refused(
        lambda: referral_finish(referral=referral, actor=clinician),
        referral,
        "Complete the open follow-ups before closing.",
    )


@pytest.mark.parametrize("source", ACTIVE)
def test_finish_without_a_disposition_is_refused(personas, source):
    clinician = personas["clinician.b2"]
    referral = reach(personas, source)

    assert policy.can(clinician, "finish", referral) is False
    assert_refused(
        lambda: referral_finish(referral=referral, actor=clinician),
        referral,
        "Record a disposition before closing.",
    )


def test_finish_is_offered_once_it_can_succeed(personas):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.ON_SCENE)
    assert "finish" not in policy.allowed_actions(clinician, referral, side="partner")

    clinical_disposition_record(referral=referral, actor=clinician, disposition=Disposition.STABILISED)

    assert policy.can(clinician, "finish", referral) is True
    assert "finish" in policy.allowed_actions(clinician, referral, side="partner")


@pytest.mark.parametrize(("source", "message"), REFUSED.items())
def test_finish_is_refused_outside_an_active_call_or_follow_up(personas, source, message):
    referral = reach(personas, source)

    assert_refused(lambda: referral_finish(referral=referral, actor=personas["clinician.b2"]), referral, message)


@pytest.mark.parametrize("username", ["clinician.supervisor", "clinician.c11", "officer.b2"])
def test_finish_by_anyone_but_the_accepting_clinician_is_refused(personas, username):
    referral = _disposed(personas, S.ON_SCENE)

    assert_refused(lambda: referral_finish(referral=referral, actor=personas[username]), referral, NOT_ASSIGNEE)


@pytest.mark.parametrize("disposition", [d for d in Disposition.values if d != Disposition.ED_SECTION_12])
def test_finish_tells_police_connected_only_for_a_connecting_disposition(personas, disposition):
    referral = _disposed(personas, S.ON_SCENE, disposition)

    referral_finish(referral=referral, actor=personas["clinician.b2"])

    referral.refresh_from_db()
    connected = disposition in CONNECTED_DISPOSITIONS
    assert referral.co_response.connected is connected
    assert referral.police_status == (PoliceStatus.CLOSED_CONNECTED if connected else PoliceStatus.CLOSED_NOT_CONNECTED)


@pytest.mark.parametrize(
    ("disposition", "status"),
    [
        (Disposition.UNABLE_TO_LOCATE, PoliceStatus.CLOSED_NOT_CONNECTED),
        (Disposition.ARREST, PoliceStatus.CLOSED_NOT_CONNECTED),
        (Disposition.STABILISED, PoliceStatus.CLOSED_CONNECTED),
        (Disposition.REFERRED, PoliceStatus.CLOSED_CONNECTED),
    ],
)
def test_police_status_never_moves_backwards_through_follow_ups_and_the_officer_is_told_once(
    personas, disposition, status
):
    clinician, officer = personas["clinician.b2"], personas["officer.b2"]
    referral = _disposed(personas, S.ON_SCENE, disposition)
    _add_follow_up(personas, referral)
    _add_follow_up(personas, referral)
    notices_before = status_notices(referral, officer)

    referral_finish(referral=referral, actor=clinician)

    referral.refresh_from_db()
    assert (referral.co_response.state, referral.police_status, referral.phase) == (S.FOLLOW_UP, status, Phase.ACTIVE)

    for follow_up in FollowUp.objects.filter(referral=referral):
        follow_up_complete(follow_up=follow_up, actor=clinician, outcome=FollowUp.Outcome.NOT_REACHED)
        referral.refresh_from_db()
        assert referral.police_status == status
    referral_finish(referral=referral, actor=clinician)

    referral.refresh_from_db()
    assert (referral.co_response.state, referral.police_status, referral.phase) == (S.CLOSED, status, Phase.ENDED)
    assert referral.co_response.connected is (status == PoliceStatus.CLOSED_CONNECTED)
    label = PoliceStatus(status).label
    assert status_notices(referral, officer)[len(notices_before) :] == [f"Request {referral.public_id}: {label}."]


def test_finish_hints_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = _disposed(personas, S.ON_SCENE)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks, lambda: referral_finish(referral=referral, actor=personas["clinician.b2"])
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral, police=True))


def test_finish_rolled_back_sends_no_hint_and_changes_nothing(personas, django_capture_on_commit_callbacks):
    referral = _disposed(personas, S.ON_SCENE)
    events_before = len(events_of(referral))

    hint, callbacks = run_and_roll_back(
        django_capture_on_commit_callbacks, lambda: referral_finish(referral=referral, actor=personas["clinician.b2"])
    )

    hint.assert_not_called()
    assert callbacks == []
    referral.refresh_from_db()
    assert (referral.co_response.state, referral.co_response.connected) == (S.ON_SCENE, None)
    assert (referral.police_status, referral.phase, referral.ended_at) == (PoliceStatus.ON_SCENE, Phase.ACTIVE, None)
    assert len(events_of(referral)) == events_before
