"""Issue 13's promise, checked at any size: every dashboard figure equals a direct count over the data.

The direct count shares nothing with ``dashboards/selectors.py``: no GROUP BY, no TruncMonth. It reads each
referral of a program once (``.iterator()``), loads each workflow's coded columns into small dicts keyed by
referral id, and counts in Python, placing each row in its local month (``timezone.localtime``). At 100,000
referrals that is a few hundred thousand tuples, a few seconds.

Used by the dashboards' test (1,000 referrals) and by ``make bench`` after seeding each size.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable

from django.utils import timezone

from dashboards.suppression import CITY, YTD
from dashboards.tables import dashboard_build
from districts.models import District
from programs.models import Program, Workflow
from referrals.events import ESCALATED
from referrals.models import Referral, ReferralEvent
from referrals.workflows.casework.models import CaseworkCase, CaseworkPerson, ServiceTier
from referrals.workflows.co_response.models import (
    ClinicalRecord,
    CoResponseCase,
    CoResponseState,
    DeclineReason,
    Disposition,
    FollowUp,
)

CHECKED_WORKFLOWS = (Workflow.CO_RESPONSE, Workflow.CASEWORK)
MISMATCHES_KEPT = 10
CHUNK = 5000


def month_of(value) -> str:
    return f"{timezone.localtime(value):%Y-%m}"


def _in_year(value, year: int) -> bool:
    return value is not None and timezone.localtime(value).year == year


def _filed(program: Program, fields: Iterable[str]):
    """Every referral of the program, any year: ``(pk, created_at, district code, *fields)``."""
    codes = dict(District.objects.values_list("pk", "code"))
    for pk, created_at, district_id, *rest in (
        Referral.objects.filter(program=program)
        .values_list("pk", "created_at", "district_id", *fields)
        .order_by()
        .iterator(chunk_size=CHUNK)
    ):
        yield pk, created_at, codes.get(district_id), *rest


def _co_response(program: Program, year: int, counts: Counter) -> None:
    cases = {
        pk: (state, reason)
        for pk, state, reason in CoResponseCase.objects.filter(referral__program=program)
        .values_list("referral_id", "state", "decline_reason")
        .iterator(chunk_size=CHUNK)
    }
    dispositions, known_before = {}, set()
    for pk, disposition, known in (
        ClinicalRecord.objects.filter(referral__program=program)
        .values_list("referral_id", "disposition", "known_before")
        .iterator(chunk_size=CHUNK)
    ):
        dispositions[pk] = disposition
        if known is True:
            known_before.add(pk)
    escalated = set(
        ReferralEvent.objects.filter(referral__program=program, kind=ESCALATED)
        .values_list("referral_id", flat=True)
        .iterator(chunk_size=CHUNK)
    )
    district_of = {}
    for pk, created_at, district, accepted_at in _filed(program, ["accepted_at"]):
        district_of[pk] = district  # follow-ups are placed by their own date, whenever the referral was filed
        if not _in_year(created_at, year):
            continue
        cell = (month_of(created_at), district)
        counts[(*cell, "requests")] += 1
        counts[(*cell, "accepted")] += accepted_at is not None
        state, reason = cases.get(pk, ("", ""))
        if state == CoResponseState.DECLINED:
            counts[(*cell, "declined")] += 1
            counts[(*cell, f"declined_{reason or 'other'}")] += 1
        counts[(*cell, "escalated")] += pk in escalated  # once, however many times it escalated
        if dispositions.get(pk):
            counts[(*cell, f"disposition_{dispositions[pk]}")] += 1
        counts[(*cell, "repeat_persons")] += pk in known_before
    for referral_id, done_at in (
        FollowUp.objects.filter(referral__program=program, done_at__isnull=False)
        .values_list("referral_id", "done_at")
        .iterator(chunk_size=CHUNK)
    ):
        if _in_year(done_at, year):
            counts[(month_of(done_at), district_of[referral_id], "follow_ups_done")] += 1


def _casework(program: Program, year: int, counts: Counter) -> None:
    cases = {
        pk: rest
        for pk, *rest in CaseworkCase.objects.filter(referral__program=program)
        .values_list("referral_id", "engaged_at", "tier", "declined_by")
        .iterator(chunk_size=CHUNK)
    }
    # Repeat persons: the partner's fingerprints over all its referrals, any program, any year.
    fingerprint_of, first_filed = {}, {}
    for pk, fingerprint, created_at in (
        CaseworkPerson.objects.filter(referral__program__organisation_id=program.organisation_id)
        .exclude(fingerprint="")
        .values_list("referral_id", "fingerprint", "referral__created_at")
        .iterator(chunk_size=CHUNK)
    ):
        fingerprint_of[pk] = fingerprint
        first_filed[fingerprint] = min(created_at, first_filed.get(fingerprint, created_at))
    first_repeat: dict[str, tuple] = {}  # fingerprint -> (filed, pk, cell) of its first repeat referral this year
    for pk, created_at, district, accepted_at, reason_codes in _filed(program, ["accepted_at", "reason_codes"]):
        if not _in_year(created_at, year):
            continue
        cell = (month_of(created_at), district)
        fingerprint = fingerprint_of.get(pk)
        if fingerprint and created_at > first_filed[fingerprint]:
            this = (created_at, pk, cell)
            first_repeat[fingerprint] = min(first_repeat.get(fingerprint, this), this)
        counts[(*cell, "referrals")] += 1
        counts[(*cell, "assigned")] += accepted_at is not None
        for reason in set(reason_codes or []):  # a referral giving a reason twice gives it once
            counts[(*cell, f"reason_{reason}")] += 1
        engaged_at, tier, declined_by = cases.get(pk, (None, "", ""))
        if engaged_at is not None and tier:
            counts[(*cell, "engaged")] += 1
            counts[(*cell, f"engaged_tier_{tier}")] += 1
        counts[(*cell, "declined")] += bool(declined_by)
    for _, _, cell in first_repeat.values():
        counts[(*cell, "repeat_persons")] += 1


def direct_counts(program: Program, year: int | None = None) -> Counter:
    """``(month, district code, measure key) -> count`` for ``year`` (this year by default), row by row."""
    year = year or timezone.localdate().year
    counts: Counter = Counter()
    if program.workflow == Workflow.CO_RESPONSE:
        _co_response(program, year, counts)
    elif program.workflow == Workflow.CASEWORK:
        _casework(program, year, counts)
    return counts


def counted_measures(program: Program) -> set[str]:
    """The measure keys ``direct_counts`` knows how to count for ``program``: any other is reported, not skipped."""
    if program.workflow == Workflow.CO_RESPONSE:
        return {
            "requests",
            "accepted",
            "declined",
            "escalated",
            "follow_ups_done",
            "repeat_persons",
            *(f"declined_{reason}" for reason in [*DeclineReason.values, "other"]),
            *(f"disposition_{code}" for code in Disposition.values),
        }
    if program.workflow == Workflow.CASEWORK:
        return {
            "referrals",
            "assigned",
            "engaged",
            "declined",
            "repeat_persons",
            *(f"reason_{code}" for code in program.reasons.values_list("code", flat=True)),
            *(f"engaged_tier_{tier}" for tier in ServiceTier.values),
        }
    return set()


def program_mismatches(program: Program, year: int) -> tuple[int, list[str]]:
    """Compare every (month, district, measure) cell and each measure's year-to-date city total of the
    unsuppressed dashboard with the direct count. Returns the number of cells compared and what differed."""
    dashboard = dashboard_build(program=program, year=year, suppressed_view=False)
    expected = direct_counts(program, year)
    known = counted_measures(program)
    grid = [(month, district) for month in dashboard.months for district in dashboard.districts]
    cells, mismatches = 0, []
    for measure in dashboard.measures:
        if measure.key not in known:
            mismatches.append(f"{program.slug}: not checked: {measure.key}")
            continue
        for month, district in grid:
            cells += 1
            key = (month, district, measure.key)
            shown = dashboard.figure(*key).value
            if shown != expected[key]:
                mismatches.append(f"{program.slug} {' '.join(key)}: dashboard {shown}, direct count {expected[key]}")
        cells += 1
        total = sum(value for (_, _, key), value in expected.items() if key == measure.key)
        shown = dashboard.figure(YTD, CITY, measure.key).value
        if shown != total:
            mismatches.append(f"{program.slug} year to date {measure.key}: dashboard {shown}, direct count {total}")
    return cells, mismatches


def figures_check(*, year: int | None = None, programs: list[Program] | None = None) -> dict:
    """Every active co-response and casework program's dashboard against the direct count.

    ``mismatch_count`` counts every cell that differs and every measure this module cannot count (as
    "not checked: <key>"); ``mismatches`` keeps the first few of them."""
    started = time.perf_counter()
    year = year or timezone.localdate().year
    if programs is None:
        programs = list(Program.objects.filter(is_active=True, workflow__in=CHECKED_WORKFLOWS).order_by("slug"))
    cells, mismatches = 0, []
    for program in programs:
        checked, found = program_mismatches(program, year)
        cells += checked
        mismatches += found
    return {
        "year": year,
        "programs": len(programs),
        "cells": cells,
        "mismatch_count": len(mismatches),
        "mismatches": mismatches[:MISMATCHES_KEPT],
        "seconds": round(time.perf_counter() - started, 2),
    }
