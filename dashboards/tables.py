"""A program's year as the page, the chart data and the CSV all show it: one grid, suppressed once.

The grid is always the whole program-year (every month so far x every district x every measure, with the city and
year-to-date totals), whatever the filters ask to show: suppression decided on a filtered slice would differ from
slice to slice, and two slices could be differenced. The filters only choose which rows of this one answer to show.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import timezone

from dashboards import selectors, suppression
from dashboards.measures import DIMENSIONS, TIME_TO_ACCEPT, Measure, demographic_key, families, measures_for
from dashboards.models import PublishedCell
from dashboards.suppression import CITY, YTD
from programs.models import Program, Workflow
from referrals.workflows.casework.models import AgeBand

MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class Figure:
    """One number as shown: ``value`` is None where it is suppressed."""

    value: int | float | None
    suppressed: bool = False

    def __str__(self) -> str:
        if self.suppressed or self.value is None:
            return "suppressed" if self.suppressed else "–"
        return f"{self.value:g}" if isinstance(self.value, float) else str(self.value)

    @property
    def csv(self) -> str:
        return "" if self.value is None else f"{self.value:g}" if isinstance(self.value, float) else str(self.value)


@dataclass
class Dashboard:
    program: Program
    year: int
    months: list[str]
    districts: list[str]
    measures: list[Measure]
    values: dict
    hidden: set = field(default_factory=set)
    minutes: dict = field(default_factory=dict)
    suppressed_view: bool = True
    threshold: int = suppression.DEFAULT_THRESHOLD

    def figure(self, month: str, district: str, measure: str) -> Figure:
        key = (month, district, measure)
        if self.suppressed_view and key in self.hidden:
            return Figure(None, suppressed=True)
        return Figure(self.values.get(key, 0))

    def time_to_accept(self, month: str, district: str) -> tuple[Figure, Figure]:
        """Median and 90th percentile, in minutes: shown where the count behind them is published and at least
        the threshold (or to the partner itself)."""
        taken = TIME_TO_ACCEPT.get(self.program.workflow)
        samples = self.minutes.get((month, district), [])
        if not taken or not samples:
            return Figure(None), Figure(None)
        count = self.figure(month, district, taken)
        if self.suppressed_view and (count.suppressed or len(samples) < self.threshold):
            return Figure(None, suppressed=True), Figure(None, suppressed=True)
        return Figure(round(statistics.median(samples), 1)), Figure(round(percentile(samples, 90), 1))

    @property
    def has_time_to_accept(self) -> bool:
        return self.program.workflow in TIME_TO_ACCEPT


def percentile(samples: list[float], q: int) -> float:
    """The nearest-rank percentile: the smallest value with at least q% of the samples at or below it."""
    ordered = sorted(samples)
    rank = max(1, -(-q * len(ordered) // 100))
    return ordered[rank - 1]


def month_label(month: str) -> str:
    if month == YTD:
        return "Year to date"
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1]} {year}"


def months_of(year: int) -> list[str]:
    today = timezone.localdate()
    last = 12 if year < today.year else today.month if year == today.year else 0
    return [f"{year}-{m:02d}" for m in range(1, last + 1)]


def measures_of(program: Program) -> list[Measure]:
    reasons = list(program.reasons.order_by("position", "pk").values_list("code", "label"))
    return measures_for(program.workflow, reasons=reasons)


def dashboard_build(*, program: Program, year: int, suppressed_view: bool = True) -> Dashboard:
    months, districts = months_of(year), selectors.district_codes()
    measures = measures_of(program)
    keys = [m.key for m in measures]
    counts = selectors.program_counts(program=program, year=year)
    threshold = settings.DASHBOARD_SUPPRESSION_THRESHOLD
    frozen_values, frozen_hidden, frozen_published = {}, set(), set()
    if suppressed_view:
        frozen_values, frozen_hidden, frozen_published = _frozen(program, year, months)
    cells = dict(counts.cells)
    cells.update({key: value for key, value in frozen_values.items() if key[1] != CITY})
    values = suppression.grid_values(cells, months, districts, keys)
    dashboard = Dashboard(
        program=program,
        year=year,
        months=months,
        districts=districts,
        measures=measures,
        values=values,
        minutes=_minutes_with_totals(counts.minutes_to_accept, months, districts),
        suppressed_view=suppressed_view,
        threshold=threshold,
    )
    if suppressed_view and months:
        # No equation ties two measures unless they are one family: each group is suppressed on its own (the same
        # answer as the whole grid at once, for a fraction of the elimination work).
        for group, group_families in _measure_groups(measures):
            members = set(group)
            equations = suppression.grid_equations(months, districts, group, group_families)
            dashboard.hidden |= _suppress_cached(
                {key: value for key, value in values.items() if key[2] in members},
                equations,
                threshold,
                {key for key in frozen_published if key[2] in members},
                {key for key in frozen_hidden if key[2] in members},
            )
    return dashboard


def _measure_groups(measures: list[Measure]) -> list[tuple[list[str], dict[str, list[str]]]]:
    """The measures in groups no published equation crosses: a family (parent and children) or a lone measure."""
    family_of = families(measures)
    in_family = {child for children in family_of.values() for child in children}
    groups = []
    for measure in measures:
        if measure.key in in_family:
            continue
        children = family_of.get(measure.key, [])
        groups.append(([measure.key, *children], {measure.key: children} if children else {}))
    return groups


def _frozen(program: Program, year: int, months: list[str]):
    values, hidden, published = {}, set(), set()
    rows = PublishedCell.objects.filter(
        program=program, month__gte=date(year, 1, 1), month__lt=date(year + 1, 1, 1)
    ).values_list("month", "district__code", "measure", "value", "suppressed")
    for month, code, measure, value, was_suppressed in rows:
        key = (f"{month:%Y-%m}", code or CITY, measure)
        if key[0] not in months:
            continue
        values[key] = value
        (hidden if was_suppressed else published).add(key)
    return values, hidden, published


def _minutes_with_totals(minutes: dict, months: list[str], districts: list[str]) -> dict:
    out = {key: list(samples) for key, samples in minutes.items()}
    for (month, district), samples in minutes.items():
        for key in ((month, CITY), (YTD, district), (YTD, CITY)):
            out.setdefault(key, []).extend(samples)
    return out


# The engine's answer depends only on its inputs: keep the last few, keyed by a digest of them.
_CACHE: OrderedDict[str, frozenset] = OrderedDict()
_CACHE_SIZE = 256


def _suppress_cached(values, equations, threshold, frozen_published, frozen_hidden) -> set:
    digest = hashlib.sha256(
        repr(
            (
                sorted(values.items()),
                [(e.total, e.parts) for e in equations],
                threshold,
                sorted(frozen_published),
                sorted(frozen_hidden),
            )
        ).encode()
    ).hexdigest()
    if digest in _CACHE:
        _CACHE.move_to_end(digest)
        return set(_CACHE[digest])
    result = suppression.suppress(
        values, equations, threshold=threshold, frozen_published=frozen_published, frozen_hidden=frozen_hidden
    )
    _CACHE[digest] = frozenset(result.hidden)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return set(result.hidden)


# --- the annual demographics of the people who accepted services (casework programs) ----------------------------

TOTAL = ("total", "engaged")


@dataclass
class Demographics:
    """One year's people who accepted services, by age band, gender and race or ethnicity: each dimension's rows
    add up to the year's "Accepted services" (the dashboard's year-to-date citywide figure)."""

    year: int
    total: Figure
    dimensions: list[dict]
    published: bool = True  # False: a running year seen from outside the partner (nothing shown yet)


def demographics_build(dashboard: Dashboard) -> Demographics | None:
    """The demographics beside a casework dashboard, suppressed as the dashboard is.

    Outside the partner they are published for a year that has ended: a running year's figures, released month
    after month, could be differenced into one month's few people. Suppression ties them to the dashboard: the
    year's total is the dashboard's own year-to-date citywide "engaged", published or hidden as it is there, and
    each dimension's rows sum to it (primary, complementary, sum rule and the exact check, as everywhere)."""
    program, year = dashboard.program, dashboard.year
    if program.workflow != Workflow.CASEWORK:
        return None
    if dashboard.suppressed_view and year >= timezone.localdate().year:
        return Demographics(year=year, total=Figure(None), dimensions=[], published=False)
    counts = selectors.engaged_demographics(program=program, year=year)
    grid_total = (YTD, CITY, "engaged")
    live_total = sum(counts.get(("age_band", code), 0) for code, _ in AgeBand.choices)
    values = {TOTAL: live_total}
    equations = []
    for column, _, choices in DIMENSIONS:
        keys = [(column, code) for code, _ in choices]
        values.update({key: counts.get(key, 0) for key in keys})
        equations.append(suppression.Equation(TOTAL, tuple(keys)))
    hidden: set = set()
    if dashboard.suppressed_view:
        # The grid's figure may be a released month's frozen one; where late data moved the live total away from
        # it, the total is hidden here so the two cannot be differenced.
        total_hidden = grid_total in dashboard.hidden or dashboard.values.get(grid_total, 0) != live_total
        hidden = _suppress_cached(
            values,
            equations,
            dashboard.threshold,
            set() if total_hidden else {TOTAL},
            {TOTAL} if total_hidden else set(),
        )

    def figure(key) -> Figure:
        return Figure(None, suppressed=True) if key in hidden else Figure(values[key])

    return Demographics(
        year=year,
        total=figure(TOTAL),
        dimensions=[
            {
                "key": column,
                "label": label,
                "rows": [
                    {"key": demographic_key(column, code), "label": text, "figure": figure((column, code))}
                    for code, text in choices
                ],
            }
            for column, label, choices in DIMENSIONS
        ],
    )
