"""No delivery is lost while the worker is down: the queued tasks wait, and the periodic sweep (deliver_due, every
minute) sends what is due once the worker is back, including a message whose sender died mid-send."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from notifications.models import DeliveryPreference, Kind, OutboxMessage
from notifications.services import _claim, claim_lease, notify, outbox_deliver_due
from notifications.tasks import deliver_due

RECIPIENTS = ("officer.b2", "sergeant.b2", "clinician.b2")


@pytest.fixture
def worker_down():
    """HUEY enqueues for real (tests otherwise run tasks in-line) and no consumer runs: the worker is down."""
    HUEY.immediate = False
    HUEY.flush()
    yield HUEY
    HUEY.flush()
    HUEY.immediate = True


@pytest.fixture
def recipients(personas):
    users = [personas[username] for username in RECIPIENTS]
    DeliveryPreference.objects.bulk_create(
        [DeliveryPreference(user=user, kind=Kind.STATUS_CHANGED, email=True) for user in users]
    )
    return users


@pytest.mark.django_db(transaction=True)
def test_messages_queued_while_the_worker_is_down_are_each_sent_once_when_it_is_back(worker_down, recipients):
    notify(user_ids=[u.pk for u in recipients], kind=Kind.STATUS_CHANGED, text="Request R-TEST2345: on scene.")

    rows = list(OutboxMessage.objects.all())
    assert len(rows) == len(RECIPIENTS)
    assert {(row.status, row.attempts) for row in rows} == {(OutboxMessage.Status.PENDING, 0)}
    assert mail.outbox == []
    assert worker_down.pending_count() == len(RECIPIENTS)  # one deliver task per message, waiting

    # The worker is back: its periodic sweep runs, and so do the tasks that waited in the queue.
    deliver_due.call_local()
    while (task := worker_down.dequeue()) is not None:
        worker_down.execute(task)

    assert sorted(email.to[0] for email in mail.outbox) == sorted(u.email for u in recipients)
    assert list(OutboxMessage.objects.order_by().values_list("status", "attempts").distinct()) == [
        (OutboxMessage.Status.SENT, 1)
    ]


def _died_mid_send(recipients, django_capture_on_commit_callbacks):
    """A message claimed by a worker that then died: SENDING, attempts 1, a claim running until died_at + the lease."""
    with django_capture_on_commit_callbacks(execute=True):
        notify(user_ids=[recipients[0].pk], kind=Kind.STATUS_CHANGED, text="Request R-TEST2345: on scene.")
    message = OutboxMessage.objects.get()
    died_at = timezone.now()
    assert _claim(message.pk, died_at)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENDING, 1)
    assert message.claimed_until == died_at + claim_lease()
    return message, died_at


def test_a_message_whose_claim_is_still_running_is_not_sent_by_another_worker(
    worker_down, recipients, django_capture_on_commit_callbacks
):
    message, died_at = _died_mid_send(recipients, django_capture_on_commit_callbacks)

    assert outbox_deliver_due(died_at + claim_lease() - timedelta(seconds=1)) == 0

    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENDING, 1)
    assert mail.outbox == []


def test_a_message_left_sending_by_a_dead_worker_is_sent_once_after_its_claim_expires(
    worker_down, recipients, django_capture_on_commit_callbacks
):
    message, died_at = _died_mid_send(recipients, django_capture_on_commit_callbacks)

    assert outbox_deliver_due(died_at + claim_lease() + timedelta(seconds=1)) == 1
    assert outbox_deliver_due(died_at + timedelta(hours=1)) == 0

    message.refresh_from_db()
    assert (message.status, message.attempts, message.claimed_until) == (OutboxMessage.Status.SENT, 2, None)
    assert [email.to for email in mail.outbox] == [[recipients[0].email]]
