"""A program's time limits as instants: first contact due, business hours. Pure functions of their arguments.

Business days are Monday to Friday in Handoff's time zone (settings.TIME_ZONE: nothing activates another one), open
09:00 to 17:00. Public holidays are not known here: they count as business days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from programs.models import DeadlineUnit

BUSINESS_OPEN = time(9)
BUSINESS_CLOSE = time(17)
SATURDAY = 5


def local_datetime(day: date, clock: time) -> datetime:
    """A wall-clock time in Handoff's time zone as an aware instant (DST-correct: 02:30 on the spring-forward
    day does not exist and moves forward; 01:30 on the fall-back day means the first, daylight, one)."""
    tz = timezone.get_current_timezone()
    naive = datetime.combine(day, clock)
    aware = naive.replace(tzinfo=tz, fold=0)
    # Round-trip through UTC: a time in the spring-forward gap comes back as the real instant after the gap.
    return aware.astimezone(UTC).astimezone(tz)


def _local(at: datetime) -> datetime:
    return at.astimezone(timezone.get_current_timezone())


def is_business_day(day: date) -> bool:
    return day.weekday() < SATURDAY


def _next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def first_contact_due(*, program, start: datetime) -> datetime:
    """When the first contact attempt of a request filed at ``start`` is due.

    Minutes and hours are elapsed time, day and night. N business days end at the close of business (17:00 local)
    of the N-th business day after the day of ``start``, whatever its hour: filed Friday 22:00 with 1 business
    day, due Monday 17:00; filed Tuesday 10:00 with 2, due Thursday 17:00.
    """
    amount = program.first_contact_amount
    unit = program.first_contact_unit
    # Add elapsed time in UTC: in a local zone Python adds by the wall clock, an hour off across a clock change.
    if unit == DeadlineUnit.MINUTES:
        return start.astimezone(UTC) + timedelta(minutes=amount)
    if unit == DeadlineUnit.HOURS:
        return start.astimezone(UTC) + timedelta(hours=amount)
    if unit != DeadlineUnit.BUSINESS_DAYS:
        raise ValueError(f"unknown deadline unit {unit!r}")
    started = _local(start)
    day = started.date()
    # The admin asks for at least 1; should 0 reach here, it means the first close of business still ahead.
    if amount == 0 and (not is_business_day(day) or started.time() >= BUSINESS_CLOSE):
        day = _next_business_day(day)
    for _ in range(amount):
        day = _next_business_day(day)
    return local_datetime(day, BUSINESS_CLOSE)


def in_business_hours(at: datetime) -> bool:
    """Monday to Friday, from 09:00 up to (not including) 17:00 local time."""
    local = _local(at)
    return is_business_day(local.date()) and BUSINESS_OPEN <= local.time() < BUSINESS_CLOSE


def next_business_open(at: datetime) -> datetime:
    """The first instant at or after ``at`` when the office is open: ``at`` itself in business hours, else 09:00
    local of the next business day (today's, before opening time on a business day)."""
    if in_business_hours(at):
        return at
    local = _local(at)
    day = local.date()
    if not (is_business_day(day) and local.time() < BUSINESS_OPEN):
        day = _next_business_day(day)
    return local_datetime(day, BUSINESS_OPEN)
