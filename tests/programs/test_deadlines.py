"""First-contact deadlines and business hours: weekends, the local day, clock changes, exactly 17:00, minutes and
hours as elapsed time. Pure arithmetic: no database. (America/New_York, 2026: spring forward on Sunday 8 March,
fall back on Sunday 1 November.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from programs.deadlines import (
    BUSINESS_CLOSE,
    BUSINESS_OPEN,
    first_contact_due,
    in_business_hours,
    next_business_open,
)
from programs.models import DeadlineUnit, Program

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def new_york():
    with timezone.override(NEW_YORK):
        yield


def local(*args, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK, fold=fold)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def in_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def program(amount: int, unit: str = DeadlineUnit.BUSINESS_DAYS) -> Program:
    return Program(first_contact_amount=amount, first_contact_unit=unit)


def test_handoffs_time_zone_is_new_york_by_default():
    assert settings.TIME_ZONE == "America/New_York"
    assert (BUSINESS_OPEN.hour, BUSINESS_CLOSE.hour) == (9, 17)


# --- business days ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (local(2026, 1, 9, 22, 0), 1, local(2026, 1, 12, 17, 0)),  # Friday night → Monday's close
        (local(2026, 1, 13, 10, 0), 2, local(2026, 1, 15, 17, 0)),  # Tuesday → Thursday
        (local(2026, 1, 10, 10, 0), 1, local(2026, 1, 12, 17, 0)),  # Saturday → Monday
        (local(2026, 1, 11, 23, 59), 1, local(2026, 1, 12, 17, 0)),  # Sunday just before midnight → Monday
        (local(2026, 1, 12, 0, 0), 1, local(2026, 1, 13, 17, 0)),  # Monday midnight → Tuesday
        (local(2026, 1, 15, 9, 0), 3, local(2026, 1, 20, 17, 0)),  # Thursday + 3 skips the weekend → Tuesday
        (local(2026, 1, 9, 8, 0), 5, local(2026, 1, 16, 17, 0)),  # Friday + 5 → next Friday
        (local(2026, 1, 12, 16, 59), 10, local(2026, 1, 26, 17, 0)),  # two whole weeks
    ],
)
def test_n_business_days_end_at_the_close_of_the_nth_business_day_after_the_day_of_filing(start, days, due):
    assert first_contact_due(program=program(days), start=start) == due


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (local(2026, 1, 12, 16, 59, 59), local(2026, 1, 13, 17, 0)),
        (local(2026, 1, 12, 17, 0), local(2026, 1, 13, 17, 0)),  # exactly at the close: still Monday's filing
        (local(2026, 1, 12, 17, 0, 1), local(2026, 1, 13, 17, 0)),
    ],
)
def test_the_hour_of_filing_does_not_matter_only_its_day(start, due):
    assert first_contact_due(program=program(1), start=start) == due


def test_the_day_of_filing_is_the_local_day_not_utcs():
    # Saturday 02:30 UTC is Friday 21:30 in Boston: filed on a Friday, due Monday.
    due = first_contact_due(program=program(1), start=utc(2026, 1, 10, 2, 30))

    assert due == local(2026, 1, 12, 17, 0)
    assert in_utc(due) == utc(2026, 1, 12, 22, 0)


@pytest.mark.parametrize(
    ("start", "due", "due_utc"),
    [
        # Filed Friday in winter time, due Monday in summer time: 17:00 EDT is 21:00 UTC.
        (local(2026, 3, 6, 10, 0), local(2026, 3, 9, 17, 0), utc(2026, 3, 9, 21, 0)),
        # Filed on the spring-forward Sunday itself (03:30 EDT), due Monday.
        (local(2026, 3, 8, 3, 30), local(2026, 3, 9, 17, 0), utc(2026, 3, 9, 21, 0)),
        # Filed Friday in summer time, due Monday in winter time: 17:00 EST is 22:00 UTC.
        (local(2026, 10, 30, 10, 0), local(2026, 11, 2, 17, 0), utc(2026, 11, 2, 22, 0)),
        # Filed in the repeated hour of the fall-back night (the second 01:30, EST).
        (local(2026, 11, 1, 1, 30, fold=1), local(2026, 11, 2, 17, 0), utc(2026, 11, 2, 22, 0)),
    ],
)
def test_a_deadline_across_a_clock_change_is_17_00_local_on_its_day(start, due, due_utc):
    result = first_contact_due(program=program(1), start=start)

    assert in_utc(result) == due_utc
    assert (result.astimezone(NEW_YORK).date(), result.astimezone(NEW_YORK).time()) == (due.date(), BUSINESS_CLOSE)


def test_business_days_follow_handoffs_time_zone_setting():
    # timezone.override(None): no zone activated, as in a request or a task: settings.TIME_ZONE decides.
    with override_settings(TIME_ZONE="America/Los_Angeles"), timezone.override(None):
        due = first_contact_due(program=program(1), start=utc(2026, 1, 13, 15, 0))  # Tuesday 07:00 in LA

    assert in_utc(due) == utc(2026, 1, 15, 1, 0)  # Wednesday 17:00 PST


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (local(2026, 1, 12, 10, 0), local(2026, 1, 12, 17, 0)),  # a Monday morning: today's close
        (local(2026, 1, 12, 17, 0), local(2026, 1, 13, 17, 0)),  # at or past the close: tomorrow's
        (local(2026, 1, 10, 10, 0), local(2026, 1, 12, 17, 0)),  # a Saturday: Monday's
    ],
)
def test_zero_business_days_means_the_first_close_of_business_still_ahead(start, due):
    assert first_contact_due(program=program(0), start=start) == due


# --- minutes and hours: elapsed time, day and night -----------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "unit", "start", "due_utc"),
    [
        (30, DeadlineUnit.MINUTES, local(2026, 1, 9, 23, 50), utc(2026, 1, 10, 5, 20)),  # Friday night, weekend
        (30, DeadlineUnit.MINUTES, local(2026, 1, 10, 3, 0), utc(2026, 1, 10, 8, 30)),  # Saturday 03:00
        # 01:45 EST on the spring-forward night + 30 minutes is 03:15 EDT: 30 real minutes, not 90.
        (30, DeadlineUnit.MINUTES, local(2026, 3, 8, 1, 45), utc(2026, 3, 8, 7, 15)),
        (4, DeadlineUnit.HOURS, local(2026, 1, 9, 22, 0), utc(2026, 1, 10, 7, 0)),
        # Noon EDT before the fall-back + 24 hours is 11:00 EST the next day (a 25-hour day).
        (24, DeadlineUnit.HOURS, local(2026, 10, 31, 12, 0), utc(2026, 11, 1, 16, 0)),
    ],
)
def test_minutes_and_hours_are_elapsed_time_at_any_hour(amount, unit, start, due_utc):
    due = first_contact_due(program=program(amount, unit), start=start)

    assert in_utc(due) == due_utc
    assert in_utc(due) - in_utc(start) == timedelta(**{unit: amount})


def test_an_unknown_unit_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="unknown deadline unit 'weeks'"):
        first_contact_due(program=program(1, "weeks"), start=local(2026, 1, 12, 10, 0))


# --- business hours -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (local(2026, 1, 12, 8, 59, 59), False),
        (local(2026, 1, 12, 9, 0), True),  # opening time is open
        (local(2026, 1, 12, 16, 59, 59), True),
        (local(2026, 1, 12, 17, 0), False),  # closing time is closed
        (local(2026, 1, 16, 12, 0), True),  # Friday
        (local(2026, 1, 17, 12, 0), False),  # Saturday
        (local(2026, 1, 18, 12, 0), False),  # Sunday
        (utc(2026, 1, 12, 13, 30), False),  # 08:30 EST
        (utc(2026, 7, 13, 13, 30), True),  # 09:30 EDT: the same UTC time in summer
    ],
)
def test_business_hours_are_monday_to_friday_9_to_17_local(at, open_):
    assert in_business_hours(at) is open_


@pytest.mark.parametrize(
    ("at", "opens"),
    [
        (local(2026, 1, 12, 10, 0), local(2026, 1, 12, 10, 0)),  # open now: now
        (local(2026, 1, 12, 9, 0), local(2026, 1, 12, 9, 0)),
        (local(2026, 1, 12, 7, 0), local(2026, 1, 12, 9, 0)),  # early on a Monday: this morning
        (local(2026, 1, 12, 17, 0), local(2026, 1, 13, 9, 0)),  # at the close: tomorrow morning
        (local(2026, 1, 16, 18, 0), local(2026, 1, 19, 9, 0)),  # Friday evening: Monday
        (local(2026, 1, 17, 8, 0), local(2026, 1, 19, 9, 0)),  # Saturday morning: Monday
        (local(2026, 1, 18, 23, 0), local(2026, 1, 19, 9, 0)),  # Sunday night: Monday
    ],
)
def test_next_business_open_is_now_in_business_hours_else_the_next_opening(at, opens):
    assert next_business_open(at) == opens


def test_next_business_open_across_the_spring_forward_weekend_is_09_00_daylight_time():
    opens = next_business_open(local(2026, 3, 6, 18, 0))  # Friday evening, EST

    assert in_utc(opens) == utc(2026, 3, 9, 13, 0)  # Monday 09:00 EDT
