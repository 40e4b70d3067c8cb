"""Deadlines: each app that has waiting rows registers a sweeper; one periodic task runs them all.

A sweeper takes ``now`` and returns how many rows it escalated. It must escalate each due row exactly once, even
with several sweepers running at once (lock the row, re-check it is still due, then move its deadline), so a
crashed or stopped worker loses nothing: the next sweep finds everything still due and handles it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

log = logging.getLogger(__name__)

Sweeper = Callable[[datetime], int]
_SWEEPERS: dict[str, Sweeper] = {}


def register(name: str, sweeper: Sweeper) -> None:
    _SWEEPERS[name] = sweeper


def sweep_all(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    results = {}
    for name, sweeper in _SWEEPERS.items():
        try:
            results[name] = sweeper(now)
        except Exception:
            # One broken sweeper must not stop the others; the rows stay due and the next sweep retries them.
            log.exception("deadline sweeper %s failed", name)
            results[name] = -1
    return results
