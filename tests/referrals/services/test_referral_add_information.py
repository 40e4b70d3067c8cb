from __future__ import annotations

import pytest

from referrals import events
from referrals.errors import Refused
from referrals.models import ClinicalNote
from referrals.services import referral_add_information
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

ALLOWED = [S.REQUESTED, S.ESCALATED, S.ACCEPTED, S.EN_ROUTE, S.ON_SCENE, S.FOLLOW_UP, S.TRANSFERRED]
ENDED = "This request has ended; call the partner's line instead."
REFUSED = {S.CLOSED: ENDED, S.DECLINED: ENDED, S.CANCELLED: ENDED}
TEXT = "His sister says he stopped his medication last week."


def _add(personas, referral, *, actor="officer.b2", text=TEXT):
    return referral_add_information(referral=referral, actor=personas[actor], text=text)


@pytest.mark.parametrize("source", ALLOWED)
def test_officer_adds_information_to_an_open_request_as_a_partner_side_note(personas, source):
    officer = personas["officer.b2"]
    referral = reach(personas, source)
    events_before = len(events_of(referral))

    _add(personas, referral, text=f"  {TEXT}\n")

    addendum = ClinicalNote.objects.get(referral=referral, kind=ClinicalNote.Kind.OFFICER_ADDENDUM)
    assert (addendum.author, addendum.text) == (officer, TEXT)
    referral.refresh_from_db()
    assert referral.co_response.state == source
    assert_one_event(
        referral,
        events_before,
        kind=events.INFO_ADDED,
        actor=officer,
        from_state="",
        to_state=source,
        police_visible=True,
        message="",
    )


@pytest.mark.parametrize(("source", "message"), REFUSED.items())
def test_adding_information_to_an_ended_request_is_refused(personas, source, message):
    referral = reach(personas, source)

    assert_refused(lambda: _add(personas, referral), referral, message)


@pytest.mark.parametrize("username", ["officer.d4", "sergeant.b2", "clinician.b2", "clinician.supervisor"])
def test_adding_information_by_anyone_but_the_filing_officer_is_refused(personas, username):
    referral = reach(personas, S.REQUESTED)

    assert_refused(
        lambda: _add(personas, referral, actor=username),
        referral,
        Refused("Only the officer who filed a request can add information to it."),
    )


@pytest.mark.parametrize("text", ["", "  ", "\n"])
def test_adding_empty_information_is_refused(personas, text):
    referral = reach(personas, S.REQUESTED)

    assert_refused(lambda: _add(personas, referral, text=text), referral, "Write the information to add.")


def test_add_information_hints_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ACCEPTED)

    _, hint, calls_before_commit = run_and_commit(django_capture_on_commit_callbacks, lambda: _add(personas, referral))

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral, police=True))


def test_add_information_rolled_back_sends_no_hint_and_leaves_no_note(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ACCEPTED)
    events_before = len(events_of(referral))

    hint, callbacks = run_and_roll_back(django_capture_on_commit_callbacks, lambda: _add(personas, referral))

    hint.assert_not_called()
    assert callbacks == []
    assert ClinicalNote.objects.filter(referral=referral).count() == 0
    assert len(events_of(referral)) == events_before
