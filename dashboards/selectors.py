"""The dashboards' reads: a handful of GROUP BY queries per program and year, whatever the number of referrals.

Each query groups the envelope (``Referral``), its events or a workflow's coded column by month and district and
returns counts; none selects a name, a date of birth, an address, a note or any free text. The one query that
returns a row per referral is time to acceptance (two timestamps and the grouping keys), for the median and the
90th percentile that SQLite cannot compute in SQL.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
    When,
)
from django.utils import timezone

from districts.models import District
from hub.models import Situation, SituationState
from programs.models import Program, Workflow
from referrals.events import ESCALATED
from referrals.models import Referral
from referrals.workflows.casework.models import CaseworkCase, CaseworkPerson
from referrals.workflows.co_response.models import ClinicalRecord, CoResponseCase, CoResponseState, FollowUp

Cell = tuple[str, str, str]  # (month "2026-03", district code, measure key)


@dataclass
class ProgramCounts:
    """The raw (unsuppressed) counts of one program's year, and the minutes to acceptance behind its statistics."""

    cells: dict[Cell, int] = field(default_factory=lambda: defaultdict(int))
    minutes_to_accept: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, month, district: str, measure: str, count: int) -> None:
        if month is None or district is None:
            return
        self.cells[(month_key(month), district, measure)] += count


def month_key(value) -> str:
    if isinstance(value, str):
        return value[:7]
    return f"{timezone.localtime(value) if timezone.is_aware(value) else value:%Y-%m}"


def local_month(field: str, year: int) -> Case:
    """``field``'s month in local time, as "YYYY-MM", for rows already limited to ``year``: twelve comparisons with
    the months' first instants (aware datetimes, so the time zone is right on every backend). Not TruncMonth: on
    SQLite that is a Python function called per row, seconds at 100,000 referrals; these are plain comparisons the
    database runs itself."""
    tz = timezone.get_current_timezone()
    whens = []
    for number in range(1, 13):
        ends = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=tz)
        whens.append(When(**{f"{field}__lt": ends}, then=Value(f"{year}-{number:02d}")))
    return Case(*whens, default=Value(None), output_field=CharField())


