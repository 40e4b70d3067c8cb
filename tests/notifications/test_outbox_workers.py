"""Two delivery workers sweeping the outbox at the same moment send every message exactly once.

Real transactions (transaction=True), one database connection per thread, as two huey workers on two machines
would have. The claim is one conditional UPDATE, so on PostgreSQL and SQLite alike exactly one worker wins a row.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core import mail
from django.db import connections
from django.utils import timezone

import notifications.tasks
from notifications.models import DeliveryPreference, Kind, OutboxMessage
from notifications.services import notify, outbox_deliver_due

WORKERS = 2


def _race(now) -> list[int]:
    """Run WORKERS sweeps of `now` at once; return how many each sent. An exception in a thread fails the test."""
    barrier = threading.Barrier(WORKERS)
    counts: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=30)
            counts.append(outbox_deliver_due(now))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert errors == []
    return counts


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_outbox_message_exactly_once(personas, monkeypatch):
    # The per-message task is lost (no worker ran it): only the two sweeping workers can send.
    monkeypatch.setattr(notifications.tasks, "deliver", lambda message_id: None)
    user_ids = [user.pk for user in personas.values()]
    DeliveryPreference.objects.bulk_create(
        [DeliveryPreference(user_id=pk, kind=Kind.NEW_IN_QUEUE, email=True) for pk in user_ids]
    )
    for district in ("B2", "C11", "D4"):
        notify(user_ids=user_ids, kind=Kind.NEW_IN_QUEUE, text=f"New co-response request in {district}.")
    rows = list(OutboxMessage.objects.all())
    assert len(rows) == 3 * len(user_ids)
    assert {row.status for row in rows} == {OutboxMessage.Status.PENDING}

    counts = _race(timezone.now())

    assert sum(counts) == len(rows)
    assert len(mail.outbox) == len(rows)
    sent = Counter((email.to[0], email.subject, email.body, email.extra_headers["Message-ID"]) for email in mail.outbox)
    assert sent == Counter((row.recipient, row.subject, row.body, f"<{row.idempotency_key}@localhost>") for row in rows)
    assert list(OutboxMessage.objects.order_by().values_list("status", "attempts").distinct()) == [
        (OutboxMessage.Status.SENT, 1)
    ]
