"""Every figure equals a direct count over the data (1,000 referrals), and the page, the chart data and the CSV
give the same answer, suppressed the same way. The direct count is bench/figures.py's, which ``make bench`` also
runs at 100,000 referrals."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.utils import timezone

from bench.figures import direct_counts, figures_check
from dashboards.suppression import CITY, YTD
from dashboards.tables import dashboard_build, months_of
from programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slug", ["co-response", "youthconnect"])
def test_every_figure_equals_a_direct_count(history, slug):
    program = Program.objects.get(slug=slug)
    dashboard = dashboard_build(program=program, year=timezone.localdate().year, suppressed_view=False)
    expected = direct_counts(program, timezone.localdate().year)
    assert sum(expected.values()) > 100  # the history reached this program
    for month in dashboard.months:
        for district in dashboard.districts:
            for measure in dashboard.measures:
                assert dashboard.figure(month, district, measure.key).value == expected[(month, district, measure.key)]
    for measure in dashboard.measures:
        total = sum(v for (m, d, k), v in expected.items() if k == measure.key)
        assert dashboard.figure(YTD, CITY, measure.key).value == total


def test_figures_check_finds_every_program_equal(history):
    result = figures_check()
    assert (
        result["programs"] == Program.objects.filter(is_active=True, workflow__in=["co_response", "casework"]).count()
    )
    assert result["cells"] > 1000
    assert result["mismatch_count"] == 0, result["mismatches"]


def test_figures_check_reports_a_figure_that_differs(history, monkeypatch):
    from dashboards import selectors

    program_counts = selectors.program_counts
    month = months_of(timezone.localdate().year)[0]

    def one_too_many(*, program, year):
        counts = program_counts(program=program, year=year)
        counts.add(month, "B2", "requests", 1)
        return counts

    monkeypatch.setattr(selectors, "program_counts", one_too_many)
    result = figures_check(programs=[Program.objects.get(slug="co-response")])
    assert result["mismatch_count"] == 2  # the B2 cell and the year to date
    assert result["mismatches"][0].startswith(f"co-response {month} B2 requests: dashboard ")


def test_figures_check_reports_a_measure_it_cannot_count(history, monkeypatch):
    from dashboards import tables
    from dashboards.measures import Measure

    measures_of = tables.measures_of
    novel = Measure("walk_ins", "Walk-ins", "People who came in by themselves", "Referral filed", "filed", "person")
    monkeypatch.setattr(tables, "measures_of", lambda program: [*measures_of(program), novel])
    result = figures_check(programs=[Program.objects.get(slug="co-response")])
    assert result["mismatches"] == ["co-response: not checked: walk_ins"]
    assert result["mismatch_count"] == 1


def test_every_published_figure_equals_the_partners_own(history):
    program = Program.objects.get(slug="co-response")
    year = timezone.localdate().year
    own = dashboard_build(program=program, year=year, suppressed_view=False)
    published = dashboard_build(program=program, year=year, suppressed_view=True)
    shown = 0
    for key in own.values:
        figure = published.figure(*key)
        if figure.suppressed:
            assert figure.value is None
        else:
            assert figure.value == own.figure(*key).value
            shown += figure.value > 0
    assert shown > 0 and published.hidden


def table_cells(html: str, table_id: str) -> dict[str, list[str]]:
    """The rows of a rendered table: measure key -> each cell as "*" (suppressed) or its number."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    rows = {}
    for measure, body in re.findall(r'<tr data-measure="([^"]+)">(.*?)</tr>', table, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
        rows[measure] = ["*" if "suppressed" in cell else cell.strip() for cell in cells]
    return rows


@pytest.mark.parametrize("username", ["analyst", "clinician.b2"])
def test_page_chart_data_and_csv_give_the_same_figures(client, login, history, username):
    login(username)
    query = {"program": "co-response", "district": "B2"}
    page = client.get("/dashboards/", query)
    assert page.status_code == 200
    html = page.content.decode()
    rows = table_cells(html, "monthly-table")
    response = client.get("/dashboards/open-data.csv", query)
    assert response["Content-Type"].startswith("text/csv")
    data = list(csv.DictReader(io.StringIO(response.content.decode())))
    months = [*months_of(timezone.localdate().year), YTD]
    from_csv = {}
    for row in data:
        assert row["district"] == "B2" and row["program"] == "co-response"
        from_csv.setdefault(row["measure"], {})[row["month"]] = "*" if row["suppressed"] == "true" else row["value"]
    assert set(from_csv) == set(rows)
    for measure, cells in rows.items():
        assert cells == [from_csv[measure][month] for month in months], measure
    chart = page.context["chart"]
    for series, measure in zip(chart["series"], list(rows)[:3], strict=True):
        shown = ["*" if v is None else str(v) for v in series["data"]]
        assert shown == rows[measure][:-1]  # the chart has the months, not the year to date
    suppressed = sum(cell == "*" for cells in rows.values() for cell in cells)
    assert (suppressed > 0) == (username == "analyst")  # the partner sees its own numbers unsuppressed


def test_released_month_is_frozen_against_late_changes(history, personas):
    from dashboards.history import history_add
    from dashboards.models import PublishedCell
    from dashboards.services import month_release

    program = Program.objects.get(slug="co-response")
    year = timezone.localdate().year
    months = months_of(year)
    if len(months) < 2:
        pytest.skip("needs a month that has ended this year")
    first = timezone.datetime(year, 1, 1).date()
    month_release(program=program, month=first, actor=personas["analyst"])
    before = dashboard_build(program=program, year=year)
    released = {(k[0], k[1], k[2]): before.figure(*k) for k in before.values if k[0] == months[0]}
    frozen = set(PublishedCell.objects.filter(program=program, suppressed=True).values_list("measure", flat=True))
    assert frozen  # some January cells were suppressed
    # Late data for January: the live counts change, the released month does not.
    history_add(300, seed=99, year=year, programs=[program])
    after = dashboard_build(program=program, year=year)
    live = dashboard_build(program=program, year=year, suppressed_view=False)
    assert any(live.values[k] != before.values[k] for k in released)
    for key, figure in released.items():
        assert after.figure(*key) == figure
    with pytest.raises(Exception, match="already released"):
        month_release(program=program, month=first)
