from __future__ import annotations

import pytest

from referrals import events
from referrals.errors import Refused
from referrals.models import ClinicalNote, PoliceStatus
from referrals.workflows.co_response.services import referral_reassign
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

ALLOWED = [S.ACCEPTED, S.EN_ROUTE, S.ON_SCENE, S.FOLLOW_UP]
NOT_ACCEPTED = "Only an accepted request can be reassigned; a waiting one can be transferred."
REFUSED = {
    S.REQUESTED: NOT_ACCEPTED,
    S.ESCALATED: NOT_ACCEPTED,
    S.TRANSFERRED: NOT_ACCEPTED,
    S.CLOSED: NOT_ACCEPTED,
    S.DECLINED: NOT_ACCEPTED,
    S.CANCELLED: NOT_ACCEPTED,
}
SUPERVISOR_ONLY = Refused("Only a supervisor of the partner can do that.")
REASON = "Jordan's shift ended; Priya takes over."


def _reassign(personas, referral, *, to="clinician.c11", reason=REASON, by="clinician.supervisor"):
    return referral_reassign(referral=referral, actor=personas[by], clinician=personas[to], reason=reason)


@pytest.mark.parametrize("source", ALLOWED)
def test_reassign_hands_an_accepted_request_to_another_clinician_in_the_same_state(personas, source):
    supervisor, newcomer = personas["clinician.supervisor"], personas["clinician.c11"]
    referral = reach(personas, source)
    events_before = len(events_of(referral))

    _reassign(personas, referral)

    referral.refresh_from_db()
    assert referral.assignee == newcomer
    assert referral.co_response.state == source
    assert_one_event(
        referral,
        events_before,
        kind=events.REASSIGNED,
        actor=supervisor,
        from_state="",
        to_state=source,
        police_visible=True,
        message="Reassigned to Priya Natarajan",
    )


@pytest.mark.parametrize(("source", "message"), REFUSED.items())
def test_reassign_is_refused_unless_the_request_is_accepted_and_open(personas, source, message):
    referral = reach(personas, source)

    assert_refused(lambda: _reassign(personas, referral), referral, message)


@pytest.mark.parametrize("username", ["clinician.b2", "clinician.c11", "officer.b2", "sergeant.b2"])
def test_only_a_supervisor_of_the_partner_can_reassign(personas, username):
    referral = reach(personas, S.ACCEPTED)

    assert_refused(lambda: _reassign(personas, referral, by=username), referral, SUPERVISOR_ONLY)


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("officer.b2", "Dana Reyes is not a clinician of BEST."),
        ("sergeant.b2", "Maria Okafor is not a clinician of BEST."),
        ("youth.e13", "Chris Delgado is not a clinician of BEST."),
        ("clinician.supervisor", "Alex Moreau is not a clinician of BEST."),
    ],
)
def test_reassign_to_someone_who_is_not_a_clinician_of_the_partner_is_refused(personas, username, message):
    referral = reach(personas, S.ON_SCENE)

    assert_refused(lambda: _reassign(personas, referral, to=username), referral, message)


def test_reassign_keeps_the_police_status(personas):
    referral = reach(personas, S.EN_ROUTE)

    _reassign(personas, referral)

    referral.refresh_from_db()
    assert (referral.police_status, referral.co_response.state) == (PoliceStatus.EN_ROUTE, S.EN_ROUTE)


def test_reassign_to_the_clinician_who_holds_it_is_refused(personas):
    referral = reach(personas, S.ACCEPTED)

    assert_refused(
        lambda: _reassign(personas, referral, to="clinician.b2"), referral, "That clinician already holds this request."
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_reassign_without_a_reason_is_refused(personas, reason):
    referral = reach(personas, S.ACCEPTED)

    assert_refused(
        lambda: _reassign(personas, referral, reason=reason), referral, "Give a reason for the reassignment."
    )


def test_reassign_moves_change_clinical_from_the_old_clinician_to_the_new(personas):
    referral = reach(personas, S.EN_ROUTE)
    assert user_grants(referral) == [(personas["clinician.b2"].pk, "change_clinical")]

    _reassign(personas, referral)

    assert user_grants(referral) == [(personas["clinician.c11"].pk, "change_clinical")]


def test_reassign_keeps_its_reason_as_a_handover_note_on_the_partner_side(personas):
    referral = reach(personas, S.ON_SCENE)

    _reassign(personas, referral)

    notes = ClinicalNote.objects.filter(referral=referral)
    assert [(n.kind, n.author, n.text) for n in notes] == [
        (ClinicalNote.Kind.HANDOVER, personas["clinician.supervisor"], REASON)
    ]
    assert events_of(referral)[-1].message == "Reassigned to Priya Natarajan"


def test_reassign_hints_once_after_commit_and_tells_the_previous_clinician(
    personas, django_capture_on_commit_callbacks
):
    referral = reach(personas, S.ACCEPTED)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks, lambda: _reassign(personas, referral)
    )

    assert calls_before_commit == 0
    # The previous clinician is among the one hint's recipients, so their open list drops it.
    hint.assert_called_once_with(**expected_hint(referral, police=True, extra_user_ids=(personas["clinician.b2"].pk,)))


def test_reassign_rolled_back_sends_no_hint_and_changes_nothing(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ACCEPTED)
    events_before = len(events_of(referral))

    hint, callbacks = run_and_roll_back(django_capture_on_commit_callbacks, lambda: _reassign(personas, referral))

    hint.assert_not_called()
    assert callbacks == []
    referral.refresh_from_db()
    assert referral.assignee == personas["clinician.b2"]
    assert user_grants(referral) == [(personas["clinician.b2"].pk, "change_clinical")]
    assert len(events_of(referral)) == events_before
