from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from districts.models import District
from referrals import events
from referrals.errors import Refused
from referrals.models import ClinicalNote, Phase, PoliceStatus
from referrals.selectors import police_list
from referrals.workflows.co_response.services import referral_accept, referral_transfer
from tests.referrals.services import (
    S,
    assert_one_event,
    assert_refused,
    co_response,
    events_of,
    expected_hint,
    group_grants,
    reach,
    run_and_commit,
    run_and_roll_back,
    supervisors_team,
    team_of,
    user_grants,
)

pytestmark = pytest.mark.django_db

# The police-visible status never moves backwards: a transfer of an accepted call waits again, still "Accepted".
ALLOWED = {
    S.REQUESTED: PoliceStatus.RECEIVED,
    S.ESCALATED: PoliceStatus.RECEIVED,
    S.ACCEPTED: PoliceStatus.ACCEPTED,
    S.TRANSFERRED: PoliceStatus.RECEIVED,
}
SUPERVISOR_ONLY = Refused("Only a supervisor of the partner can do that.")
REFUSED = {
    S.EN_ROUTE: "A request that is en route cannot be transferred.",
    S.ON_SCENE: "A request that is on scene cannot be transferred.",
    S.FOLLOW_UP: "A request that is follow-up cannot be transferred.",
    S.CLOSED: "A request that is closed cannot be transferred.",
    S.DECLINED: "A request that is declined cannot be transferred.",
    S.CANCELLED: "A request that is cancelled cannot be transferred.",
}
REASON = "Nearest free clinician is in D4."


def _transfer(personas, referral, *, to="D4", reason=REASON, by="clinician.supervisor"):
    return referral_transfer(
        referral=referral, actor=personas[by], district=District.objects.get(code=to), reason=reason
    )


@pytest.mark.parametrize(("source", "police_status"), ALLOWED.items())
def test_transfer_puts_the_request_in_another_district_queue_waiting_again(personas, source, police_status):
    supervisor = personas["clinician.supervisor"]
    referral = reach(personas, source)
    events_before = len(events_of(referral))
    before = timezone.now()

    _transfer(personas, referral)

    referral.refresh_from_db()
    assert referral.co_response.state == S.TRANSFERRED
    assert (referral.police_status, referral.phase, referral.status_note) == (police_status, Phase.WAITING, "")
    # The queue changes; where it happened does not.
    assert (referral.team, referral.district.code) == (team_of("D4"), "B2")
    assert (referral.assignee, referral.accepted_at, referral.co_response.eta_at) == (None, None, None)
    minutes = co_response().acceptance_minutes
    assert before + timedelta(minutes=minutes) <= referral.due_at
    assert referral.due_at <= timezone.now() + timedelta(minutes=minutes)
    assert_one_event(
        referral,
        events_before,
        kind=events.TRANSFERRED,
        actor=supervisor,
        from_state=source,
        to_state=S.TRANSFERRED,
        police_visible=True,
        message="Transferred to D4",
    )


def test_transfer_keeps_incident_district(personas):
    sergeant = personas["sergeant.b2"]
    referral = reach(personas, S.REQUESTED)
    assert referral in police_list(user=sergeant)

    _transfer(personas, referral, to="C11")

    referral.refresh_from_db()
    assert (referral.district.code, referral.team) == ("B2", team_of("C11"))
    assert referral in police_list(user=sergeant)


def test_transfer_of_an_accepted_call_keeps_police_status_accepted(personas):
    referral = reach(personas, S.ACCEPTED)

    _transfer(personas, referral, to="C11")

    referral.refresh_from_db()
    assert (referral.co_response.state, referral.police_status) == (S.TRANSFERRED, PoliceStatus.ACCEPTED)

    referral_accept(referral=referral, actor=personas["clinician.c11"])

    referral.refresh_from_db()
    assert (referral.police_status, referral.assignee) == (PoliceStatus.ACCEPTED, personas["clinician.c11"])


@pytest.mark.parametrize("source", [S.REQUESTED, S.ACCEPTED])
@pytest.mark.parametrize("username", ["clinician.b2", "clinician.c11"])
def test_a_clinician_cannot_transfer(personas, source, username):
    referral = reach(personas, source)

    assert_refused(lambda: _transfer(personas, referral, by=username), referral, SUPERVISOR_ONLY)


