"""A claim is a token and a lease; only the holder of the message's current token can record how its attempt ended.

Each test inflicts the fault it is about: a send that outlives its lease while a second worker takes the message
over, two workers taking over one expired claim at the same moment, a stale worker that finishes after the new
claimer. "Later" is a `now` handed to the second worker, as the clocks of two huey workers would differ. The last
tests show why that takes a fault: the send timeout is derived so that a send normally ends inside its claim.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.conf import settings
from django.core import mail
from django.db import connections
from django.utils import timezone

import notifications.tasks
from notifications import services
from notifications.models import Contact, DeliveryPreference, Kind, OutboxMessage
from notifications.services import (
    OPERATIONS_PER_SEND,
    _claim,
    backoff,
    claim_lease,
    notify,
    outbox_deliver,
    outbox_deliver_due,
)

MOBILE = "+16175550100"
TEXT = "Request R-TEST2345 accepted by Jordan Lee."
TAKEN_OVER = "claim was taken over before this attempt ended"


@pytest.fixture
def lost_tasks(monkeypatch):
    """The per-message task is lost: only the calls a test makes send anything."""
    monkeypatch.setattr(notifications.tasks, "deliver", lambda message_id: None)


def _text_message(officer) -> OutboxMessage:
    """A pending text message to `officer` (the test's transaction has not committed, or its task was lost)."""
    Contact.objects.update_or_create(user=officer, defaults={"mobile": MOBILE})
    DeliveryPreference.objects.create(user=officer, kind=Kind.ACCEPTED, sms=True)
    notify(user_ids=[officer.pk], kind=Kind.ACCEPTED, text=TEXT)
    return OutboxMessage.objects.get()


def _email(officer) -> OutboxMessage:
    """A pending email to `officer` (the test's transaction has not committed, or its task was lost)."""
    DeliveryPreference.objects.create(user=officer, kind=Kind.ACCEPTED, email=True)
    notify(user_ids=[officer.pk], kind=Kind.ACCEPTED, text=TEXT)
    return OutboxMessage.objects.get()


def _fields(message_id: int) -> dict:
    return OutboxMessage.objects.filter(pk=message_id).values().get()


@pytest.mark.django_db(transaction=True)
def test_a_send_slower_than_the_lease_is_delivered_once_though_a_second_worker_takes_the_message_over(
    personas, lost_tasks, sms_stub, caplog
):
    message = _text_message(personas["officer.b2"])
    key = str(message.idempotency_key)
    sms_stub.hold_first = True  # worker A's post reaches the provider, and its answer does not come back
    started = timezone.now()
    outcome: dict[str, object] = {}

    def worker_a() -> None:
        try:
            outcome["a"] = outbox_deliver(message_id=message.pk, now=started)
        except BaseException as error:  # reported below, in the test's thread
            outcome["a"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker_a)
    thread.start()
    try:
        assert sms_stub.arrived.wait(timeout=30)
        # A is still waiting for its answer when its lease has passed: worker B's sweep takes the message over.
        assert outbox_deliver_due(started + claim_lease() + timedelta(seconds=1)) == 1
    finally:
        sms_stub.release.set()
        thread.join(timeout=60)
    assert not thread.is_alive()

    assert outcome["a"] is False  # A's post was accepted, but A does not record anything: the claim is B's
    assert sms_stub.statuses == [200, 200]
    assert sms_stub.keys == [key, key]
    assert [body["idempotency_key"] for body in sms_stub.delivered] == [key]  # the provider dropped the repeat
    row = _fields(message.pk)
    assert (row["status"], row["attempts"], row["claim_token"]) == (OutboxMessage.Status.SENT, 2, None)
    assert [r.getMessage() for r in caplog.records if TAKEN_OVER in r.getMessage()] == [
        f"outbox {message.pk}: {TAKEN_OVER}; its result is not recorded"
    ]


@pytest.mark.django_db(transaction=True)
def test_two_workers_taking_over_one_expired_claim_at_once_leave_it_one_owner(personas, lost_tasks):
    message = _email(personas["officer.b2"])
    started = timezone.now()
    assert _claim(message.pk, started)  # a worker that then died
    later = started + claim_lease() + timedelta(seconds=1)
    barrier = threading.Barrier(2)
    tokens: list[object] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            tokens.append(_claim(message.pk, later))
        except BaseException as error:
            tokens.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    winners = [token for token in tokens if token is not None]
    assert len(tokens) == 2
    assert len(winners) == 1
    row = _fields(message.pk)
    assert (row["status"], row["attempts"], row["claim_token"]) == (OutboxMessage.Status.SENDING, 2, winners[0])
    assert row["claimed_until"] == later + claim_lease()


def _slow_first_send(monkeypatch, *, meanwhile, first, second=None) -> None:
    """Worker A's send (the first) takes longer than its lease: `meanwhile` runs during it (another worker's doing),
    then A's send ends as `first` says: None for sent, an exception for refused. A second send ends as `second`."""
    real_send = services._send
    sends: list[int] = []

    def send(message, *, timeout):
        sends.append(message.pk)
        ending = first if len(sends) == 1 else second
        if len(sends) == 1:
            meanwhile()
        if ending is not None:
            raise ending
        real_send(message, timeout=timeout)

    monkeypatch.setattr(services, "_send", send)


def test_a_stale_workers_late_sent_does_not_overwrite_the_new_claimers_retry(personas, monkeypatch, caplog):
    message = _email(personas["officer.b2"])
    started = timezone.now()
    taken_over_at = started + claim_lease() + timedelta(seconds=1)
    after_b = {}

    def worker_b() -> None:
        assert outbox_deliver(message_id=message.pk, now=taken_over_at) is False  # B's send is refused
        after_b.update(_fields(message.pk))

    _slow_first_send(monkeypatch, meanwhile=worker_b, first=None, second=SMTPServerDisconnected("hung up"))

    assert outbox_deliver(message_id=message.pk, now=started) is False

    assert _fields(message.pk) == after_b
    assert (after_b["status"], after_b["attempts"], after_b["last_error"], after_b["sent_at"]) == (
        OutboxMessage.Status.PENDING,
        2,
        "SMTPServerDisconnected",
        None,
    )
    assert after_b["next_attempt_at"] == taken_over_at + backoff(2)
    assert any(TAKEN_OVER in record.getMessage() for record in caplog.records)


def test_a_stale_workers_late_failure_does_not_reset_the_new_claimers_sent_message_to_pending(
    personas, monkeypatch, caplog
):
    message = _email(personas["officer.b2"])
    started = timezone.now()
    after_b = {}

    def worker_b() -> None:
        assert outbox_deliver(message_id=message.pk, now=started + claim_lease() + timedelta(seconds=1)) is True
        after_b.update(_fields(message.pk))

    _slow_first_send(monkeypatch, meanwhile=worker_b, first=TimeoutError("no answer"), second=None)

    assert outbox_deliver(message_id=message.pk, now=started) is False

    assert _fields(message.pk) == after_b
    assert (after_b["status"], after_b["attempts"], after_b["last_error"]) == (OutboxMessage.Status.SENT, 2, "")
    assert len(mail.outbox) == 1
    assert any(TAKEN_OVER in record.getMessage() for record in caplog.records)


def test_a_stale_workers_late_sent_leaves_the_new_claimers_claim_in_place(personas, monkeypatch):
    message = _email(personas["officer.b2"])
    started = timezone.now()
    taken_over_at = started + claim_lease() + timedelta(seconds=1)
    tokens = []
    _slow_first_send(monkeypatch, meanwhile=lambda: tokens.append(_claim(message.pk, taken_over_at)), first=None)

    assert outbox_deliver(message_id=message.pk, now=started) is False

    row = _fields(message.pk)
    assert tokens[0] is not None
    assert (row["status"], row["attempts"], row["claim_token"], row["sent_at"]) == (
        OutboxMessage.Status.SENDING,
        2,
        tokens[0],
        None,
    )
    assert row["claimed_until"] == taken_over_at + claim_lease()


def test_a_sent_message_is_never_claimed_swept_or_retried_again(personas, client):
    message = _email(personas["officer.b2"])
    started = timezone.now()
    assert outbox_deliver(message_id=message.pk, now=started) is True
    sent = _fields(message.pk)

    assert _claim(message.pk, started + timedelta(days=365)) is None
    assert outbox_deliver_due(started + timedelta(days=365)) == 0
    client.force_login(personas["admin"])
    response = client.post(
        "/admin/notifications/outboxmessage/", {"action": "retry_now", "_selected_action": [message.pk]}
    )
    assert response.status_code == 302

    assert _fields(message.pk) == sent
    assert sent["status"] == OutboxMessage.Status.SENT
    assert len(mail.outbox) == 1


def test_a_webhook_slower_than_the_send_timeout_is_given_up_within_the_claim_and_its_retry_dropped_as_a_repeat(
    personas, sms_stub, monkeypatch
):
    monkeypatch.setattr(settings, "OUTBOX_SEND_TIMEOUT", 1)
    sms_stub.delay = 3  # the provider accepts the post, then answers after three seconds
    message = _text_message(personas["officer.b2"])
    key = str(message.idempotency_key)

    started = time.monotonic()
    assert outbox_deliver(message_id=message.pk) is False
    waited = time.monotonic() - started

    assert 1 <= waited < 3
    assert claim_lease() == timedelta(seconds=12)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxMessage.Status.PENDING, 1, "TimeoutError")

    sms_stub.delay = 0
    assert outbox_deliver_due(timezone.now() + backoff(1)) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 2)
    assert sms_stub.keys == [key, key]
    assert [body["idempotency_key"] for body in sms_stub.delivered] == [key]


@pytest.mark.parametrize("timeout", [1, 10, 30])
def test_the_claim_lease_outlasts_every_network_operation_of_a_send_timing_out(timeout, monkeypatch, personas):
    monkeypatch.setattr(settings, "OUTBOX_SEND_TIMEOUT", timeout)
    given: list[float] = []
    get_connection = services.get_connection

    def recording(**kwargs):
        given.append(kwargs["timeout"])
        return get_connection(**kwargs)

    monkeypatch.setattr(services, "get_connection", recording)
    message = _email(personas["officer.b2"])
    assert outbox_deliver(message_id=message.pk) is True

    assert given == [timeout]
    assert claim_lease() > timedelta(seconds=timeout * OPERATIONS_PER_SEND)


def test_a_send_timeout_below_one_second_stops_handoff_at_startup():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "OUTBOX_SEND_TIMEOUT": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == "Handoff cannot start: OUTBOX_SEND_TIMEOUT must be at least 1 (seconds); got 0\n"
