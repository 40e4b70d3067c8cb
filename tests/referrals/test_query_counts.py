"""What each page of the slice costs in queries, pinned: no more than before the envelope reshape (the bench's
counts, bench/RESULTS-before-reshape.md) but for the second factor's one, and the same with 5 requests as with 200,
or with a long history.

Six of every signed-in page's queries are the request's own: the session, the user, the device that passed the
second sign-in step (django-otp's ``is_verified``: one query, added with two-step sign-in), and the user's
memberships with their districts and units (loaded once per request); one more is the unread-notices count in the
header."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from districts.models import District
from referrals import services
from referrals.workflows.co_response import services as co_response
from referrals.workflows.co_response.models import FollowUp
from tests.referrals.factories import advance, file_referral
from tests.referrals.query_counts import fill_requests, measure

# The lists: the request's seven, and two of the page's own. The queue's are its waiting rows and its own open
# work, each with its rows' workflow states joined; a supervisor's queue has a third list, everyone else's work.
# My referrals: each branch of the police condition gives its newest ids, and one query loads those rows.
LIST_QUERIES = {
    ("officer.b2", "referrals:mine"): 9,
    ("sergeant.b2", "referrals:mine"): 11,
    ("clinician.b2", "referrals:queue"): 9,
    ("clinician.supervisor", "referrals:queue"): 10,
}


@pytest.mark.parametrize(
    ("username", "url_name"),
    [
        ("officer.b2", "referrals:mine"),
        ("sergeant.b2", "referrals:mine"),
        ("clinician.b2", "referrals:queue"),
        ("clinician.supervisor", "referrals:queue"),
    ],
)
def test_page_and_partial_make_the_same_number_of_queries_with_5_and_200_requests(client, personas, username, url_name):
    path = reverse(url_name)
    fill_requests(personas, 0, 5)
    client.force_login(personas[username])
    client.get(path)  # warm the per-process caches (content types) so both measures start alike
    at_5 = {htmx: measure(client, path, htmx) for htmx in (False, True)}
    fill_requests(personas, 5, 200)
    at_200 = {htmx: measure(client, path, htmx) for htmx in (False, True)}

    for htmx in (False, True):
        (queries_5, rows_5), (queries_200, rows_200) = at_5[htmx], at_200[htmx]
        assert rows_5 >= 2  # the lists are really rendered...
        assert rows_200 > rows_5  # ...and really grow
        assert queries_200 == queries_5, f"htmx={htmx}: {queries_5} queries at 5, {queries_200} at 200"
        assert queries_5 == LIST_QUERIES[(username, url_name)], f"htmx={htmx}"


# --- the case page --------------------------------------------------------------------------------------------

# The request's seven; one query for the referral with its subject and officer, the queue holding it, its workflow
# state and clinical record, whether a follow-up is open and whether a team of the viewer's holds it; the access-log
# row; the timeline, the notes and the follow-ups. The buttons cost nothing more: the policy answers from what that
# one query loaded. As before the reshape, in every state.
CASE_QUERIES = 12
# Once someone has taken the request the page shows the filing officer's callback number: one small query of its
# own (cheaper to run than a subquery in the referral's query is to compile).
OFFICER_PHONE_QUERIES = 1
TAKEN = {"accepted", "on_scene", "disposed", "follow_up", "closed"}
SUPERVISOR_CASE_QUERIES = {"waiting": 14, "disposed": 13, "closed": 12}
# While a request is open its assignee and the supervisors may send it to another program: the re-route form lists
# the programs, one query more. A closed request (the bench's case page) offers no re-route.
REROUTE_FORM_QUERIES = 1
REROUTE_OFFERED = {("clinician.b2", s) for s in ("accepted", "on_scene", "disposed", "follow_up")} | {
    ("clinician.supervisor", s) for s in ("waiting", "disposed")
}


def _case_at(personas, state: str):
    clinician = personas["clinician.b2"]
    referral = file_referral(personas["officer.b2"], "B2")
    if state in ("accepted", "on_scene", "disposed"):
        advance(referral, clinician, state)
    elif state in ("follow_up", "closed"):
        advance(referral, clinician, "disposed")
        if state == "follow_up":
            _follow_up(referral, clinician)
        co_response.referral_finish(referral=referral, actor=clinician)
    elif state == "transferred":
        co_response.referral_transfer(
            referral=referral,
            actor=personas["clinician.supervisor"],
            district=District.objects.get(code="C11"),
            reason="Nearest free clinician",
        )
    return referral


def _follow_up(referral, actor):
    return co_response.follow_up_add(
        referral=referral, actor=actor, kind=FollowUp.Kind.PHONE_CALL, due_at=timezone.now() + timedelta(days=1)
    )


def _add_history(personas, referral, state: str, count: int) -> None:
    """``count`` more notes, and officer's additions and follow-ups where the state takes them."""
    supervisor = personas["clinician.supervisor"]
    for number in range(count):
        services.clinical_note_add(referral=referral, actor=supervisor, text=f"Note {number}")
        if state in ("waiting", "accepted", "on_scene", "disposed", "follow_up"):
            services.referral_add_information(referral=referral, actor=personas["officer.b2"], text=f"Also {number}")
        if state in ("accepted", "on_scene", "disposed", "follow_up"):
            _follow_up(referral, supervisor)


