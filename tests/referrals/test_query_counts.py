"""The queue and My referrals cost the same number of queries with 5 requests as with 200."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from referrals.models import Urgency
from tests.referrals.factories import advance, file_referral

URGENCIES = [Urgency.ON_SCENE_NOW, Urgency.WITHIN_HOUR, Urgency.FOLLOW_UP]


def _fill(personas, start: int, stop: int) -> None:
    """Requests number start..stop-1, in a repeating mix of five: every kind of row each page shows, from 5 on."""
    for number in range(start, stop):
        kind = number % 5
        officer = personas["officer.d4" if kind == 2 else "officer.b2"]
        district = "C11" if kind == 3 else "B2"
        referral = file_referral(
            officer,
            district,
            urgency=URGENCIES[number % 3],
            location_text=f"Corner {number}",
            reason_codes=["welfare_check"],
            weapon_seen=kind == 1,
        )
        if kind == 0:
            advance(referral, personas["clinician.b2"], "accepted")
        elif kind == 1:
            advance(referral, personas["clinician.b2"], "en_route")
        elif kind == 4:
            advance(referral, personas["clinician.supervisor"], "accepted")


def _measure(client, path: str, htmx: bool) -> tuple[int, int]:
    """(queries, rows shown) for one GET of the page or its partial."""
    headers = {"HX-Request": "true"} if htmx else {}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    return len(queries), response.content.decode().count("data-ref=")


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
    _fill(personas, 0, 5)
    client.force_login(personas[username])
    client.get(path)  # warm the per-process caches (content types) so both measures start alike
    at_5 = {htmx: _measure(client, path, htmx) for htmx in (False, True)}
    _fill(personas, 5, 200)
    at_200 = {htmx: _measure(client, path, htmx) for htmx in (False, True)}

    for htmx in (False, True):
        (queries_5, rows_5), (queries_200, rows_200) = at_5[htmx], at_200[htmx]
        assert rows_5 >= 2  # the lists are really rendered...
        assert rows_200 > rows_5  # ...and really grow
        assert queries_200 == queries_5, f"htmx={htmx}: {queries_5} queries at 5, {queries_200} at 200"
