"""An SMS webhook that answers 500 is retried with backoff until it answers 200; after MAX_ATTEMPTS refusals the
message is FAILED and an administrator finds it in the admin. The webhook is a real HTTP server on 127.0.0.1.

Every attempt at a message carries the message's idempotency key (the webhook's Idempotency-Key header and body,
an email's Message-ID), the same on each retry, so a receiver that got an attempt whose answer was lost drops the
next one."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from notifications.models import Contact, DeliveryPreference, Kind, OutboxMessage
from notifications.services import MAX_ATTEMPTS, backoff, notify, outbox_deliver_due

MOBILE = "+16175550100"
TEXT = "Request R-TEST2345 accepted by Jordan Lee."
PATH = "/referrals/R-TEST2345/"
TEXT_SENT = f"{TEXT} Open Handoff: {settings.PUBLIC_BASE_URL}{PATH}"


@pytest.fixture
def clock(monkeypatch):
    """Time stands still at the returned moment; the tests move it by passing `now` to the sweep."""
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


@pytest.fixture
def officer(personas):
    """officer.b2, who wants a text message when a request is accepted."""
    officer = personas["officer.b2"]
    Contact.objects.create(user=officer, mobile=MOBILE)
    DeliveryPreference.objects.create(user=officer, kind=Kind.ACCEPTED, sms=True)
    return officer


def _notify_officer(officer, django_capture_on_commit_callbacks) -> OutboxMessage:
    with django_capture_on_commit_callbacks(execute=True):  # the commit: the delivery task runs (HUEY immediate)
        notify(user_ids=[officer.pk], kind=Kind.ACCEPTED, text=TEXT, path=PATH)
    return OutboxMessage.objects.filter(channel="sms", recipient=MOBILE).order_by("-pk").first()


def test_a_text_refused_with_500_on_first_delivery_waits_backoff_1_for_its_retry(
    officer, sms_stub, clock, django_capture_on_commit_callbacks
):
    sms_stub.failures = 1

    message = _notify_officer(officer, django_capture_on_commit_callbacks)

    assert sms_stub.statuses == [500]
    assert (message.status, message.attempts, message.last_error) == (OutboxMessage.Status.PENDING, 1, "HTTPError")
    assert message.next_attempt_at == clock + backoff(1)
    assert backoff(1) == timedelta(seconds=30)
    assert message.claimed_until is None


def test_a_text_refused_with_500_is_sent_by_the_first_sweep_after_its_backoff(
    officer, sms_stub, clock, django_capture_on_commit_callbacks
):
    sms_stub.failures = 1
    message = _notify_officer(officer, django_capture_on_commit_callbacks)

    assert outbox_deliver_due(clock + timedelta(seconds=29)) == 0  # not due yet
    assert sms_stub.statuses == [500]
    assert outbox_deliver_due(clock + timedelta(seconds=31)) == 1

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxMessage.Status.SENT, 2, "")
    assert sms_stub.statuses == [500, 200]
    expected = {
        "to": MOBILE,
        "text": TEXT_SENT,
        "idempotency_key": str(message.idempotency_key),
    }
    assert sms_stub.bodies == [expected, expected]
    assert outbox_deliver_due(clock + timedelta(days=1)) == 0
    assert len(sms_stub.bodies) == 2


def test_a_text_refused_max_attempts_times_is_failed_and_listed_in_the_admin_failed_filter(
    officer, personas, sms_stub, clock, client, django_capture_on_commit_callbacks
):
    sms_stub.failures = 10 * MAX_ATTEMPTS  # the provider is down for good
    # Another message that goes out fine: the "failed" filter must leave it out.
    sergeant = personas["sergeant.b2"]
    DeliveryPreference.objects.create(user=sergeant, kind=Kind.ACCEPTED, email=True)
    with django_capture_on_commit_callbacks(execute=True):
        notify(user_ids=[sergeant.pk], kind=Kind.ACCEPTED, text=TEXT, path=PATH)
    message = _notify_officer(officer, django_capture_on_commit_callbacks)

    at = clock
    for attempt in range(1, MAX_ATTEMPTS):
        assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, attempt)
        at += backoff(attempt)
        assert outbox_deliver_due(at) == 0
        message.refresh_from_db()

    assert (message.status, message.attempts, message.last_error) == (
        OutboxMessage.Status.FAILED,
        MAX_ATTEMPTS,
        "HTTPError",
    )
    assert len(sms_stub.bodies) == MAX_ATTEMPTS
    assert outbox_deliver_due(at + timedelta(days=30)) == 0  # a failed message is not retried by the sweep
    assert len(sms_stub.bodies) == MAX_ATTEMPTS

    client.force_login(personas["admin"])
    response = client.get("/admin/notifications/outboxmessage/?status=failed")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [message]
    assert MOBILE in response.content.decode()
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT, recipient=sergeant.email).count() == 1


def test_the_webhook_receives_the_messages_idempotency_key_identical_on_every_retry(
    officer, sms_stub, clock, django_capture_on_commit_callbacks
):
    sms_stub.failures = 2
    message = _notify_officer(officer, django_capture_on_commit_callbacks)
    assert outbox_deliver_due(clock + backoff(1)) == 0
    assert outbox_deliver_due(clock + backoff(1) + backoff(2)) == 1

    message.refresh_from_db()
    key = str(message.idempotency_key)
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 3)
    assert sms_stub.statuses == [500, 500, 200]
    assert sms_stub.keys == [key, key, key]
    assert [body["idempotency_key"] for body in sms_stub.bodies] == [key, key, key]
    # Another message to the same person, with the same text, has a key of its own: the receiver keeps both.
    other = _notify_officer(officer, django_capture_on_commit_callbacks)
    assert other.status == OutboxMessage.Status.SENT
    assert sms_stub.keys[-1] == str(other.idempotency_key) != key
    assert [body["text"] for body in sms_stub.delivered] == [TEXT_SENT, TEXT_SENT]


def test_an_email_carries_a_message_id_made_from_its_idempotency_key_identical_on_a_retry(
    officer, clock, monkeypatch, django_capture_on_commit_callbacks
):
    DeliveryPreference.objects.filter(user=officer).update(email=True, sms=False)
    attempted: list[str] = []
    send_messages = EmailBackend.send_messages

    def refuse_the_first(backend, messages):
        attempted.extend(str(email.message()["Message-ID"]) for email in messages)
        if len(attempted) == 1:
            raise SMTPServerDisconnected("the relay hung up")  # after the DATA, say: the relay may have it
        return send_messages(backend, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_the_first)
    with django_capture_on_commit_callbacks(execute=True):
        notify(user_ids=[officer.pk], kind=Kind.ACCEPTED, text=TEXT, path=PATH)
    message = OutboxMessage.objects.get(channel="email")
    assert (message.status, message.last_error) == (OutboxMessage.Status.PENDING, "SMTPServerDisconnected")
    assert outbox_deliver_due(clock + backoff(1)) == 1

    message.refresh_from_db()
    message_id = f"<{message.idempotency_key}@localhost>"  # DEFAULT_FROM_EMAIL is handoff@localhost
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 2)
    assert attempted == [message_id, message_id]
    assert [str(email.message()["Message-ID"]) for email in mail.outbox] == [message_id]
