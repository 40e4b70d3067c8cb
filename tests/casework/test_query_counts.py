"""The queue, My referrals (an officer's, a police supervisor's district list) and the case page cost the same number
of queries with 5 referrals as with 200: co-response requests, casework referrals, and a mix of both."""

from __future__ import annotations

import pytest
from django.urls import reverse

from referrals import consent
from referrals.workflows.casework import services as casework
from tests.referrals.factories import advance_casework, file_casework, second_youth_worker
from tests.referrals.query_counts import fill_requests, measure


def _fill_casework(personas, start: int, stop: int) -> None:
    """YouthConnect referrals number start..stop-1, in a repeating mix of five: waiting without consent (E13), with
    youth.e13 after a contact attempt, engaged with a goal (filed by officer.d4), the supervisor's own (B2), and a
    second worker's that ended unreachable or declined. All of one young person: each is a repeat of the ones
    before, and the case page counts them."""
    second = second_youth_worker()
    for number in range(start, stop):
        kind = number % 5
        officer = personas["officer.d4" if kind == 2 else "officer.b2"]
        referral = file_casework(
            officer,
            "B2" if kind == 3 else "E13",
            consent="not_yet" if kind == 0 else "guardian",
            location_text=f"Corner {number}",
        )
        if kind == 1:
            advance_casework(referral, personas["youth.e13"], "contact_attempted")
        elif kind == 2:
            referral = advance_casework(referral, personas["youth.e13"], "engaged")
            casework.goal_add(referral=referral, actor=personas["youth.e13"], area="school")
        elif kind == 3:
            advance_casework(referral, personas["youth.supervisor"], "assigned")
        elif kind == 4:
            advance_casework(referral, second, "unable_to_reach" if number % 10 == 4 else "declined")


def _fill_both(personas, start: int, stop: int) -> None:
    """Both workflows side by side: numbers start..stop-1 of each."""
    fill_requests(personas, start, stop)
    _fill_casework(personas, start, stop)


FILLS = {"co-response": fill_requests, "casework": _fill_casework, "both": _fill_both}


LIST_PAGES = [
    ("officer.b2", "referrals:mine"),
    ("sergeant.b2", "referrals:mine"),
    ("clinician.b2", "referrals:queue"),
    ("clinician.supervisor", "referrals:queue"),
    ("youth.e13", "referrals:queue"),
    ("youth.supervisor", "referrals:queue"),
]
# Which lists show rows of which workflow (a BEST clinician's queue shows no casework, and the reverse).
SHOWS = {
    "co-response": {"officer.b2", "sergeant.b2", "clinician.b2", "clinician.supervisor"},
    "casework": {"officer.b2", "sergeant.b2", "youth.e13", "youth.supervisor"},
}
SHOWS["both"] = SHOWS["co-response"] | SHOWS["casework"]


@pytest.mark.parametrize("fill", list(FILLS))
@pytest.mark.parametrize(("username", "url_name"), LIST_PAGES)
def test_page_and_partial_make_the_same_number_of_queries_with_5_and_200_requests(
    client, personas, username, url_name, fill
):
    if username not in SHOWS[fill]:
        pytest.skip(f"{username}'s list shows no {fill} referral")
    path = reverse(url_name)
    FILLS[fill](personas, 0, 5)
    client.force_login(personas[username])
    client.get(path)  # warm the per-process caches (content types) so both measures start alike
    at_5 = {htmx: measure(client, path, htmx) for htmx in (False, True)}
    FILLS[fill](personas, 5, 200)
    at_200 = {htmx: measure(client, path, htmx) for htmx in (False, True)}

    for htmx in (False, True):
        (queries_5, rows_5), (queries_200, rows_200) = at_5[htmx], at_200[htmx]
        assert rows_5 >= 2  # the lists are really rendered...
        assert rows_200 > rows_5  # ...and really grow
        assert queries_200 == queries_5, f"htmx={htmx}: {queries_5} queries at 5, {queries_200} at 200"


def _casework_case(personas, shape: str):
    """A YouthConnect referral to open: engaged with attempts, goals and notes (the person shown), or waiting
    without consent (the person withheld, the override holders named)."""
    worker = personas["youth.e13"]
    if shape == "withheld":
        return file_casework(personas["officer.b2"], "E13", consent="not_yet")
    referral = advance_casework(file_casework(personas["officer.b2"], "E13"), worker, "engaged")
    casework.goal_add(referral=referral, actor=worker, area="safety", text="Safety plan")
    casework.goal_add(referral=referral, actor=worker, area="school")
    casework.interim_update(referral=referral, actor=worker)
    assert consent.consent_in_force(referral) is not None
    return referral


@pytest.mark.parametrize("fill", list(FILLS))
@pytest.mark.parametrize("shape", ["engaged", "withheld"])
@pytest.mark.parametrize(
    ("username", "url_name"),
    [
        ("youth.e13", "referrals:case"),
        ("youth.supervisor", "referrals:case"),
        ("officer.b2", "referrals:police_detail"),
    ],
)
def test_a_casework_referrals_page_makes_the_same_number_of_queries_among_5_and_200_referrals(
    client, personas, username, url_name, shape, fill
):
    # A new referral of the same person each time: at 200 it is a repeat of far more earlier referrals.
    client.force_login(personas[username])
    FILLS[fill](personas, 0, 5)
    first = reverse(url_name, args=[_casework_case(personas, shape).public_id])
    client.get(first)  # warm the per-process caches
    at_5 = {htmx: measure(client, first, htmx)[0] for htmx in (False, True)}
    FILLS[fill](personas, 5, 200)
    second = reverse(url_name, args=[_casework_case(personas, shape).public_id])
    at_200 = {htmx: measure(client, second, htmx)[0] for htmx in (False, True)}
    if url_name == "referrals:case" and shape == "engaged":  # the repeats are really counted
        earlier = 1 if fill == "co-response" else 201
        assert f"Referred to us before: {earlier} time" in client.get(second).content.decode()
    elif url_name == "referrals:case":  # derived from who the person is: not shown while that is withheld
        assert "Referred to us before" not in client.get(second).content.decode()
    assert at_200 == at_5, f"{at_5} queries at 5, {at_200} at 200 (htmx False/True)"