@pytest.mark.parametrize(
    ("username", "state"),
    [
        ("clinician.b2", "waiting"),  # held through the B2 team's grant: Accept and Decline
        ("clinician.b2", "accepted"),
        ("clinician.b2", "on_scene"),
        ("clinician.b2", "disposed"),  # End call offered on the disposition the page loaded
        ("clinician.b2", "follow_up"),
        ("clinician.b2", "closed"),  # the bench's case page
        ("clinician.c11", "transferred"),
        ("clinician.supervisor", "waiting"),
        ("clinician.supervisor", "disposed"),
        ("clinician.supervisor", "closed"),
    ],
)
def test_case_page_queries_are_pinned_in_every_state_and_do_not_grow_with_its_history(
    client, personas, username, state
):
    referral = _case_at(personas, state)
    path = reverse("referrals:case", args=[referral.public_id])
    client.force_login(personas[username])
    assert client.get(path).status_code == 200  # warm the per-process caches (content types)

    def measure(htmx: bool) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, headers={"HX-Request": "true"} if htmx else {})
        assert response.status_code == 200
        return len(queries)

    short = {htmx: measure(htmx) for htmx in (False, True)}
    _add_history(personas, referral, state, 12)
    long = {htmx: measure(htmx) for htmx in (False, True)}

    expected = SUPERVISOR_CASE_QUERIES[state] if username == "clinician.supervisor" else CASE_QUERIES
    expected += REROUTE_FORM_QUERIES if (username, state) in REROUTE_OFFERED else 0
    expected += OFFICER_PHONE_QUERIES if state in TAKEN else 0
    assert short == long == {False: expected, True: expected}


# --- the officer's status page ---------------------------------------------------------------------------------

# The request's seven; the referral joined to its program's organisation and its workflow state (the policy reads the
# state to offer Cancel); the police-visible timeline. Once someone holds it, the responder's callback number.
POLICE_DETAIL_QUERIES = 9
RESPONDER_PHONE_QUERIES = 1


@pytest.mark.parametrize("state", ["waiting", "accepted", "disposed", "closed", "transferred"])
def test_the_officers_status_page_queries_are_pinned_and_do_not_grow_with_its_history(client, personas, state):
    referral = _case_at(personas, state)
    path = reverse("referrals:police_detail", args=[referral.public_id])
    client.force_login(personas["officer.b2"])
    assert client.get(path).status_code == 200  # warm the per-process caches

    def measure(htmx: bool) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, headers={"HX-Request": "true"} if htmx else {})
        assert response.status_code == 200
        return len(queries)

    short = {htmx: measure(htmx) for htmx in (False, True)}
    _add_history(personas, referral, state, 12)
    long = {htmx: measure(htmx) for htmx in (False, True)}
    expected = POLICE_DETAIL_QUERIES + (RESPONDER_PHONE_QUERIES if state in TAKEN else 0)
    assert short == long == {False: expected, True: expected}


# --- filing ---------------------------------------------------------------------------------------------------

# Filing a request: as before the reshape, and the second factor's one.
FILING_QUERIES = 27


def test_filing_queries_are_pinned(client, personas):
    district = District.objects.get(code="C11")
    client.force_login(personas["officer.b2"])

    def file() -> int:
        data = {
            "program": "co-response",
            "idempotency_key": str(uuid.uuid4()),
            "district": district.pk,
            "urgency": "now",
        }
        with CaptureQueriesContext(connection) as queries:
            response = client.post(reverse("referrals:new"), data)
        assert response.status_code == 302
        return len(queries)

    file()  # warm: the first filing may create the queue's team group, as a server's first request would
    assert file() == file() == FILING_QUERIES
