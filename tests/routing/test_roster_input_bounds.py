"""The roster takes only weeks and days within reach of today and ids that exist: 400 or a form error, never 500."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from routing.forms import ROSTER_REACH
from routing.models import Shift
from tests.routing.test_roster_views import ROSTER, _shift_data

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


@pytest.fixture
def supervisor(client, login):
    client.raise_request_exception = False  # a 500 is what these tests look for, not an exception
    return login("clinician.supervisor")


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "2026-02-30", "next-week", HUGE])
def test_a_roster_week_link_outside_the_calendar_or_malformed_answers_400(client, supervisor, week):
    response = client.get(ROSTER, {"week": week})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


def test_a_roster_week_beyond_reach_answers_400(client, supervisor):
    too_far = timezone.localdate() + ROSTER_REACH + timedelta(days=1)

    assert client.get(ROSTER, {"week": too_far.isoformat()}).status_code == 400


def test_the_last_week_within_reach_has_no_link_further(client, supervisor):
    response = client.get(ROSTER, {"week": (timezone.localdate() + ROSTER_REACH).isoformat()})

    assert response.status_code == 200
    assert response.context["next_week"] is None
    assert response.context["previous_week"] is not None
    assert "Next week" not in response.content.decode()


def test_the_roster_without_a_week_shows_this_week(client, supervisor):
    response = client.get(ROSTER)

    today = timezone.localdate()
    assert response.status_code == 200
    assert response.context["monday"] == today - timedelta(days=today.weekday())


@pytest.mark.parametrize("day", [date(9999, 12, 31), date(1, 1, 1)])
def test_a_shift_on_a_day_beyond_reach_is_refused_and_nothing_is_stored(client, supervisor, personas, day):
    before = Shift.objects.count()

    response = client.post(ROSTER, _shift_data(personas, day=day))

    assert response.status_code == 422
    assert "Choose a day between" in response.content.decode()
    assert Shift.objects.count() == before


def test_a_shift_posted_with_a_week_outside_the_calendar_answers_400(client, supervisor, personas):
    before = Shift.objects.count()

    response = client.post(ROSTER, {**_shift_data(personas), "week": "9999-12-31"})

    assert response.status_code == 400
    assert Shift.objects.count() == before


@pytest.mark.parametrize("field", ["districts", "user"])
def test_a_30_digit_id_in_the_shift_form_is_a_form_error_and_nothing_is_stored(client, supervisor, personas, field):
    before = Shift.objects.count()
    data = _shift_data(personas)
    data[field] = [HUGE] if field == "districts" else HUGE

    response = client.post(ROSTER, data)

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert Shift.objects.count() == before


def test_removing_a_shift_with_a_30_digit_id_is_404(client, supervisor):
    before = Shift.objects.count()

    assert client.post(f"/rosters/shifts/{HUGE}/delete/").status_code == 404
    assert Shift.objects.count() == before
