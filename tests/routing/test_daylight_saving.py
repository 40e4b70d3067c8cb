"""Shifts across the daylight-saving changes in America/New_York (2026: spring forward on 8 March, fall back on
1 November). Times in UTC are what the database holds; the roster speaks local wall-clock time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone

from accounts.models import Team
from routing.models import Shift
from routing.services import local_datetime, route_choose, shift_create, shift_span
from tests.routing import best, clear_shifts, co_response, district, team

NIGHT = (time(19), time(7))
SPRING_EVE = date(2026, 3, 7)  # the night shift that starts this evening runs through the spring-forward
FALL_EVE = date(2026, 10, 31)  # ... and this one through the fall-back


@pytest.fixture(autouse=True)
def new_york():
    with timezone.override("America/New_York"):
        yield


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def in_utc(value: datetime) -> datetime:
    # Python compares and subtracts two datetimes of the same zone by wall clock, and never finds a time in the
    # repeated fall-back hour equal to one in another zone: compare instants in UTC.
    return value.astimezone(UTC)


@pytest.mark.parametrize(
    ("day", "starts", "ends", "hours"),
    [
        (SPRING_EVE, utc(2026, 3, 8, 0), utc(2026, 3, 8, 11), 11),  # 19:00 EST → 07:00 EDT
        (FALL_EVE, utc(2026, 10, 31, 23), utc(2026, 11, 1, 12), 13),  # 19:00 EDT → 07:00 EST
        (date(2026, 3, 8), utc(2026, 3, 8, 23), utc(2026, 3, 9, 11), 12),  # the next night is an ordinary one
    ],
)
def test_a_night_shift_across_a_clock_change_lasts_its_real_length(day, starts, ends, hours):
    starts_at, ends_at = shift_span(day=day, start=NIGHT[0], end=NIGHT[1])

    assert (in_utc(starts_at), in_utc(ends_at)) == (starts, ends)
    assert in_utc(ends_at) - in_utc(starts_at) == timedelta(hours=hours)


@pytest.mark.django_db
@pytest.mark.parametrize(("day", "hours"), [(SPRING_EVE, 11), (FALL_EVE, 13)])
def test_a_night_shift_across_a_clock_change_is_stored_with_its_real_length(personas, day, hours):
    _b2_shift(personas, day, *NIGHT)

    shift = Shift.objects.get()
    assert shift.ends_at - shift.starts_at == timedelta(hours=hours)
    assert timezone.localtime(shift.starts_at).time() == time(19)
    assert timezone.localtime(shift.ends_at).time() == time(7)


def test_half_past_two_on_spring_forward_day_does_not_exist_and_moves_to_half_past_three():
    moved = local_datetime(date(2026, 3, 8), time(2, 30))

    assert in_utc(moved) == utc(2026, 3, 8, 7, 30)
    assert timezone.localtime(moved).time() == time(3, 30)


def test_half_past_one_on_fall_back_day_means_the_first_daylight_time_one():
    assert in_utc(local_datetime(date(2026, 11, 1), time(1, 30))) == utc(2026, 11, 1, 5, 30)


def test_a_shift_containing_half_past_two_on_spring_forward_day_lasts_two_hours_for_three_on_the_clock():
    starts_at, ends_at = shift_span(day=date(2026, 3, 8), start=time(1), end=time(4))

    assert (in_utc(starts_at), in_utc(ends_at)) == (utc(2026, 3, 8, 6), utc(2026, 3, 8, 8))
    assert in_utc(starts_at) < in_utc(local_datetime(date(2026, 3, 8), time(2, 30))) < in_utc(ends_at)


# --- who is on shift at instants around the clock changes ----------------------------------------------------------


def _b2_shift(personas, day: date, start: time, end: time) -> None:
    clear_shifts()
    starts_at, ends_at = shift_span(day=day, start=start, end=end)
    shift_create(
        organisation=best(),
        user=personas["clinician.b2"],
        starts_at=starts_at,
        ends_at=ends_at,
        districts=[district("B2")],
    )


def _on_shift_at(instant: datetime) -> bool:
    decision = route_choose(program=co_response(), district=district("B2"), at=instant)
    assert decision.team in (team(code="B2"), team(Team.Kind.SUPERVISORS))
    return decision.team == team(code="B2")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("instant", "on_shift"),
    [
        (utc(2026, 3, 7, 23, 59), False),  # 18:59 EST, before the start
        (utc(2026, 3, 8, 0, 0), True),  # 19:00 EST, the start
        (utc(2026, 3, 8, 7, 30), True),  # 03:30 EDT, just after the clocks jumped
        (utc(2026, 3, 8, 10, 59), True),  # 06:59 EDT
        (utc(2026, 3, 8, 11, 0), False),  # 07:00 EDT, the end
        (utc(2026, 3, 8, 11, 30), False),  # a 12-hour shift would still run
    ],
)
def test_spring_forward_night_shift_is_on_shift_only_inside_its_eleven_hours(personas, instant, on_shift):
    _b2_shift(personas, SPRING_EVE, *NIGHT)

    assert _on_shift_at(instant) is on_shift


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("instant", "on_shift"),
    [
        (utc(2026, 10, 31, 22, 59), False),  # 18:59 EDT, before the start
        (utc(2026, 10, 31, 23, 0), True),  # 19:00 EDT, the start
        (utc(2026, 11, 1, 5, 30), True),  # 01:30 EDT, the first 01:30
        (utc(2026, 11, 1, 6, 30), True),  # 01:30 EST, the second 01:30
        (utc(2026, 11, 1, 11, 30), True),  # 06:30 EST: a 12-hour shift would have ended
        (utc(2026, 11, 1, 12, 0), False),  # 07:00 EST, the end
    ],
)
def test_fall_back_night_shift_is_on_shift_for_all_of_its_thirteen_hours(personas, instant, on_shift):
    _b2_shift(personas, FALL_EVE, *NIGHT)

    assert _on_shift_at(instant) is on_shift


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("instant", "on_shift"),
    [
        (utc(2026, 3, 8, 5, 59), False),  # 00:59 EST
        (utc(2026, 3, 8, 6, 0), True),  # 01:00 EST, the start
        (utc(2026, 3, 8, 7, 30), True),  # 03:30 EDT, where 02:30 would have been
        (utc(2026, 3, 8, 8, 0), False),  # 04:00 EDT, the end
    ],
)
def test_a_shift_over_the_spring_forward_gap_is_on_shift_inside_it_only(personas, instant, on_shift):
    _b2_shift(personas, date(2026, 3, 8), time(1), time(4))

    assert _on_shift_at(instant) is on_shift


def test_a_07_to_07_shift_over_the_fall_back_night_is_refused_for_lasting_25_hours(personas):
    from routing.services import RoutingError

    clear_shifts()
    starts_at, ends_at = shift_span(day=FALL_EVE, start=time(7), end=time(7))
    assert in_utc(ends_at) - in_utc(starts_at) == timedelta(hours=25)
    with pytest.raises(RoutingError, match="at most 24 hours"):
        shift_create(
            organisation=best(),
            user=personas["clinician.b2"],
            starts_at=starts_at,
            ends_at=ends_at,
            districts=[district("B2")],
        )
    assert not Shift.objects.filter(user=personas["clinician.b2"]).exists()
