"""The inbox, its bell, mark read, delivery preferences, and the signed hint relay of the embedded setup."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from django.test.client import MULTIPART_CONTENT

from notifications import relay, views
from notifications.models import Contact, DeliveryPreference, Kind, Notification
from notifications.services import notify


def _notice(user, text: str) -> Notification:
    [notification] = notify(user_ids=[user.pk], kind=Kind.STATUS_CHANGED, text=text, path="/referrals/R-TEST2345/")
    return notification


@pytest.fixture
def inboxes(personas):
    """Two notices for officer.b2 (older first) and one for officer.d4."""
    b2, d4 = personas["officer.b2"], personas["officer.d4"]
    return {
        "b2": [_notice(b2, "Request R-TESTB2AA: accepted."), _notice(b2, "Request R-TESTB2BB: on scene.")],
        "d4": [_notice(d4, "Request R-TESTD4CC: declined.")],
    }


def _read_at(notification: Notification):
    notification.refresh_from_db()
    return notification.read_at


# --- inbox ----------------------------------------------------------------------------------------------------


def test_inbox_lists_the_signed_in_users_notifications_newest_first_and_no_one_elses(client, login, inboxes):
    login("officer.b2")

    response = client.get("/notifications/")

    assert response.status_code == 200
    assert response.context["notifications"] == inboxes["b2"][::-1]
    assert "R-TESTD4CC" not in response.content.decode()


def test_inbox_htmx_request_gets_only_the_list_partial(client, login, inboxes):
    login("officer.b2")

    response = client.get("/notifications/", headers={"HX-Request": "true"})

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<ul id="inbox"')
    assert "R-TESTB2AA" in content and "R-TESTB2BB" in content
    assert "<h1>" not in content


def test_inbox_sends_a_signed_out_visitor_to_the_login_page(client, inboxes):
    response = client.get("/notifications/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


# --- mark read ------------------------------------------------------------------------------------------------


def test_marking_an_own_notification_read_marks_that_one_only(client, login, inboxes):
    login("officer.b2")
    first, second = inboxes["b2"]

    response = client.post(f"/notifications/{first.pk}/read")

    assert response.status_code == 302
    assert response.url == "/notifications/"
    assert _read_at(first) is not None
    assert _read_at(second) is None


def test_marking_someone_elses_notification_read_changes_nothing(client, login, inboxes):
    login("officer.b2")
    [theirs] = inboxes["d4"]

    response = client.post(f"/notifications/{theirs.pk}/read", follow=True)

    assert _read_at(theirs) is None
    assert [_read_at(mine) for mine in inboxes["b2"]] == [None, None]
    assert [str(m) for m in response.context["messages"]] == ["Nothing to mark as read."]


def test_mark_all_read_marks_every_own_unread_notification_and_no_one_elses(client, login, inboxes):
    login("officer.b2")

    response = client.post("/notifications/read-all", follow=True)

    assert [_read_at(mine) is not None for mine in inboxes["b2"]] == [True, True]
    assert _read_at(inboxes["d4"][0]) is None
    assert [str(m) for m in response.context["messages"]] == ["2 marked as read."]


@pytest.mark.parametrize("path", ["/notifications/{pk}/read", "/notifications/read-all"])
def test_mark_read_refuses_get_with_405(client, login, inboxes, path):
    login("officer.b2")
    mine = inboxes["b2"][0]

    response = client.get(path.format(pk=mine.pk))

    assert response.status_code == 405
    assert _read_at(mine) is None


# --- bell -----------------------------------------------------------------------------------------------------


def test_bell_shows_the_signed_in_users_unread_count(client, login, inboxes):
    login("officer.b2")
    client.post(f"/notifications/{inboxes['b2'][0].pk}/read")
    _notice(inboxes["b2"][0].user, "Request R-TESTB2DD: closed.")

    response = client.get("/notifications/bell")

    content = response.content.decode()
    assert response.status_code == 200
    assert 'aria-label="Notifications: 2 unread"' in content
    assert "data-bell-count>2</span>" in content


# --- preferences ----------------------------------------------------------------------------------------------


def _choices(user) -> dict[str, tuple[bool, bool]]:
    return {p.kind: (p.email, p.sms) for p in DeliveryPreference.objects.filter(user=user)}


def test_preferences_save_the_chosen_channels_for_every_kind_and_the_mobile(client, login, settings):
    settings.SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"
    officer = login("officer.b2")

    response = client.post(
        "/notifications/preferences",
        {"accepted-email": "on", "accepted-sms": "on", "status_changed-sms": "on", "mobile": " +1 617-555-0100 "},
    )

    assert response.status_code == 302
    assert response.url == "/notifications/preferences"
    expected = dict.fromkeys(Kind.values, (False, False))
    expected |= {Kind.ACCEPTED: (True, True), Kind.STATUS_CHANGED: (False, True)}
    assert _choices(officer) == expected
    assert Contact.objects.get(user=officer).mobile == "+16175550100"
    page = client.get("/notifications/preferences")
    assert [(row["kind"], row["email"], row["sms"]) for row in page.context["rows"]] == [
        (kind, *expected[kind]) for kind in Kind.values
    ]


def test_preferences_refuse_a_mobile_number_not_in_international_form_with_422(client, login):
    officer = login("officer.b2")

    response = client.post("/notifications/preferences", {"accepted-sms": "on", "mobile": "617 555 0100"})

    assert response.status_code == 422
    assert "Write the mobile number in international form, e.g. +1 617 555 0100." in response.content.decode()
    assert _choices(officer) == {}
    assert not Contact.objects.filter(user=officer).exists()


def test_preferences_refuse_text_messages_without_a_mobile_number_with_422(client, login):
    officer = login("officer.b2")

    response = client.post("/notifications/preferences", {"accepted-sms": "on", "mobile": ""})

    assert response.status_code == 422
    assert "Add a mobile number to receive text messages." in response.content.decode()
    assert _choices(officer) == {}


# --- hint relay (embedded setup: the huey worker posts its hints to the web server) ----------------------------


class FakeLayer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    async def group_send(self, group: str, message: dict) -> None:
        self.sent.append((group, message))


@pytest.fixture
def layer(monkeypatch, settings):
    settings.REDIS_URL = ""
    fake = FakeLayer()
    monkeypatch.setattr(views, "get_channel_layer", lambda: fake)
    return fake


HINT = {"type": "hint", "topic": "referrals", "ref": "R-TEST2345", "seq": 3}


def _relay_post(body: bytes, signature: str):
    # Another process posts here with no session and no CSRF token: only the signature vouches for it.
    client = Client(enforce_csrf_checks=True)
    return client.post(
        "/internal/hints", body, content_type="application/json", headers={"X-Handoff-Signature": signature}
    )


def test_hint_relay_passes_a_correctly_signed_hint_to_every_group_with_204(db, layer):
    body = relay.envelope(["team-1", "user-2"], HINT)

    response = _relay_post(body, relay.signature(body))

    assert response.status_code == 204
    assert layer.sent == [("team-1", HINT), ("user-2", HINT)]


def test_hint_relay_refuses_a_bad_signature_with_403(db, layer):
    body = relay.envelope(["team-1"], HINT)
    tampered = body.replace(b"team-1", b"team-9")

    response = _relay_post(tampered, relay.signature(body))

    assert response.status_code == 403
    assert layer.sent == []


def test_hint_relay_refuses_a_signed_message_that_is_not_a_hint_with_403(db, layer):
    body = relay.envelope(["team-1"], {"type": "websocket.send", "text": "hello"})

    response = _relay_post(body, relay.signature(body))

    assert response.status_code == 403
    assert layer.sent == []


@pytest.mark.parametrize("content_type", [MULTIPART_CONTENT, "application/x-www-form-urlencoded", "text/plain"])
def test_hint_relay_refuses_a_body_that_is_not_json_with_415_not_500(db, layer, content_type):
    client = Client(raise_request_exception=False)
    data = {"groups": "team-1"} if content_type == MULTIPART_CONTENT else "groups=team-1"

    response = client.post("/internal/hints", data, content_type=content_type, headers={"X-Handoff-Signature": "0"})

    assert response.status_code == 415
    assert layer.sent == []


@pytest.mark.parametrize("group", ["", "team 1", "é", "x" * 100])
def test_hint_relay_refuses_a_signed_group_name_the_channel_layer_cannot_take_with_403_not_500(db, layer, group):
    body = json.dumps({"groups": [group], "message": HINT}).encode()

    response = _relay_post(body, relay.signature(body))

    assert response.status_code == 403
    assert layer.sent == []


def test_hint_relay_is_not_found_when_redis_carries_the_hints(db, layer, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/10"
    body = relay.envelope(["team-1"], HINT)

    response = _relay_post(body, relay.signature(body))

    assert response.status_code == 404
    assert layer.sent == []


def test_hint_relay_refuses_a_replayed_post_and_accepts_a_fresh_one(db, layer):
    body = relay.envelope(["team-1"], HINT)
    assert _relay_post(body, relay.signature(body)).status_code == 204

    replay = _relay_post(body, relay.signature(body))

    assert replay.status_code == 403
    fresh = relay.envelope(["team-1"], HINT)
    assert _relay_post(fresh, relay.signature(fresh)).status_code == 204
    assert layer.sent == [("team-1", HINT), ("team-1", HINT)]


@pytest.mark.parametrize("age", [-3600, 61, 3600])
def test_hint_relay_refuses_a_correctly_signed_post_outside_the_time_window(db, layer, age):
    body = relay.envelope(["team-1"], HINT, now=time.time() - age)

    assert _relay_post(body, relay.signature(body)).status_code == 403
    assert layer.sent == []


def test_hint_relay_refuses_a_signed_post_without_a_timestamp_or_number(db, layer):
    body = json.dumps({"groups": ["team-1"], "message": HINT}).encode()  # the format before replay protection

    assert _relay_post(body, relay.signature(body)).status_code == 403
    assert layer.sent == []


def test_hint_relay_forgets_numbers_once_their_window_has_passed(db, layer, settings):
    from datetime import timedelta

    from django.utils import timezone

    from notifications.models import RelayNonce

    RelayNonce.objects.create(nonce="a" * 32, received_at=timezone.now() - timedelta(hours=1))
    body = relay.envelope(["team-1"], HINT)
    assert _relay_post(body, relay.signature(body)).status_code == 204
    assert list(RelayNonce.objects.values_list("nonce", flat=True)) == [json.loads(body)["nonce"]]
