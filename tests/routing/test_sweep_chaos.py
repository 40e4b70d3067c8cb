"""Chaos: a deadline-sweep worker killed (SIGKILL, SIGTERM) or frozen (SIGSTOP) mid-sweep holds nothing back. A
restarted worker, or a second one, escalates every due request within two sweep periods, each exactly once.

The workers are real ``manage.py run_huey`` processes with Handoff's settings on the test's database (a file with
SQLite, so that other processes see it; PostgreSQL's test database otherwise) and with a huey queue of their own (a
fresh huey file, or a fresh name in Redis), so no lock or task left by another run interferes. They are started
plainly, as an operator restarts one: no --flush-locks.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from programs.models import Program
from referrals import events
from referrals.models import Referral, ReferralEvent
from tests.referrals.factories import file_referral

DUE = 300
SWEEP_PERIOD = 60  # routing.tasks.sweep_deadlines: every minute, as in production (huey's crontab)
WITHIN = 2 * SWEEP_PERIOD


# --- referral internals: only these helpers know where a deadline is kept and how an escalation is recorded -------


def _make_due(referrals: list[Referral], at) -> None:
    """Make `referrals` due at `at`, with an hour's acceptance window after an escalation (the demo's is two
    minutes), so that nothing escalated during the test falls due again before it ends."""
    Program.objects.filter(slug="co-response").update(acceptance_minutes=60)
    Referral.objects.filter(pk__in=[r.pk for r in referrals]).update(due_at=at)


def _escalation_counts(referrals: list[Referral]) -> dict[int, int]:
    """How many times each referral was escalated, by primary key (0 for never)."""
    counts = dict(
        ReferralEvent.objects.filter(referral__in=[r.pk for r in referrals], kind=events.ESCALATED)
        .order_by()
        .values("referral")
        .annotate(n=Count("pk"))
        .values_list("referral", "n")
    )
    return {r.pk: counts.get(r.pk, 0) for r in referrals}


# --- workers ------------------------------------------------------------------------------------------------------


@dataclass
class Worker:
    name: str  # also its PostgreSQL application_name
    process: subprocess.Popen
    log: Path
    huey_file: Path  # its queue with SqliteHuey

    def send(self, signum: int) -> None:
        os.kill(self.process.pid, signum)

    def state(self) -> str:
        """The kernel's one-letter state: "T" once a SIGSTOP has taken hold."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0]

    def finished_a_sweep(self) -> bool:
        return any(
            "routing.tasks.sweep_deadlines" in line and "executed in" in line
            for line in self.log.read_text(errors="replace").splitlines()
        )

    def tail(self) -> str:
        lines = self.log.read_text(errors="replace").splitlines()
        return f"--- {self.name} (exit {self.process.poll()}) ---\n" + "\n".join(lines[-25:])


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """start_worker("name") starts ``manage.py run_huey`` on the test's database; every worker is killed after."""
    queue = f"sweep-chaos-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.sweep_worker_settings",
        "SWEEP_CHAOS_DATABASE": str(connection.settings_dict["NAME"]),
        "HANDOFF_VAR_DIR": str(tmp_path / "var"),  # SqliteHuey: a queue file of this test's own
        "HUEY_NAME": queue,  # RedisHuey: a queue, schedule and locks of this test's own
        "CHANNELS_PREFIX": queue,
        "HUEY_IMMEDIATE": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("HINT_RELAY_URL", None)
    workers: list[Worker] = []

    def start(name: str) -> Worker:
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "run_huey"],
                cwd=settings.BASE_DIR,
                env={**env, "PGAPPNAME": f"{queue}-{name}"},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(f"{queue}-{name}", process, log, tmp_path / "var" / "huey.sqlite3")
        workers.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.kill()  # a stopped process dies of SIGKILL too
            worker.process.wait(timeout=30)
        if settings.REDIS_URL:
            import redis

            client = redis.Redis.from_url(settings.REDIS_URL)
            for key in client.scan_iter(f"*{queue}*"):
                client.delete(key)