@pytest.mark.parametrize("username", ["officer.b2", "sergeant.b2"])
def test_police_cannot_transfer(personas, username):
    referral = reach(personas, S.REQUESTED)

    assert_refused(lambda: _transfer(personas, referral, by=username), referral, SUPERVISOR_ONLY)


@pytest.mark.parametrize(("source", "message"), REFUSED.items())
def test_transfer_is_refused_once_a_clinician_is_on_the_way_or_the_request_ended(personas, source, message):
    referral = reach(personas, source)

    assert_refused(lambda: _transfer(personas, referral), referral, message)


def test_transfer_to_the_district_that_already_holds_it_is_refused(personas):
    referral = reach(personas, S.REQUESTED)

    assert_refused(
        lambda: _transfer(personas, referral, to="B2"), referral, "The request is already in that district's queue."
    )


@pytest.mark.parametrize("reason", ["", "  "])
def test_transfer_without_a_reason_is_refused(personas, reason):
    referral = reach(personas, S.REQUESTED)

    assert_refused(lambda: _transfer(personas, referral, reason=reason), referral, "Give a reason for the transfer.")


def test_transfer_moves_view_clinical_from_the_old_team_to_the_new(personas):
    referral = reach(personas, S.REQUESTED)
    assert group_grants(referral) == [(team_of("B2").group_id, "view_clinical")]

    _transfer(personas, referral)

    assert group_grants(referral) == [(team_of("D4").group_id, "view_clinical")]


def test_transfer_of_an_escalated_request_leaves_view_clinical_with_the_new_team_only(personas):
    referral = reach(personas, S.ESCALATED)
    assert group_grants(referral) == sorted(
        [(team_of("B2").group_id, "view_clinical"), (supervisors_team().group_id, "view_clinical")]
    )

    _transfer(personas, referral)

    assert group_grants(referral) == [(team_of("D4").group_id, "view_clinical")]


def test_transfer_of_an_accepted_request_takes_change_clinical_from_its_clinician(personas):
    referral = reach(personas, S.ACCEPTED)
    assert user_grants(referral) == [(personas["clinician.b2"].pk, "change_clinical")]

    _transfer(personas, referral)

    assert user_grants(referral) == []


def test_transfer_keeps_its_reason_as_a_handover_note_on_the_partner_side(personas):
    referral = reach(personas, S.REQUESTED)

    _transfer(personas, referral)

    notes = ClinicalNote.objects.filter(referral=referral)
    assert [(n.kind, n.author, n.text) for n in notes] == [
        (ClinicalNote.Kind.HANDOVER, personas["clinician.supervisor"], REASON)
    ]


def test_transfer_hints_old_and_new_queue_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ACCEPTED)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks, lambda: _transfer(personas, referral)
    )

    assert calls_before_commit == 0
    expected = expected_hint(
        referral, police=True, extra_group_ids=(team_of("B2").group_id,), extra_user_ids=(personas["clinician.b2"].pk,)
    )
    # The previous assignee's pages hear too: the call has left them.
    assert personas["clinician.b2"].pk in expected["user_ids"]
    assert expected["team_group_ids"] == {team_of("B2").group_id, team_of("D4").group_id}
    hint.assert_called_once_with(**expected)


def test_transfer_of_an_escalated_request_hints_every_queue_that_held_it(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ESCALATED)

    _, hint, _ = run_and_commit(django_capture_on_commit_callbacks, lambda: _transfer(personas, referral))

    held = {team_of("B2").group_id, supervisors_team().group_id, team_of("D4").group_id}
    hint.assert_called_once_with(**expected_hint(referral, police=True, extra_group_ids=held))


def test_transfer_rolled_back_sends_no_hint_and_changes_nothing(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ACCEPTED)
    events_before = len(events_of(referral))

    hint, callbacks = run_and_roll_back(django_capture_on_commit_callbacks, lambda: _transfer(personas, referral))

    hint.assert_not_called()
    assert callbacks == []
    referral.refresh_from_db()
    assert (referral.co_response.state, referral.police_status) == (S.ACCEPTED, PoliceStatus.ACCEPTED)
    assert (referral.team, referral.assignee) == (team_of("B2"), personas["clinician.b2"])
    assert group_grants(referral) == [(team_of("B2").group_id, "view_clinical")]
    assert user_grants(referral) == [(personas["clinician.b2"].pk, "change_clinical")]
    assert len(events_of(referral)) == events_before
