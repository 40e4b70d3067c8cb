from __future__ import annotations

import pytest

from referrals.errors import Refused
from referrals.workflows.co_response import kinds
from referrals.workflows.co_response.models import ClinicalRecord, Disposition, Section12By, Section12Kind
from referrals.workflows.co_response.services import clinical_disposition_record
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
NOT_OPEN = "A disposition is recorded while the call is open, before it is closed."
ALLOWED = [S.ACCEPTED, S.EN_ROUTE, S.ON_SCENE]
REFUSED = {
    S.REQUESTED: NOT_ASSIGNEE,
    S.ESCALATED: NOT_ASSIGNEE,
    S.TRANSFERRED: NOT_ASSIGNEE,
    S.DECLINED: NOT_ASSIGNEE,
    S.CANCELLED: NOT_ASSIGNEE,
    S.FOLLOW_UP: NOT_OPEN,
    S.CLOSED: NOT_OPEN,
}


def _record(referral):
    return ClinicalRecord.objects.get(referral=referral)


@pytest.mark.parametrize("source", ALLOWED)
def test_disposition_is_recorded_on_an_open_call_without_changing_its_state(personas, source):
    clinician = personas["clinician.b2"]
    referral = reach(personas, source)
    events_before = len(events_of(referral))

    clinical_disposition_record(referral=referral, actor=clinician, disposition=Disposition.URGENT_CARE)

    record = _record(referral)
    assert (record.disposition, record.disposition_by) == (Disposition.URGENT_CARE, clinician)
    assert record.disposition_at is not None
    referral.refresh_from_db()
    assert referral.co_response.state == source
    assert_one_event(
        referral,
        events_before,
        kind=kinds.DISPOSITION,
        actor=clinician,
        from_state="",
        to_state=source,
        police_visible=False,
        message="",
    )


@pytest.mark.parametrize(("source", "message"), REFUSED.items())
def test_disposition_is_refused_unless_the_call_is_open(personas, source, message):
    referral = reach(personas, source)

    assert_refused(
        lambda: clinical_disposition_record(
            referral=referral, actor=personas["clinician.b2"], disposition=Disposition.ARREST
        ),
        referral,
        message,
    )


@pytest.mark.parametrize("username", ["clinician.supervisor", "clinician.c11", "officer.b2"])
def test_disposition_by_anyone_but_the_accepting_clinician_is_refused(personas, username):
    referral = reach(personas, S.ON_SCENE)

    assert_refused(
        lambda: clinical_disposition_record(
            referral=referral, actor=personas[username], disposition=Disposition.STABILISED
        ),
        referral,
        NOT_ASSIGNEE,
    )


@pytest.mark.parametrize("disposition", ["", "section12", "STABILISED"])
def test_disposition_outside_the_list_is_refused(personas, disposition):
    referral = reach(personas, S.ON_SCENE)

    assert_refused(
        lambda: clinical_disposition_record(referral=referral, actor=personas["clinician.b2"], disposition=disposition),
        referral,
        "Choose a disposition.",
    )


@pytest.mark.parametrize(
    ("section12_by", "section12_kind"), [("", ""), (Section12By.PHYSICIAN, ""), ("", Section12Kind.A)]
)
def test_section_12_without_who_and_which_is_refused(personas, section12_by, section12_kind):
    referral = reach(personas, S.ON_SCENE)

    assert_refused(
        lambda: clinical_disposition_record(
            referral=referral,
            actor=personas["clinician.b2"],
            disposition=Disposition.ED_SECTION_12,
            section12_by=section12_by,
            section12_kind=section12_kind,
        ),
        referral,
        "A Section 12 needs who authorised it and whether it is 12(a) or 12(b).",
    )


def test_section_12_records_who_authorised_it_and_which_kind(personas):
    referral = reach(personas, S.ON_SCENE)

    clinical_disposition_record(
        referral=referral,
        actor=personas["clinician.b2"],
        disposition=Disposition.ED_SECTION_12,
        section12_by=Section12By.OFFICER,
        section12_kind=Section12Kind.B,
    )

    record = _record(referral)
    assert (record.disposition, record.section12_by, record.section12_kind) == ("ed_section_12", "officer", "12b")


def test_a_later_disposition_replaces_a_section_12_and_clears_its_details(personas):
    clinician = personas["clinician.b2"]
    referral = reach(personas, S.ON_SCENE)
    clinical_disposition_record(
        referral=referral,
        actor=clinician,
        disposition=Disposition.ED_SECTION_12,
        section12_by=Section12By.CLINICIAN,
        section12_kind=Section12Kind.A,
    )
    events_before = len(events_of(referral))

    clinical_disposition_record(
        referral=referral, actor=clinician, disposition=Disposition.ED_VOLUNTARY, section12_by=Section12By.CLINICIAN
    )

    record = _record(referral)
    assert (record.disposition, record.section12_by, record.section12_kind) == ("ed_voluntary", "", "")
    assert len(events_of(referral)) == events_before + 1


def test_disposition_hints_partner_pages_only_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ON_SCENE)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks,
        lambda: clinical_disposition_record(
            referral=referral, actor=personas["clinician.b2"], disposition=Disposition.STABILISED
        ),
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral, police=False))


def test_disposition_rolled_back_sends_no_hint_and_records_nothing(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ON_SCENE)
    events_before = len(events_of(referral))

    hint, callbacks = run_and_roll_back(
        django_capture_on_commit_callbacks,
        lambda: clinical_disposition_record(
            referral=referral, actor=personas["clinician.b2"], disposition=Disposition.STABILISED
        ),
    )

    hint.assert_not_called()
    assert callbacks == []
    assert (_record(referral).disposition, _record(referral).disposition_by) == ("", None)
    assert len(events_of(referral)) == events_before
