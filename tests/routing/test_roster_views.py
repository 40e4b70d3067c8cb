"""The roster page: who may see it, adding a shift (valid and invalid), removing one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from routing.models import Shift
from routing.services import shift_span
from tests.routing import district

pytestmark = pytest.mark.django_db

ROSTER = "/rosters/"


def test_roster_url_is_rosters():
    assert reverse("routing:roster") == ROSTER


@pytest.mark.parametrize(
    ("username", "status"),
    [("clinician.supervisor", 200), ("clinician.b2", 403), ("officer.b2", 403), ("youth.e13", 403)],
)
def test_only_a_partner_supervisor_sees_the_roster(client, login, username, status):
    login(username)

    assert client.get(ROSTER).status_code == status


def test_the_roster_shows_the_week_of_the_supervisors_own_organisation(client, login, personas):
    login("clinician.supervisor")

    response = client.get(ROSTER)

    assert response.context["organisation"].short_name == "BEST"
    shown = [shift for day in response.context["days"] for shift in day["shifts"]]
    assert shown
    assert {shift.organisation.short_name for shift in shown} == {"BEST"}


# --- adding a shift ------------------------------------------------------------------------------------------------


def _shift_data(
    personas, *, user="clinician.b2", day=None, start="09:00", end="17:00", districts=("B2",), on_call=False
):
    data = {
        "user": personas[user].pk,
        "day": (day or timezone.localdate() + timedelta(days=30)).isoformat(),
        "start": start,
        "end": end,
        "districts": [district(code).pk for code in districts],
    }
    if on_call:
        data["on_call"] = "on"
    return data


def test_a_valid_shift_is_added_and_the_page_goes_to_its_week(client, login, personas):
    login("clinician.supervisor")
    day = timezone.localdate() + timedelta(days=30)

    response = client.post(ROSTER, _shift_data(personas, day=day))

    monday = day - timedelta(days=day.weekday())
    assert response.status_code == 302
    assert response["Location"] == f"{ROSTER}?week={monday.isoformat()}"
    shift = Shift.objects.get(user=personas["clinician.b2"], starts_at__date__gte=day - timedelta(days=1))
    assert (shift.starts_at, shift.ends_at) == shift_span(day=day, start=time(9), end=time(17))
    assert shift.organisation == Organisation.objects.get(short_name="BEST")
    assert [d.code for d in shift.districts.all()] == ["B2"]
    assert not shift.on_call


def test_a_night_shift_added_over_the_spring_forward_is_stored_as_eleven_real_hours(client, login, personas):
    login("clinician.supervisor")

    with timezone.override("America/New_York"):
        response = client.post(
            ROSTER, _shift_data(personas, user="clinician.c11", day=date(2026, 3, 7), start="19:00", end="07:00")
        )

    assert response.status_code == 302
    shift = Shift.objects.get(user=personas["clinician.c11"], starts_at__year=2026, starts_at__month=3)
    assert shift.starts_at == datetime(2026, 3, 8, 0, tzinfo=UTC)  # 19:00 EST
    assert shift.ends_at == datetime(2026, 3, 8, 11, tzinfo=UTC)  # 07:00 EDT


def test_the_added_shift_is_listed_in_its_week(client, login, personas):
    login("clinician.supervisor")
    day = timezone.localdate() + timedelta(days=30)
    client.post(ROSTER, _shift_data(personas, day=day))
    shift = Shift.objects.get(user=personas["clinician.b2"], starts_at__gte=timezone.now() + timedelta(days=20))

    response = client.get(ROSTER, {"week": day.isoformat()})

    assert f'data-shift="{shift.pk}"' in response.content.decode()
    assert "09:00–17:00" in response.content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": "09:00", "end": "09:00"}, "A shift cannot start and end at the same time."),
        ({"districts": ()}, "Tick at least one district, or citywide on-call."),
        # The demo roster has clinician.b2 on shift around the clock this week.
        ({"day": "today", "start": "10:00", "end": "12:00"}, "That person already has a shift overlapping this one."),
        ({"user": "youth.e13"}, "Select a valid choice. That choice is not one of the available choices."),
    ],
    ids=["end-equals-start", "nowhere", "overlapping", "other-organisation"],
)
def test_an_invalid_shift_is_refused_with_a_clear_message_and_nothing_is_created(
    client, login, personas, change, message
):
    login("clinician.supervisor")
    if change.get("day") == "today":
        change = {**change, "day": timezone.localdate()}
    before = Shift.objects.count()

    response = client.post(ROSTER, _shift_data(personas, **change))

    assert response.status_code == 422
    assert message in response.content.decode()
    assert Shift.objects.count() == before


def test_an_on_call_shift_without_districts_is_accepted(client, login, personas):
    login("clinician.supervisor")

    response = client.post(ROSTER, _shift_data(personas, districts=(), on_call=True))

    assert response.status_code == 302
    shift = Shift.objects.get(user=personas["clinician.b2"], starts_at__gte=timezone.now() + timedelta(days=20))
    assert shift.on_call
    assert not shift.districts.exists()


@pytest.mark.parametrize("username", ["clinician.b2", "officer.b2"])
def test_only_a_supervisor_may_add_a_shift(client, login, personas, username):
    login(username)
    before = Shift.objects.count()

    response = client.post(ROSTER, _shift_data(personas))

    assert response.status_code == 403
    assert Shift.objects.count() == before


# --- removing a shift ----------------------------------------------------------------------------------------------


def _remove_url(shift: Shift) -> str:
    return reverse("routing:shift_remove", args=[shift.pk])


def test_a_supervisor_removes_a_shift_of_their_organisation(client, login, personas):
    login("clinician.supervisor")
    shift = Shift.objects.filter(user=personas["clinician.b2"]).first()

    response = client.post(_remove_url(shift))

    assert response.status_code == 302
    assert not Shift.objects.filter(pk=shift.pk).exists()


def test_removing_a_shift_of_another_organisation_is_404(client, login, personas):
    login("clinician.supervisor")
    shift = Shift.objects.filter(user=personas["youth.e13"]).first()  # a YouthConnect shift

    response = client.post(_remove_url(shift))

    assert response.status_code == 404
    assert Shift.objects.filter(pk=shift.pk).exists()


def test_removing_a_shift_that_does_not_exist_is_404(client, login):
    login("clinician.supervisor")

    assert client.post(reverse("routing:shift_remove", args=[987654])).status_code == 404


def test_a_clinician_may_not_remove_a_shift(client, login, personas):
    login("clinician.b2")
    shift = Shift.objects.filter(user=personas["clinician.b2"]).first()

    response = client.post(_remove_url(shift))

    assert response.status_code == 403
    assert Shift.objects.filter(pk=shift.pk).exists()