def year_bounds(year: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def district_codes() -> list[str]:
    return list(District.objects.order_by("code").values_list("code", flat=True))


def dashboard_programs() -> list[Program]:
    return list(Program.objects.filter(is_active=True).select_related("organisation").order_by("name"))


_COUNTING = threading.Lock()


def program_counts(*, program: Program, year: int) -> ProgramCounts:
    """The program-year's raw counts, kept ``DASHBOARD_COUNTS_CACHE_SECONDS`` in this process's cache: a figure is
    at most that old (the page says so); what is suppressed is decided afresh on every request."""
    seconds = settings.DASHBOARD_COUNTS_CACHE_SECONDS
    if seconds <= 0:
        return _program_counts(program=program, year=year)
    key = f"dashboards:counts:{program.pk}:{year}"
    counts = cache.get(key)
    if counts is None:
        # One count at a time in this process: under ASGI each request has a thread of its own, and ten readers
        # arriving together at an empty cache would otherwise each count the year (10 at once took 20 s each).
        with _COUNTING:
            counts = cache.get(key)
            if counts is None:
                counts = _program_counts(program=program, year=year)
                cache.set(key, counts, seconds)
    return counts


def _program_counts(*, program: Program, year: int) -> ProgramCounts:
    start, end = year_bounds(year)
    counts = ProgramCounts()
    if program.workflow == Workflow.SITUATION:
        _situation_counts(counts, program, start, end)
        return counts
    filed = Referral.objects.filter(program=program, created_at__gte=start, created_at__lt=end)
    month = local_month("created_at", year)
    first = "requests" if program.workflow == Workflow.CO_RESPONSE else "referrals"
    taken = "accepted" if program.workflow == Workflow.CO_RESPONSE else "assigned"
    for row in (
        filed.annotate(month=month)
        .values("month", code=F("district__code"))
        .annotate(n=Count("id"), taken=Count("accepted_at"))
        .order_by()
    ):
        counts.add(row["month"], row["code"], first, row["n"])
        counts.add(row["month"], row["code"], taken, row["taken"])
    for created, accepted, code in filed.filter(accepted_at__isnull=False).values_list(
        "created_at", "accepted_at", "district__code"
    ):
        counts.minutes_to_accept[(month_key(created), code)].append((accepted - created).total_seconds() / 60)
    if program.workflow == Workflow.CO_RESPONSE:
        _co_response_counts(counts, program, start, end)
    elif program.workflow == Workflow.CASEWORK:
        _casework_counts(counts, program, filed, year)
    return counts


def _co_response_counts(counts: ProgramCounts, program, start, end) -> None:
    year = start.year
    window = Q(referral__program=program, referral__created_at__gte=start, referral__created_at__lt=end)
    month = local_month("referral__created_at", year)
    for row in (
        CoResponseCase.objects.filter(window, state=CoResponseState.DECLINED)
        .annotate(month=month)
        .values("month", "decline_reason", code=F("referral__district__code"))
        .annotate(n=Count("pk"))
        .order_by()
    ):
        reason = row["decline_reason"] or "other"
        counts.add(row["month"], row["code"], f"declined_{reason}", row["n"])
        counts.add(row["month"], row["code"], "declined", row["n"])
    for row in (
        Referral.objects.filter(program=program, created_at__gte=start, created_at__lt=end, events__kind=ESCALATED)
        .annotate(month=local_month("created_at", year))
        .values("month", code=F("district__code"))
        .annotate(n=Count("id", distinct=True))
        .order_by()
    ):
        counts.add(row["month"], row["code"], "escalated", row["n"])
    for row in (
        ClinicalRecord.objects.filter(window)
        .exclude(disposition="")
        .annotate(month=month)
        .values("month", "disposition", code=F("referral__district__code"))
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts.add(row["month"], row["code"], f"disposition_{row['disposition']}", row["n"])
    for row in (
        ClinicalRecord.objects.filter(window, known_before=True)
        .annotate(month=month)
        .values("month", code=F("referral__district__code"))
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts.add(row["month"], row["code"], "repeat_persons", row["n"])
    for row in (
        FollowUp.objects.filter(referral__program=program, done_at__gte=start, done_at__lt=end)
        .annotate(month=local_month("done_at", year))
        .values("month", code=F("referral__district__code"))
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts.add(row["month"], row["code"], "follow_ups_done", row["n"])


def _casework_counts(counts: ProgramCounts, program, filed, year: int) -> None:
    # Grouped by the whole list of codes: a handful of distinct lists, each counted once, split here.
    for row in (
        filed.annotate(month=local_month("created_at", year))
        .values("month", "reason_codes", code=F("district__code"))
        .annotate(n=Count("id"))
        .order_by()
    ):
        for reason in sorted(set(row["reason_codes"] or [])):
            counts.add(row["month"], row["code"], f"reason_{reason}", row["n"])
    for row in (
        CaseworkCase.objects.filter(referral__in=filed.values("pk"))
        .annotate(month=local_month("referral__created_at", year))
        .values(
            "month",
            "tier",
            "declined_by",
            engaged=ExpressionWrapper(Q(engaged_at__isnull=False), output_field=BooleanField()),
            code=F("referral__district__code"),
        )
        .annotate(n=Count("pk"))
        .order_by()
    ):
        if row["engaged"] and row["tier"]:
            counts.add(row["month"], row["code"], f"engaged_tier_{row['tier']}", row["n"])
            counts.add(row["month"], row["code"], "engaged", row["n"])
        if row["declined_by"]:
            counts.add(row["month"], row["code"], "declined", row["n"])
    _repeat_persons(counts, program, filed)


def _repeat_persons(counts: ProgramCounts, program, filed) -> None:
    """People referred again: a referral whose person the partner had been referred before (its own keyed
    fingerprint of name and date of birth matches an earlier referral to the same organisation). Each person once
    a year, in the month and district of their first such referral that year. The fingerprints are read here, in
    the server's memory, and never leave this function: only the counts do."""
    earlier = CaseworkPerson.objects.filter(
        fingerprint=OuterRef("casework_person__fingerprint"),
        referral__program__organisation_id=program.organisation_id,
        referral__created_at__lt=OuterRef("created_at"),
    )
    rows = (
        filed.exclude(casework_person__fingerprint="")
        .filter(casework_person__isnull=False)
        .filter(Exists(earlier))
        .order_by("created_at", "pk")
        .values_list("casework_person__fingerprint", "created_at", "district__code")
    )
    seen: set[str] = set()
    for fingerprint, created, code in rows:
        if fingerprint not in seen:
            seen.add(fingerprint)
            counts.add(created, code, "repeat_persons", 1)


# The annual demographics of the people who accepted services (casework): each dimension's coded column.
DEMOGRAPHIC_COLUMNS = ("age_band", "gender", "race_ethnicity")
NOT_RECORDED = {"age_band": "unknown", "gender": "not_recorded", "race_ethnicity": "not_recorded"}


def engaged_demographics(*, program: Program, year: int) -> dict[tuple[str, str], int]:
    """(column, code) -> how many referrals filed in ``year`` engaged with services ("Accepted services", the
    same rows as the dashboard's "engaged"), by each demographic column. One GROUP BY over the coded columns."""
    start, end = year_bounds(year)
    out: dict[tuple[str, str], int] = defaultdict(int)
    rows = (
        CaseworkCase.objects.filter(
            referral__program=program,
            referral__created_at__gte=start,
            referral__created_at__lt=end,
            engaged_at__isnull=False,
        )
        .exclude(tier="")
        .values(*DEMOGRAPHIC_COLUMNS)
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        for column in DEMOGRAPHIC_COLUMNS:
            out[(column, row[column] or NOT_RECORDED[column])] += row["n"]
    return dict(out)


def _situation_counts(counts: ProgramCounts, program, start, end) -> None:
    year = start.year
    situations = Situation.objects.filter(table__organisation=program.organisation)
    for row in (
        situations.filter(decided_at__gte=start, decided_at__lt=end)
        .annotate(month=local_month("decided_at", year))
        .values(
            "month",
            rejected=ExpressionWrapper(Q(state=SituationState.REJECTED), output_field=BooleanField()),
            code=F("table__district__code"),
        )
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts.add(row["month"], row["code"], "rejected" if row["rejected"] else "threshold_met", row["n"])
        counts.add(row["month"], row["code"], "discussed", row["n"])
    for row in (
        situations.filter(concluded_at__gte=start, concluded_at__lt=end, conclusion__isnull=False)
        .annotate(month=local_month("concluded_at", year))
        .values(
            "month",
            group=F("conclusion__group"),
            conclusion_code=F("conclusion__code"),
            code=F("table__district__code"),
        )
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts.add(row["month"], row["code"], f"conclusion_{row['group']}_{row['conclusion_code']}", row["n"])
