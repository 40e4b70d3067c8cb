"""What the query-count tests of both workflows share: a queue of co-response requests, and one page's cost."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.models import Urgency
from tests.referrals.factories import advance, file_referral

URGENCIES = [Urgency.ON_SCENE_NOW, Urgency.WITHIN_HOUR, Urgency.FOLLOW_UP]


def fill_requests(personas, start: int, stop: int) -> None:
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


def measure(client, path: str, htmx: bool) -> tuple[int, int]:
    """(queries, rows shown) for one GET of the page or its partial."""
    headers = {"HX-Request": "true"} if htmx else {}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    return len(queries), response.content.decode().count("data-ref=")
