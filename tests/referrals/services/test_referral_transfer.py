from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from districts.models import District
from referrals.models import ClinicalNote, PoliceStatus, ReferralEvent
from referrals.services import referral_transfer
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

ALLOWED = [S.REQUESTED, S.ESCALATED, S.ACCEPTED, S.TRANSFERRED]
REFUSED = {
    S.EN_ROUTE: "A request that is en route cannot be transferred.",
    S.ON_SCENE: "A request that is on scene cannot be transferred.",
    S.FOLLOW_UP: "A request that is follow-up cannot be transferred.",
    S.CLOSED: "A request that is closed cannot be transferred.",
    S.DECLINED: "A request that is declined cannot be transferred.",
    S.CANCELLED: "A request that is cancelled cannot be transferred.",
}
REASON = "Nearest free clinician is in D4."


def _transfer(personas, referral, *, to="D4", reason=REASON):
    return referral_transfer(
        referral=referral,
        actor=personas["clinician.supervisor"],
        district=District.objects.get(code=to),
        reason=reason,
    )


@pytest.mark.parametrize("source", ALLOWED)
def test_transfer_puts_the_request_in_another_district_queue_waiting_again(personas, source):
    supervisor = personas["clinician.supervisor"]
    referral = reach(personas, source)
    events_before = len(events_of(referral))
    before = timezone.now()

    _transfer(personas, referral)

    referral.refresh_from_db()
    assert referral.state == S.TRANSFERRED
    assert referral.police_status == PoliceStatus.RECEIVED
    assert (referral.team, referral.district.code) == (team_of("D4"), "D4")
    assert (referral.accepted_by, referral.accepted_at, referral.eta_at) == (None, None, None)
    minutes = co_response().acceptance_minutes
    assert before + timedelta(minutes=minutes) <= referral.acceptance_due_at
    assert referral.acceptance_due_at <= timezone.now() + timedelta(minutes=minutes)
    assert_one_event(
        referral,
        events_before,
        kind=ReferralEvent.Kind.TRANSFERRED,
        actor=supervisor,
        from_state=source,
        to_state=S.TRANSFERRED,
        police_visible=True,
        message="Transferred to D4",
    )


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
    expected = expected_hint(referral, extra_group_ids=(team_of("B2").group_id,))
    assert expected["team_group_ids"] == {team_of("B2").group_id, team_of("D4").group_id}
    hint.assert_called_once_with(**expected)


def test_transfer_of_an_escalated_request_hints_every_queue_that_held_it(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ESCALATED)

    _, hint, _ = run_and_commit(django_capture_on_commit_callbacks, lambda: _transfer(personas, referral))

    held = {team_of("B2").group_id, supervisors_team().group_id, team_of("D4").group_id}
    hint.assert_called_once_with(**expected_hint(referral, extra_group_ids=held))


def test_transfer_rolled_back_sends_no_hint_and_changes_nothing(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ACCEPTED)
    events_before = len(events_of(referral))

    hint, callbacks = run_and_roll_back(django_capture_on_commit_callbacks, lambda: _transfer(personas, referral))

    hint.assert_not_called()
    assert callbacks == []
    referral.refresh_from_db()
    assert referral.state == S.ACCEPTED
    assert (referral.team, referral.accepted_by) == (team_of("B2"), personas["clinician.b2"])
    assert group_grants(referral) == [(team_of("B2").group_id, "view_clinical")]
    assert user_grants(referral) == [(personas["clinician.b2"].pk, "change_clinical")]
    assert len(events_of(referral)) == events_before
