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