def _wait_for(
    what: str, condition: Callable[[], bool], *, running: list[Worker], shown: tuple[Worker, ...] = ()
) -> float:
    """Poll `condition` for at most two sweep periods; fail with the workers' logs then, or as soon as one of the
    `running` workers exits. Returns how long it took."""
    started = time.monotonic()
    while not condition():
        exited = [w for w in running if w.process.poll() is not None]
        if exited or time.monotonic() - started > WITHIN:
            why = f"{exited[0].name} exited" if exited else f"not within {WITHIN} s"
            pytest.fail(f"{what}: {why}\n" + "\n".join(w.tail() for w in (*shown, *running)))
        time.sleep(0.05)
    return time.monotonic() - started


def _in_a_write_transaction(worker: Worker) -> bool:
    """Whether `worker` holds a write transaction open, which would block every other writer while it is frozen."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND xact_start IS NOT NULL",
                [worker.name],
            )
            return cursor.fetchone()[0] > 0
    for database in (connection.settings_dict["NAME"], worker.huey_file):
        probe = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    return False


def _due_requests(personas) -> list[Referral]:
    referrals = [file_referral(personas["officer.b2"], "B2") for _ in range(DUE)]
    _make_due(referrals, timezone.now() - timedelta(minutes=1))
    return referrals


def _escalated(referrals: list[Referral]) -> int:
    return sum(1 for n in _escalation_counts(referrals).values() if n)


def _wait_until_mid_sweep(worker: Worker, referrals: list[Referral]) -> None:
    _wait_for("the first worker is well into its sweep", lambda: _escalated(referrals) >= DUE // 5, running=[worker])


def _assert_each_escalated_exactly_once(referrals: list[Referral]) -> None:
    counts = _escalation_counts(referrals)
    assert sorted(set(counts.values())) == [1], {pk: n for pk, n in counts.items() if n != 1}


def _freeze_between_transactions(worker: Worker) -> None:
    """SIGSTOP `worker` at a moment it holds no write transaction: frozen inside one, it would hold every other
    writer back on SQLite (one writer at a time) or at its locked row on PostgreSQL, whatever the sweep's lock."""
    for _ in range(200):
        worker.send(signal.SIGSTOP)
        _wait_for("the worker stops", lambda: worker.state() == "T", running=[worker])
        if not _in_a_write_transaction(worker):
            return
        worker.send(signal.SIGCONT)
        time.sleep(0.003)
    pytest.fail("never caught the worker between two transactions")


# --- the tests ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_worker_killed_mid_sweep_and_restarted_escalates_every_due_request_exactly_once(
    personas, start_worker, signum
):
    referrals = _due_requests(personas)
    first = start_worker("first")
    _wait_until_mid_sweep(first, referrals)

    first.send(signum)
    first.process.wait(timeout=30)
    escalated_before = _escalated(referrals)
    assert 0 < escalated_before < DUE, "the worker was not stopped mid-sweep"

    restarted = start_worker("restarted")
    took = _wait_for(
        "every due request escalated", lambda: _escalated(referrals) == DUE, running=[restarted], shown=(first,)
    )
    _wait_for("the restarted worker ends its sweep", restarted.finished_a_sweep, running=[restarted])
    print(f"{escalated_before} escalated before the {signum.name}; the rest {took:.1f} s after the restart")

    _assert_each_escalated_exactly_once(referrals)


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_takes_over_from_one_frozen_mid_sweep_and_nothing_is_escalated_twice(personas, start_worker):
    referrals = _due_requests(personas)
    frozen = start_worker("frozen")
    _wait_until_mid_sweep(frozen, referrals)
    _freeze_between_transactions(frozen)
    escalated_before = _escalated(referrals)
    assert escalated_before < DUE, "the worker was not frozen mid-sweep"

    second = start_worker("second")
    took = _wait_for(
        "every due request escalated", lambda: _escalated(referrals) == DUE, running=[second], shown=(frozen,)
    )

    frozen.send(signal.SIGCONT)  # it wakes mid-sweep, holding a list of rows that are no longer due
    _wait_for("the woken worker ends its sweep", frozen.finished_a_sweep, running=[frozen])
    _assert_each_escalated_exactly_once(referrals)
    print(f"{escalated_before} escalated before the SIGSTOP; the rest {took:.1f} s after the second worker started")
