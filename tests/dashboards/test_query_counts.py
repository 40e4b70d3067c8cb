"""The dashboards ask a handful of GROUP BY queries, not one per cell or per referral: the same count at two sizes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.history import history_add

pytestmark = pytest.mark.django_db

URLS = [
    ("/dashboards/", {"program": "co-response"}),
    ("/dashboards/", {"program": "youthconnect", "district": "E13"}),
    ("/dashboards/open-data.csv", {"program": "co-response"}),
    ("/dashboards/print/", {"program": "youthconnect"}),
]


def queries(client) -> list[int]:
    counts = []
    for url, query in URLS:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, query).status_code == 200
        counts.append(len(captured))
    return counts


def test_query_count_does_not_grow_with_the_data(client, login):
    login("analyst")
    history_add(150, seed=1)
    small = queries(client)
    history_add(900, seed=2)
    large = queries(client)
    assert small == large
    assert max(large) <= 25


def test_a_program_years_counts_are_kept_for_the_cache_time_and_suppressed_afresh(client, login, settings):
    from django.core.cache import cache

    settings.DASHBOARD_COUNTS_CACHE_SECONDS = 60
    cache.clear()
    login("analyst")
    history_add(300, seed=3)
    url, query = URLS[0]
    with CaptureQueriesContext(connection) as first:
        page = client.get(url, query).content.decode()
    with CaptureQueriesContext(connection) as second:
        again = client.get(url, query).content.decode()
    referral_reads = [q["sql"] for q in second.captured_queries if '"referrals_referral"' in q["sql"]]
    assert referral_reads == [] and len(second) < len(first)
    assert "Counted at most 1 minute ago" in again
    assert again.split('id="results"')[1] == page.split('id="results"')[1]
    cache.clear()
    with CaptureQueriesContext(connection) as third:
        client.get(url, query)
    assert len(third) == len(first)


def test_readers_arriving_together_at_an_empty_cache_count_the_year_once(personas, settings, monkeypatch):
    """Under ASGI each request has its own thread: ten at once must not each count the year (a stampede)."""
    import threading
    import time

    from django.core.cache import cache

    from dashboards import selectors
    from programs.models import Program

    settings.DASHBOARD_COUNTS_CACHE_SECONDS = 60
    cache.clear()
    program = Program.objects.get(slug="co-response")
    calls = []

    def slow_count(*, program, year):
        calls.append(year)
        time.sleep(0.2)
        return selectors.ProgramCounts()

    monkeypatch.setattr(selectors, "_program_counts", slow_count)
    start = threading.Barrier(10)

    def read():
        start.wait()
        selectors.program_counts(program=program, year=2026)

    threads = [threading.Thread(target=read) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [2026]
