"""Every figure equals a direct count over the data (1,000 referrals), and the page, the chart data and the CSV
give the same answer, suppressed the same way."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

import pytest
from django.utils import timezone

from dashboards.suppression import CITY, YTD
from dashboards.tables import dashboard_build, months_of
from programs.models import Program
from referrals.models import Referral

pytestmark = pytest.mark.django_db


def month_of(value) -> str:
    return f"{timezone.localtime(value):%Y-%m}"


def direct_counts(program: Program) -> Counter:
    """Row by row in Python, reading each referral and its workflow row: the slow, obvious way."""
    counts: Counter = Counter()
    year = timezone.localdate().year
    for referral in Referral.objects.filter(program=program).select_related("district"):
        if timezone.localtime(referral.created_at).year != year:
            continue
        key = (month_of(referral.created_at), referral.district.code)
        if program.workflow == "co_response":
            counts[(*key, "requests")] += 1
            counts[(*key, "accepted")] += referral.accepted_at is not None
            case = referral.co_response
            if case.state == "declined":
                counts[(*key, "declined")] += 1
                counts[(*key, f"declined_{case.decline_reason}")] += 1
            counts[(*key, "escalated")] += referral.events.filter(kind="escalated").exists()
            record = getattr(referral, "clinical_record", None)
            if record is not None and record.disposition:
                counts[(*key, f"disposition_{record.disposition}")] += 1
            for follow_up in referral.follow_ups.all():
                if follow_up.done_at and timezone.localtime(follow_up.done_at).year == year:
                    counts[(month_of(follow_up.done_at), referral.district.code, "follow_ups_done")] += 1
        else:
            counts[(*key, "referrals")] += 1
            counts[(*key, "assigned")] += referral.accepted_at is not None
            for reason in set(referral.reason_codes):
                counts[(*key, f"reason_{reason}")] += 1
            case = referral.casework
            if case.engaged_at and case.tier:
                counts[(*key, "engaged")] += 1
                counts[(*key, f"engaged_tier_{case.tier}")] += 1
            counts[(*key, "declined")] += bool(case.declined_by)
    return counts


@pytest.mark.parametrize("slug", ["co-response", "youthconnect"])
def test_every_figure_equals_a_direct_count(history, slug):
    program = Program.objects.get(slug=slug)
    dashboard = dashboard_build(program=program, year=timezone.localdate().year, suppressed_view=False)
    expected = direct_counts(program)
    assert sum(expected.values()) > 100  # the history reached this program
    for month in dashboard.months:
        for district in dashboard.districts:
            for measure in dashboard.measures:
                assert dashboard.figure(month, district, measure.key).value == expected[(month, district, measure.key)]
    for measure in dashboard.measures:
        total = sum(v for (m, d, k), v in expected.items() if k == measure.key)
        assert dashboard.figure(YTD, CITY, measure.key).value == total


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
