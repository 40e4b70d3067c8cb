"""A NUL byte, an impossible admin date filter or a 30-digit id answers 400 or an empty list, never a 500."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.utils import timezone

from districts.models import District
from notifications.models import Channel, Kind, OutboxMessage
from notifications.services import notify
from routing.models import Shift

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


@pytest.fixture
def admin_client(client, login):
    login("admin")
    client.raise_request_exception = False  # a 500 is what these tests look for, not an exception
    return client


@pytest.fixture
def outbox_message(personas):
    [notification] = notify(user_ids=[personas["officer.b2"].pk], kind=Kind.STATUS_CHANGED, text="On scene.", path="/")
    return OutboxMessage.objects.create(
        notification=notification,
        channel=Channel.EMAIL,
        recipient="someone@example.org",
        subject="Handoff",
        body="A request is waiting.",
        status=OutboxMessage.Status.FAILED,
        next_attempt_at=timezone.now(),
    )


# --- NUL ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/notifications/outboxmessage/?status__exact=%00",  # PostgreSQL: "cannot contain NUL" → 500
        "/admin/notifications/outboxmessage/?q=%00",
        "/admin/notifications/outboxmessage/?%00=1",
        "/admin/routing/shift/?organisation__id__exact=%00",
        "/admin/auth/user/?q=abc%00def",
        "/admin/%00/",
    ],
)
def test_a_nul_byte_in_an_admin_url_answers_400(admin_client, url):
    response = admin_client.get(url)

    assert response.status_code == 400
    assert response.content == b"The request contains a NUL character."


def test_a_nul_byte_in_form_data_answers_400_and_changes_nothing(client, login):
    officer = login("officer.b2")
    client.raise_request_exception = False
    body = urlencode({"accepted-email": "on", "mobile": "+1617555\x000100"})

    response = client.post("/notifications/preferences", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert not officer.delivery_preferences.exists()


def test_a_nul_byte_in_a_multipart_form_answers_400(admin_client, outbox_message):
    response = admin_client.post(
        "/admin/notifications/outboxmessage/", {"action": "retry_now\x00", "_selected_action": [outbox_message.pk]}
    )

    assert response.status_code == 400
    outbox_message.refresh_from_db()
    assert outbox_message.status == OutboxMessage.Status.FAILED


def test_a_request_without_nul_passes_through(admin_client):
    assert admin_client.get("/admin/notifications/outboxmessage/?status__exact=failed&q=example").status_code == 200


# --- the admin's date hierarchy -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "starts_at__year=9999",
        "starts_at__year=9999&starts_at__month=12",
        "starts_at__year=9999&starts_at__month=12&starts_at__day=31",
        f"starts_at__year={HUGE}",
        f"starts_at__year=2026&starts_at__month=3&starts_at__day={HUGE}",
        "starts_at__year=1",
    ],
)
def test_an_admin_date_filter_outside_the_calendar_answers_400(admin_client, query):
    response = admin_client.get(f"/admin/routing/shift/?{query}")

    assert response.status_code == 400


@pytest.mark.parametrize("query", ["starts_at__year=2026", "starts_at__year=2026&starts_at__month=3&starts_at__day=8"])
def test_an_admin_date_filter_inside_the_calendar_lists_the_shifts(admin_client, query):
    assert admin_client.get(f"/admin/routing/shift/?{query}").status_code == 200


# --- ids too large for any integer column -----------------------------------------------------------------------


def test_an_admin_filter_on_a_30_digit_id_lists_nothing(admin_client):
    response = admin_client.get(f"/admin/routing/shift/?organisation__id__exact={HUGE}")

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_an_admin_action_on_a_30_digit_id_changes_nothing(admin_client, outbox_message):
    response = admin_client.post(
        "/admin/notifications/outboxmessage/", {"action": "retry_now", "_selected_action": [HUGE]}
    )

    assert response.status_code == 302
    outbox_message.refresh_from_db()
    assert outbox_message.status == OutboxMessage.Status.FAILED


def test_an_admin_delete_of_a_30_digit_id_deletes_nothing(admin_client, boston):
    before = District.objects.count()

    response = admin_client.post(
        "/admin/districts/district/", {"action": "delete_selected", "_selected_action": [HUGE]}
    )

    assert response.status_code == 200  # the confirmation page, listing nothing to delete
    assert District.objects.count() == before


def test_an_in_lookup_leaves_out_ids_no_integer_column_can_hold(boston):
    b2 = District.objects.get(code="B2")

    assert list(District.objects.filter(pk__in=[int(HUGE)])) == []
    assert list(District.objects.filter(pk__in=[int(HUGE), b2.pk, -int(HUGE)])) == [b2]
    assert list(District.objects.filter(pk__in=[2**63 - 1, b2.pk])) == [b2]  # the largest bigint still binds


def test_a_30_digit_id_in_an_admin_form_is_a_form_error(admin_client, personas):
    shift = Shift.objects.filter(user=personas["clinician.b2"]).first()
    url = f"/admin/routing/shift/{shift.pk}/change/"
    data = {
        "organisation": shift.organisation_id,
        "user": shift.user_id,
        "starts_at_0": timezone.localtime(shift.starts_at).date().isoformat(),
        "starts_at_1": "09:00:00",
        "ends_at_0": timezone.localtime(shift.ends_at).date().isoformat(),
        "ends_at_1": "23:00:00",
        "districts": [HUGE],
    }

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert list(Shift.objects.get(pk=shift.pk).districts.all()) == list(shift.districts.all())
