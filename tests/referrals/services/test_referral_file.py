from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from districts.models import District
from programs.models import Program
from referrals import events
from referrals.errors import ReferralError
from referrals.models import Phase, PoliceStatus, Referral, ReferralEvent, Subject, Urgency
from referrals.services import referral_file
from referrals.workflows.co_response.models import ClinicalRecord, CoResponseCase, CoResponseState
from tests.referrals.services import (
    CIRCUMSTANCES,
    SUBJECT_NAME,
    co_response,
    events_of,
    group_grants,
    new_referral,
    run_and_commit,
    run_and_roll_back,
    snapshot,
    team_of,
    user_grants,
)

pytestmark = pytest.mark.django_db


def _file(personas, officer="officer.b2", **kwargs):
    return referral_file(new=new_referral(**kwargs), officer=personas[officer])


def test_file_creates_a_requested_referral_with_its_subject_and_an_empty_clinical_record(personas):
    referral, created = _file(personas)

    assert created is True
    referral.refresh_from_db()
    assert referral.co_response.state == CoResponseState.REQUESTED
    assert (referral.police_status, referral.phase, referral.status_note) == (PoliceStatus.RECEIVED, Phase.WAITING, "")
    assert (referral.workflow, referral.assignee) == ("co_response", None)
    assert referral.officer == personas["officer.b2"]
    assert referral.program == co_response()
    assert referral.urgency == Urgency.ON_SCENE_NOW
    assert referral.public_id.startswith("R-")
    subject = Subject.objects.get(referral=referral)
    assert (subject.name, subject.approximate_age, subject.circumstances) == (SUBJECT_NAME, 34, CIRCUMSTANCES)
    assert ClinicalRecord.objects.get(referral=referral).disposition == ""


def test_file_routes_to_the_partner_team_of_the_district_with_an_acceptance_deadline(personas):
    before = timezone.now()

    referral, _ = _file(personas, district="C11")

    assert referral.team == team_of("C11")
    assert referral.district.code == "C11"
    minutes = co_response().acceptance_minutes
    assert before + timedelta(minutes=minutes) <= referral.due_at
    assert referral.due_at <= timezone.now() + timedelta(minutes=minutes)


def test_file_writes_a_police_visible_filed_event_and_a_hidden_routed_event(personas):
    referral, _ = _file(personas)

    timeline = events_of(referral)
    assert [(e.kind, e.from_state, e.to_state, e.police_visible, e.actor) for e in timeline] == [
        (events.FILED, "", CoResponseState.REQUESTED, True, personas["officer.b2"]),
        (events.ROUTED, "", CoResponseState.REQUESTED, False, None),
    ]


def test_file_grants_view_clinical_to_the_district_team_group_only(personas):
    referral, _ = _file(personas)

    assert group_grants(referral) == [(team_of("B2").group_id, "view_clinical")]
    assert user_grants(referral) == []


def test_file_twice_with_the_same_key_returns_the_first_request_uncreated(personas):
    key = uuid.uuid4()
    first, first_created = _file(personas, key=key)
    before = snapshot(first)

    second, second_created = _file(personas, key=key)

    assert (first_created, second_created) == (True, False)
    assert second.pk == first.pk
    assert Referral.objects.filter(idempotency_key=key).count() == 1
    assert snapshot(first) == before


def test_file_with_a_key_already_used_by_another_officer_is_refused(personas):
    key = uuid.uuid4()
    first, _ = _file(personas, key=key)
    before = snapshot(first)

    with pytest.raises(ReferralError) as error:
        _file(personas, officer="officer.d4", key=key)

    assert str(error.value) == "This form was already used. Open a new request form and try again."
    assert Referral.objects.count() == 1
    assert snapshot(first) == before


def test_file_is_refused_for_a_program_whose_workflow_is_not_built_yet(personas):
    new = new_referral()
    new.program = Program.objects.get(slug="hub-table")  # Hub situations: not a workflow a referral is filed in

    with pytest.raises(ReferralError) as error:
        referral_file(new=new, officer=personas["officer.b2"])

    assert str(error.value) == "That program does not take requests."
    assert Referral.objects.count() == 0
    assert CoResponseCase.objects.count() == 0
    assert ReferralEvent.objects.count() == 0


def test_file_is_refused_for_an_inactive_program(personas):
    Program.objects.filter(slug="co-response").update(is_active=False)

    with pytest.raises(ReferralError) as error:
        _file(personas)

    assert str(error.value) == "That program does not take requests."
    assert Referral.objects.count() == 0


def test_file_keeps_the_officer_district_apart_from_the_subject_district(personas):
    referral, _ = referral_file(
        new=new_referral(district="C11"),
        officer=personas["officer.b2"],
        officer_district=District.objects.get(code="B2"),
    )

    assert (referral.district.code, referral.officer_district.code) == ("C11", "B2")


def test_file_hints_once_after_commit(personas, django_capture_on_commit_callbacks):
    (referral, _), hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks, lambda: _file(personas)
    )

    assert calls_before_commit == 0
    filed = events_of(referral)[0]
    hint.assert_called_once_with(
        public_id=referral.public_id,
        team_group_ids={team_of("B2").group_id},
        user_ids={personas["officer.b2"].pk},
        organisation_id=co_response().organisation_id,
        district_ids={referral.district_id},
        sequence=filed.pk,
    )


def test_file_rolled_back_sends_no_hint_and_leaves_no_referral(personas, django_capture_on_commit_callbacks):
    hint, callbacks = run_and_roll_back(django_capture_on_commit_callbacks, lambda: _file(personas))

    hint.assert_not_called()
    assert callbacks == []
    assert Referral.objects.count() == 0
    assert CoResponseCase.objects.count() == 0
    assert ReferralEvent.objects.count() == 0
