from __future__ import annotations

import pytest

from referrals import events
from referrals.errors import Refused
from referrals.models import Phase, PoliceStatus
from referrals.selectors import referrals_for_partner
from referrals.workflows.co_response.services import referral_accept, referral_escalate_if_due
from tests.referrals.services import (
    S,
    assert_one_event,
    assert_refused,
    events_of,
    expected_hint,
    file_referral,
    group_grants,
    on_call_team,
    reach,
    route_b2_through_on_call,
    run_and_commit,
    run_and_roll_back,
    supervisors_team,
    team_of,
    user_grants,
)

pytestmark = pytest.mark.django_db

PARTNER_ONLY = Refused("Only the partner team holding this request can do that.")
# Who holds a waiting request in each waiting state: B2's queue keeps it while it escalates; a transfer to C11
# hands it to C11's queue alone. A supervisor of the partner may take any of them.
ALLOWED = [
    (S.REQUESTED, "clinician.b2"),
    (S.ESCALATED, "clinician.b2"),
    (S.TRANSFERRED, "clinician.c11"),
    (S.REQUESTED, "clinician.supervisor"),
    (S.ESCALATED, "clinician.supervisor"),
    (S.TRANSFERRED, "clinician.supervisor"),
]
REFUSED = {
    S.ACCEPTED: "Jordan Lee has already accepted this request.",
    S.EN_ROUTE: "Jordan Lee has already accepted this request.",
    S.ON_SCENE: "Jordan Lee has already accepted this request.",
    S.FOLLOW_UP: "Jordan Lee has already accepted this request.",
    S.CLOSED: "Jordan Lee has already accepted this request.",
    S.DECLINED: "A request that is declined cannot be accepted.",
    S.CANCELLED: "A request that is cancelled cannot be accepted.",
}


@pytest.mark.parametrize(("source", "username"), ALLOWED)
def test_accept_moves_a_waiting_request_to_accepted(personas, source, username):
    clinician = personas[username]
    referral = reach(personas, source)
    events_before = len(events_of(referral))

    accepted = referral_accept(referral=referral, actor=clinician)

    accepted.refresh_from_db()
    assert accepted.co_response.state == S.ACCEPTED
    assert (accepted.police_status, accepted.phase) == (PoliceStatus.ACCEPTED, Phase.ACTIVE)
    assert accepted.assignee == clinician
    assert accepted.accepted_at is not None
    assert accepted.due_at is None
    assert_one_event(
        accepted,
        events_before,
        kind=events.ACCEPTED,
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


@pytest.mark.parametrize("username", ["officer.b2", "officer.d4", "sergeant.b2"])
def test_police_cannot_accept(personas, username):
    referral = reach(personas, S.REQUESTED)

    assert_refused(lambda: referral_accept(referral=referral, actor=personas[username]), referral, PARTNER_ONLY)


@pytest.mark.parametrize("source", [S.REQUESTED, S.ESCALATED])
def test_clinician_of_another_district_cannot_accept_a_b2_request(personas, source):
    referral = reach(personas, source)

    assert_refused(lambda: referral_accept(referral=referral, actor=personas["clinician.c11"]), referral, PARTNER_ONLY)


def test_clinician_of_the_queue_a_request_was_transferred_from_cannot_accept_it(personas):
    referral = reach(personas, S.TRANSFERRED)

    assert_refused(lambda: referral_accept(referral=referral, actor=personas["clinician.b2"]), referral, PARTNER_ONLY)


def test_accept_grants_change_clinical_to_the_clinician(personas):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.REQUESTED)
    assert user_grants(referral) == []

    referral_accept(referral=referral, actor=clinician)

    assert user_grants(referral) == [(clinician.pk, "change_clinical")]


def test_accept_of_an_escalated_request_takes_it_from_the_queues_it_passed_through(personas):
    referral = reach(personas, S.ESCALATED)
    assert group_grants(referral) == sorted(
        [(team_of("B2").group_id, "view_clinical"), (supervisors_team().group_id, "view_clinical")]
    )

    referral_accept(referral=referral, actor=personas["clinician.b2"])

    assert group_grants(referral) == [(supervisors_team().group_id, "view_clinical")]
    assert user_grants(referral) == [(personas["clinician.b2"].pk, "change_clinical")]


def test_access_narrows_to_the_holding_team_the_assignee_and_supervisors_once_an_escalated_request_is_accepted(
    personas,
):
    route_b2_through_on_call()
    referral = file_referral(personas)
    b2, on_call = team_of("B2"), on_call_team()
    assert referral.team == b2
    assert not referrals_for_partner(user=personas["clinician.c11"]).filter(pk=referral.pk).exists()

    assert referral_escalate_if_due(referral_id=referral.pk, now=referral.due_at)

    referral.refresh_from_db()
    assert (referral.team, referral.co_response.state) == (on_call, S.ESCALATED)
    # Waiting: the B2 queue it came from and the on-call queue that holds it now both read it.
    assert group_grants(referral) == sorted([(b2.group_id, "view_clinical"), (on_call.group_id, "view_clinical")])
    for username in ("clinician.b2", "clinician.c11", "clinician.supervisor"):
        assert referrals_for_partner(user=personas[username]).filter(pk=referral.pk).exists(), username

    referral_accept(referral=referral, actor=personas["clinician.c11"])

    # Taken: the B2 queue no longer reads it; the holding (on-call) team, the assignee and the supervisors do.
    # The B2 queue is checked by its grant: clinician.b2 is front-line staff, so also a member of the on-call
    # team (accounts.services.membership_sync_groups), and reads it through that team, not through B2's.
    assert group_grants(referral) == [(on_call.group_id, "view_clinical")]
    assert user_grants(referral) == [(personas["clinician.c11"].pk, "change_clinical")]
    for username in ("clinician.c11", "clinician.supervisor"):
        assert referrals_for_partner(user=personas[username]).filter(pk=referral.pk).exists(), username


def test_accept_hints_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.REQUESTED)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks,
        lambda: referral_accept(referral=referral, actor=personas["clinician.b2"]),
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral, police=True))


def test_accept_of_an_escalated_request_hints_the_queue_it_left(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ESCALATED)

    _, hint, _ = run_and_commit(
        django_capture_on_commit_callbacks,
        lambda: referral_accept(referral=referral, actor=personas["clinician.b2"]),
    )

    expected = expected_hint(referral, police=True, extra_group_ids=(team_of("B2").group_id,))
    assert expected["team_group_ids"] == {team_of("B2").group_id, supervisors_team().group_id}
    hint.assert_called_once_with(**expected)


def test_accept_rolled_back_sends_no_hint_and_changes_nothing(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.REQUESTED)

    hint, callbacks = run_and_roll_back(
        django_capture_on_commit_callbacks,
        lambda: referral_accept(referral=referral, actor=personas["clinician.b2"]),
    )

    hint.assert_not_called()
    assert callbacks == []
    referral.refresh_from_db()
    assert referral.co_response.state == S.REQUESTED
    assert (referral.police_status, referral.phase) == (PoliceStatus.RECEIVED, Phase.WAITING)
    assert referral.assignee is None
    assert [e.kind for e in events_of(referral)] == [events.FILED, events.ROUTED]
    assert user_grants(referral) == []
