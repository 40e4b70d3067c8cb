from __future__ import annotations

import logging
import threading

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from routing.deadlines import sweep_all

log = logging.getLogger(__name__)

# No lock shared between workers, and no lease either. The sweep used huey's lock_task, a key in huey's storage that
# only the holder deletes when its task ends: a worker killed mid-sweep (SIGKILL, or SIGTERM, which ends huey's
# daemon worker threads where they stand) left it held, and every later sweep, after a restart or on another worker,
# skipped until someone flushed the locks. A lease that expires would still hold a restarted or second worker back
# for its whole term, and one that expired before a long sweep ended would guard nothing. Nothing needs such a lock:
# each sweeper escalates a row exactly once by itself (row lock, re-check, deadline moved in the same transaction),
# and that lock is a database transaction, which ends with its connection. Workers sweeping at once only repeat reads.
#
# This lock is per process, so it dies with its holder: when a sweep outlasts the minute (a backlog after an outage),
# this worker's next sweep is skipped instead of a second thread walking the same rows while notifications wait.
_sweeping = threading.Lock()


@db_periodic_task(crontab(minute="*"))
def sweep_deadlines() -> None:
    """Every minute, and as soon as a worker starts: escalate whatever is past due."""
    if not _sweeping.acquire(blocking=False):
        log.info("deadline sweep still running in this worker; skipping this one")
        return
    try:
        sweep_all()
    finally:
        _sweeping.release()
