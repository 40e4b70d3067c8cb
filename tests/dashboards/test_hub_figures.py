"""The Hub program's dashboard: situations discussed, threshold met, rejected and conclusions by code, each equal
to a direct count of the demo's situations, and suppressed for everyone but the Hub office's coordinators."""

from __future__ import annotations

from collections import Counter

import pytest
from django.utils import timezone

from dashboards.suppression import CITY, YTD
from dashboards.tables import dashboard_build
from programs.models import Program

pytestmark = pytest.mark.django_db


def test_hub_figures_equal_direct_counts(client, login, personas):
    from hub.demo import hub_demo
    from hub.models import Situation, SituationState

    hub_demo()
    program = Program.objects.get(slug="hub-table")
    year = timezone.localdate().year
    expected: Counter = Counter()
    for situation in Situation.objects.filter(table__organisation=program.organisation).select_related(
        "table__district", "conclusion"
    ):
        if situation.decided_at and timezone.localtime(situation.decided_at).year == year:
            key = (f"{timezone.localtime(situation.decided_at):%Y-%m}", situation.table.district.code)
            expected[(*key, "discussed")] += 1
            rejected = situation.state == SituationState.REJECTED
            expected[(*key, "rejected" if rejected else "threshold_met")] += 1
        if situation.concluded_at and situation.conclusion and timezone.localtime(situation.concluded_at).year == year:
            key = (f"{timezone.localtime(situation.concluded_at):%Y-%m}", situation.table.district.code)
            expected[(*key, f"conclusion_{situation.conclusion.group}_{situation.conclusion.code}")] += 1
    assert expected[next(k for k in expected if k[2] == "discussed")] > 0
    assert any(k[2].startswith("conclusion_") for k in expected)
    dashboard = dashboard_build(program=program, year=year, suppressed_view=False)
    for month in dashboard.months:
        for district in dashboard.districts:
            for measure in dashboard.measures:
                assert dashboard.figure(month, district, measure.key).value == expected[(month, district, measure.key)]
    assert dashboard.figure(YTD, CITY, "discussed").value == sum(v for k, v in expected.items() if k[2] == "discussed")

    login("hub.coordinator")
    assert client.get("/dashboards/", {"program": "hub-table"}).context["unsuppressed"] is True
    login("agency.school")
    response = client.get("/dashboards/", {"program": "hub-table"})
    assert response.context["unsuppressed"] is False
    assert 'data-suppressed="true"' in response.content.decode()  # a handful of situations: all small counts
