from __future__ import annotations

import pytest

from referrals import events
from referrals.errors import Refused
from referrals.models import Phase, PoliceStatus
from referrals.workflows.co_response.models import DeclineReason
from referrals.workflows.co_response.services import referral_decline
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

PARTNER_ONLY = Refused("Only the partner team holding this request can do that.")
# The holding queue's clinician for each waiting state (see test_referral_accept), and a supervisor for any.
ALLOWED = [
    (S.REQUESTED, "clinician.b2"),
    (S.ESCALATED, "clinician.b2"),
    (S.TRANSFERRED, "clinician.c11"),
    (S.REQUESTED, "clinician.supervisor"),
    (S.ESCALATED, "clinician.supervisor"),
    (S.TRANSFERRED, "clinician.supervisor"),
]
REFUSED = {
    S.ACCEPTED: "A request that is accepted cannot be declined.",
    S.EN_ROUTE: "A request that is en route cannot be declined.",
    S.ON_SCENE: "A request that is on scene cannot be declined.",
    S.FOLLOW_UP: "A request that is follow-up cannot be declined.",
    S.CLOSED: "A request that is closed cannot be declined.",
    S.DECLINED: "A request that is declined cannot be declined.",
    S.CANCELLED: "A request that is cancelled cannot be declined.",
}


@pytest.mark.parametrize(("source", "username"), ALLOWED)
def test_decline_ends_a_waiting_request_with_its_reason(personas, source, username):
    clinician = personas[username]
    referral = reach(personas, source)
    events_before = len(events_of(referral))

    referral_decline(referral=referral, actor=clinician, reason=DeclineReason.SAFETY)

    referral.refresh_from_db()
    assert referral.co_response.state == S.DECLINED
    assert referral.co_response.decline_reason == DeclineReason.SAFETY
    assert (referral.police_status, referral.phase) == (PoliceStatus.DECLINED, Phase.ENDED)
    assert referral.status_note == "Declined: Safety: police-only response"
    assert referral.ended_at is not None
    assert referral.due_at is None
    assert_one_event(
        referral,
        events_before,
        kind=events.DECLINED,
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


@pytest.mark.parametrize("username", ["officer.b2", "officer.d4", "sergeant.b2"])
def test_police_cannot_decline(personas, username):
    referral = reach(personas, S.REQUESTED)

    assert_refused(
        lambda: referral_decline(referral=referral, actor=personas[username], reason=DeclineReason.SAFETY),
        referral,
        PARTNER_ONLY,
    )


@pytest.mark.parametrize("source", [S.REQUESTED, S.ESCALATED])
def test_clinician_of_another_district_cannot_decline_a_b2_request(personas, source):
    referral = reach(personas, source)

    assert_refused(
        lambda: referral_decline(referral=referral, actor=personas["clinician.c11"], reason=DeclineReason.CAPACITY),
        referral,
        PARTNER_ONLY,
    )


@pytest.mark.parametrize("reason", ["", "because", "SAFETY"])
def test_decline_without_a_known_reason_is_refused(personas, reason):
    referral = reach(personas, S.REQUESTED)

    assert_refused(
        lambda: referral_decline(referral=referral, actor=personas["clinician.b2"], reason=reason),
        referral,
        "Choose why the request is declined.",
    )


def test_decline_tells_the_officer_the_reason_and_nothing_clinical(personas):
    referral = reach(personas, S.REQUESTED)

    referral_decline(referral=referral, actor=personas["clinician.b2"], reason=DeclineReason.MEDICAL)

    officer = personas["officer.b2"]
    notices = list(officer.notifications.filter(url__contains=referral.public_id).values_list("text", flat=True))
    assert notices == [f"Request {referral.public_id} declined: Medical emergency: EMS first."]


def test_decline_hints_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.REQUESTED)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks,
        lambda: referral_decline(referral=referral, actor=personas["clinician.b2"], reason=DeclineReason.MEDICAL),
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral, police=True))


def test_decline_rolled_back_sends_no_hint_and_changes_nothing(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.REQUESTED)

    hint, callbacks = run_and_roll_back(
        django_capture_on_commit_callbacks,
        lambda: referral_decline(referral=referral, actor=personas["clinician.b2"], reason=DeclineReason.MEDICAL),
    )

    hint.assert_not_called()
    assert callbacks == []
    referral.refresh_from_db()
    assert (referral.co_response.state, referral.co_response.decline_reason) == (S.REQUESTED, "")
    assert (referral.police_status, referral.status_note, referral.ended_at) == (PoliceStatus.RECEIVED, "", None)
    assert len(events_of(referral)) == 2
