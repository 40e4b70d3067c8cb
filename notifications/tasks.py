from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from notifications.services import outbox_deliver, outbox_deliver_due


@db_task()
def deliver(message_id: int) -> None:
    outbox_deliver(message_id=message_id)


@db_periodic_task(crontab(minute="*"))
def deliver_due() -> None:
    """Every minute: retries, rows whose task was lost (worker down), and claims of a worker that died."""
    outbox_deliver_due()
