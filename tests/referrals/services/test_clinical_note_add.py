from __future__ import annotations

import pytest

from referrals import events
from referrals.errors import Refused
from referrals.models import ClinicalNote
from referrals.services import clinical_note_add
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

WAITING = [S.REQUESTED, S.ESCALATED, S.TRANSFERRED]
TAKEN = [S.ACCEPTED, S.EN_ROUTE, S.ON_SCENE, S.FOLLOW_UP, S.CLOSED]
# The clinician who accepted it writes on a taken request; a supervisor writes on any, waiting or taken.
ALLOWED = [(source, "clinician.b2") for source in TAKEN] + [
    (source, "clinician.supervisor") for source in [*WAITING, S.ON_SCENE]
]
NOT_WRITER = Refused("Only the clinician who accepted this request, or a supervisor, can write on it.")
REFUSED = {
    S.DECLINED: "Notes are not taken on a cancelled or declined request.",
    S.CANCELLED: "Notes are not taken on a cancelled or declined request.",
}


@pytest.mark.parametrize(("source", "username"), ALLOWED)
def test_note_is_added_without_changing_the_state(personas, source, username):
    author = personas[username]
    referral = reach(personas, source)
    events_before = len(events_of(referral))

    note = clinical_note_add(referral=referral, actor=author, text="  Safety plan agreed with the person.  ")

    note.refresh_from_db()
    assert (note.referral_id, note.kind, note.author, note.text, note.part2) == (
        referral.pk,
        ClinicalNote.Kind.NOTE,
        author,
        "Safety plan agreed with the person.",
        False,
    )
    referral.refresh_from_db()
    assert referral.co_response.state == source
    assert_one_event(
        referral,
        events_before,
        kind=events.NOTE,
        actor=author,
        from_state="",
        to_state=source,
        police_visible=False,
        message="",
    )


@pytest.mark.parametrize(("source", "message"), REFUSED.items())
def test_note_is_refused_on_a_cancelled_or_declined_request(personas, source, message):
    referral = reach(personas, source)

    assert_refused(
        lambda: clinical_note_add(referral=referral, actor=personas["clinician.supervisor"], text="Called back."),
        referral,
        message,
    )


@pytest.mark.parametrize("source", WAITING)
def test_a_clinician_of_the_holding_queue_cannot_write_on_a_request_nobody_has_taken(personas, source):
    referral = reach(personas, source)
    username = "clinician.c11" if source == S.TRANSFERRED else "clinician.b2"

    assert_refused(
        lambda: clinical_note_add(referral=referral, actor=personas[username], text="Called back."),
        referral,
        NOT_WRITER,
    )


@pytest.mark.parametrize("username", ["clinician.c11", "officer.b2", "sergeant.b2"])
def test_note_by_anyone_but_the_accepting_clinician_or_a_supervisor_is_refused(personas, username):
    referral = reach(personas, S.ON_SCENE)

    assert_refused(
        lambda: clinical_note_add(referral=referral, actor=personas[username], text="Called back."),
        referral,
        NOT_WRITER,
    )


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_note_without_text_is_refused(personas, text):
    referral = reach(personas, S.ON_SCENE)

    assert_refused(
        lambda: clinical_note_add(referral=referral, actor=personas["clinician.b2"], text=text),
        referral,
        "A note needs some text.",
    )


def test_note_keeps_the_part_2_flag(personas):
    referral = reach(personas, S.ON_SCENE)

    note = clinical_note_add(referral=referral, actor=personas["clinician.b2"], text="Opioid use disorder.", part2=True)

    assert ClinicalNote.objects.get(pk=note.pk).part2 is True


def test_note_hints_partner_pages_only_once_after_commit(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ON_SCENE)

    _, hint, calls_before_commit = run_and_commit(
        django_capture_on_commit_callbacks,
        lambda: clinical_note_add(referral=referral, actor=personas["clinician.b2"], text="Assessed."),
    )

    assert calls_before_commit == 0
    hint.assert_called_once_with(**expected_hint(referral, police=False))


def test_note_rolled_back_sends_no_hint_and_leaves_no_note(personas, django_capture_on_commit_callbacks):
    referral = reach(personas, S.ON_SCENE)
    events_before = len(events_of(referral))

    hint, callbacks = run_and_roll_back(
        django_capture_on_commit_callbacks,
        lambda: clinical_note_add(referral=referral, actor=personas["clinician.b2"], text="Assessed."),
    )

    hint.assert_not_called()
    assert callbacks == []
    assert ClinicalNote.objects.filter(referral=referral).count() == 0
    assert len(events_of(referral)) == events_before
