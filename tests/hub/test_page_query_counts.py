"""The Hub's lists cost the same number of queries with 5 situations as with 200: My tables, a table's situations,
a meeting's agenda (meeting mode for the coordinator, the read-only agenda for a member), page and partial."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hub import services


def _fill(seed, meeting, start: int, stop: int) -> None:
    """Situations number start..stop-1, proposed by housing, school or the officer, all on the meeting's agenda;
    every fifth decided (threshold not met), so lists show more than one state."""
    proposers = ("housing", "school", "officer")
    for number in range(start, stop):
        situation = seed.propose(proposers[number % 3])
        services.agenda_add(situation=situation, actor=seed.coordinator, meeting=meeting)
        if number % 5 == 4:
            services.threshold_decide(situation=situation, actor=seed.coordinator, meeting=meeting, met=False)


def _measure(client, path: str, htmx: bool) -> tuple[int, int, str]:
    headers = {"HX-Request": "true"} if htmx else {}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    return (
        len(queries),
        response.content.decode().count("data-ref=") + response.content.decode().count("data-agenda-item="),
        sql,
    )


# Pinned as measured (page and partial alike). Seven are the request's own (session, user, the second-factor
# device, memberships with their districts and units, the unread-notices count). Meeting mode adds the current
# situation's details (agencies chosen, reveals, present at the decision...) and its forms' choices: more, but as
# many at 200 as at 5.
EXPECTED = {
    ("coordinator", "tables"): 10,
    ("school", "tables"): 10,
    ("coordinator", "table"): 15,
    ("school", "table"): 16,
    ("officer", "table"): 13,
    ("coordinator", "meeting"): 28,
    ("school", "meeting"): 15,
}
PAGES = list(EXPECTED)


def _path(seed, meeting, page: str) -> str:
    if page == "tables":
        return reverse("hub:tables")
    if page == "table":
        return reverse("hub:table", args=[seed.table.pk])
    return reverse("hub:meeting", args=[meeting.pk]) + "?item=2"


@pytest.mark.parametrize(("who", "page"), PAGES)
def test_hub_lists_make_the_same_number_of_queries_with_5_and_200_situations(client, hub_seed, who, page):
    seed = hub_seed
    meeting = seed.meeting()
    _fill(seed, meeting, 0, 5)
    client.force_login(seed.users[who])
    path = _path(seed, meeting, page)
    client.get(path)  # warm the per-process caches (content types)
    at_5 = {htmx: _measure(client, path, htmx) for htmx in (False, True)}
    _fill(seed, meeting, 5, 200)
    at_200 = {htmx: _measure(client, path, htmx) for htmx in (False, True)}
    for htmx in (False, True):
        (queries_5, rows_5, sql), (queries_200, rows_200, _) = at_5[htmx], at_200[htmx]
        assert queries_200 == queries_5, f"{who} {page} htmx={htmx}: {queries_5} queries at 5, {queries_200} at 200"
        assert queries_5 == EXPECTED[(who, page)], f"{who} {page} htmx={htmx}: {queries_5}"
        if page != "tables":
            assert rows_200 > rows_5 >= 1, (rows_5, rows_200)  # the list is really drawn, and grows
        # Lists and meeting mode never read who the persons are.
        assert "hub_affectedidentity" not in sql
