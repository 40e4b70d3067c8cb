"""The analyst's BEST dashboard on a laptop: filter to a district, download the CSV, the CSV matches the table; a
police supervisor sees suppressed cells as suppressed. No Content-Security-Policy violation on the way."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in


@pytest.fixture
def dashboard_history(e2e_personas):
    from dashboards.history import history_add

    history_add(1000, seed=5)


def wait_for_chart(page) -> None:
    """Chart.js has drawn the monthly chart. (wait_for_function would evaluate its predicate with eval, which the
    page's Content-Security-Policy refuses: poll with evaluate instead.)"""
    for _ in range(100):
        if page.evaluate("() => Boolean(window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]')))"):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the chart was not drawn")


def shown_table(page) -> dict[str, list[str]]:
    """measure key -> each cell of the monthly table as shown: "*" for a suppressed one, else its number."""
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('#monthly-table tbody tr[data-measure]'))
            .map(tr => [tr.dataset.measure, Array.from(tr.querySelectorAll('td'))
                .map(td => td.dataset.suppressed === 'true' ? '*' : td.textContent.trim())]))"""
    )


def test_analyst_filters_the_best_dashboard_to_a_district_and_the_csv_matches(dashboard_history, laptop):
    page = laptop()
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in(page, "analyst")
    page.goto("/dashboards/?program=co-response")
    expect(page.get_by_role("heading", name=re.compile(r"Co-response \(BEST\) · \d{4} · Citywide"))).to_be_visible()
    wait_for_chart(page)
    page.select_option("select[name=district]", "B2")
    expect(page.get_by_role("heading", name=re.compile(r"Co-response \(BEST\) · \d{4} · B2"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"district=B2"))
    wait_for_chart(page)
    table = shown_table(page)
    # The chart draws the table's figures: a suppressed one is a gap, never a number.
    drawn = page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[data-chart]')).data.datasets.map(d => d.data)"
    )
    for series, cells in zip(drawn, list(table.values())[:3], strict=True):
        assert ["*" if value is None else str(value) for value in series] == cells[:-1]
    months = page.evaluate(
        "() => Array.from(document.querySelectorAll('#monthly-table thead th[data-month]')).map(th => th.dataset.month)"
    )
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV (open data)").click()
    download = download_info.value
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {row["district"] for row in rows} == {"B2"}
    from_csv: dict[str, dict[str, str]] = {}
    for row in rows:
        from_csv.setdefault(row["measure"], {})[row["month"]] = "*" if row["suppressed"] == "true" else row["value"]
    assert list(from_csv) == list(table)
    for measure, cells in table.items():
        assert cells == [from_csv[measure][month] for month in months], measure
    assert violations == []


def test_police_supervisor_sees_suppressed_cells_as_suppressed(dashboard_history, laptop):
    page = laptop()
    sign_in(page, "sergeant.b2")
    page.goto("/dashboards/?program=youthconnect")
    expect(page.get_by_role("heading", name=re.compile(r"YouthConnect · \d{4} · B2"))).to_be_visible()
    suppressed = page.locator("#monthly-table td[data-suppressed=true]")
    assert suppressed.count() > 0
    expect(suppressed.first).to_contain_text("*")
    expect(suppressed.first.locator("abbr")).to_have_attribute("title", re.compile("Suppressed"))
    expect(page.locator("[data-view=suppressed]")).to_be_visible()
