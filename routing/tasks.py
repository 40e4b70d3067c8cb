from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from routing.deadlines import sweep_all


@db_periodic_task(crontab(minute="*"))
@lock_task("routing-sweep-deadlines")
def sweep_deadlines() -> None:
    """Every minute: escalate whatever is past due. The lock only saves work; correctness is per row."""
    sweep_all()
