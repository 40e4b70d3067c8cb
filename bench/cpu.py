"""Server CPU per request, two codes side by side: median ``time.process_time()`` ms of N requests per page.

`make bench` measures the pages under load, where the machine's other work moves one run more than two codes
differ. This tool measures what one request costs the server itself: one Python process per code and round, the
Django test client (no HTTP, no load generator), DEBUG off, each code on its own seeded database, rounds
alternating the codes (before, after, before, after...). It needs nothing of `make bench` and can time any
commit whose bench/seed.py and bench/run.py have the usual ``referrals_add`` and ``pages()``: a "code" is a
directory holding a checkout (a git worktree of an older commit, say), and each process imports that code only.

Seed a database for each code (100,000 referrals by default; SQLite under a directory of your choosing, or a
PostgreSQL database this creates afresh, dropping one of that name first)::

    .venv/bin/python bench/cpu.py seed /tmp/before --var /tmp/bench/before
    .venv/bin/python bench/cpu.py seed . --var /tmp/bench/after
    .venv/bin/python bench/cpu.py seed . --database-url postgres://postgres@127.0.0.1:5432/bench_after

Then time them, alternating::

    .venv/bin/python bench/cpu.py time before=/tmp/before:/tmp/bench/before after=.:/tmp/bench/after \\
        --rounds 3 --requests 150

A code's database is a directory (SQLite: its ``HANDOFF_VAR_DIR``) or a ``postgres://`` URL. Pages: filing (a
POST that files a request, so the database grows by ``--requests`` referrals per round and code), My referrals
and the police detail page (officer.b2), the queue page, its HTMX partial and the case page (clinician.b2, on a
closed B2 referral, as `make bench` picks it). Each page gets ``--warm`` unmeasured requests first, one of which
counts its SQL queries. Prints a table per round, and one of the medians at the end, and with ``--json`` writes
them all. The load average is printed with each round: other work on the machine still shows in the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
PAGES = ["my_referrals", "police_detail", "queue_page", "queue_partial", "case_detail", "file_request"]


def code_env(root: Path, database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "HINT_RELAY_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-not-for-production-0123456789",  # noqa: S106 - in-process benchmark
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_COOKIES="0",
        BENCH_ENDPOINTS="1",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(root),
    )
    if database.startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"] = database
        env["HANDOFF_VAR_DIR"] = str(Path(tempfile.gettempdir()) / f"handoff-cpu-var-{Path(database).name}")  # huey
    else:
        env["HANDOFF_VAR_DIR"] = str(Path(database).resolve())
    return env


def run_in(root: Path, database: str, *args: str) -> str:
    """Run this file's ``args`` in a fresh process that imports the code at ``root`` only."""
    result = subprocess.run(
        [sys.executable, str(HERE), *args],
        cwd=root,
        env=code_env(root, database),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{root} ({database}) failed:\n{result.stderr[-4000:]}")
    return result.stdout


# --- inside one code's process --------------------------------------------------------------------------------


def _setup() -> None:
    sys.path.insert(0, os.getcwd())  # the code timed is the checkout this process runs in, bench package included
    import django

    django.setup()


def _seed(size: int) -> None:
    _setup()
    from django.core.management import call_command

    from bench.seed import bench_clinicians, referrals_add
    from referrals.demo import demo_seed
    from referrals.models import Referral

    call_command("migrate", verbosity=0)
    demo_seed(password="bench-password-not-used", with_requests=False)  # noqa: S106 - force_login, no password
    try:
        from programs.models import Program
    except ImportError:  # before programs had an app of their own
        from referrals.models import Program
    Program.objects.filter(slug="co-response").update(acceptance_minutes=10)  # as `make bench` sets it
    bench_clinicians(200)
    started = time.perf_counter()
    missing = size - Referral.objects.count()
    if missing > 0:
        referrals_add(missing)
    print(json.dumps({"referrals": Referral.objects.count(), "seconds": round(time.perf_counter() - started, 1)}))


def _measure(requests: int, warm: int) -> None:
    _setup()
    import uuid

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.run import pages
    from districts.models import District
    from referrals.models import Referral

    specs = {name: spec for name, spec in pages().items() if name in PAGES}
    officer = get_user_model().objects.get(username="officer.b2")
    own = Referral.objects.filter(officer=officer, district=District.objects.get(code="B2")).order_by("pk").first()
    specs["police_detail"] = {"path": f"/referrals/{own.public_id}/", "user": "officer.b2"}
    User = get_user_model()
    clients = {}
    for username in {spec["user"] for spec in specs.values()}:
        clients[username] = Client(HTTP_HOST="127.0.0.1")
        clients[username].force_login(User.objects.get(username=username))
        _second_step(clients[username], User.objects.get(username=username))

    def visit(spec) -> int:
        client = clients[spec["user"]]
        if spec.get("method") == "FILE":
            data = {
                "program": "co-response",
                "idempotency_key": str(uuid.uuid4()),
                "district": spec["district_id"],
                "urgency": "now",
                "location_text": "Bench St",
                "reason_codes": "welfare_check",
            }
            return client.post("/referrals/new/", data).status_code
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in spec.get("headers", {}).items()}
        return client.get(spec["path"], **headers).status_code

    expected = {"file_request": 302}
    results = {}
    for name in PAGES:
        spec = specs[name]
        for _ in range(max(warm - 1, 0)):
            visit(spec)
        with CaptureQueriesContext(connection) as queries:
            status = visit(spec)
        count = len(queries)  # now: the next request's start empties the connection's query log
        if status != expected.get(name, 200):
            raise RuntimeError(f"{name}: status {status}")
        times = []
        for _ in range(requests):
            started = time.process_time()
            visit(spec)
            times.append((time.process_time() - started) * 1000)
        results[name] = {"queries": count, "median_ms": round(statistics.median(times), 2)}
    print(json.dumps({"referrals": Referral.objects.count(), "pages": results}))


def _second_step(client, user) -> None:
    """A code with two-step sign-in (accounts.mfa) wants the session verified too, as its verify page leaves it;
    an older code has no such step, and no ``second_factor_pass`` in its bench/run.py."""
    try:
        from bench.run import second_factor_pass
    except ImportError:
        return
    session = client.session
    second_factor_pass(session, user)
    session.save()


# --- the driver -----------------------------------------------------------------------------------------------


def _create_postgres(url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(args) -> None:
    database = args.database_url or args.var
    if args.database_url:
        _create_postgres(args.database_url)
    else:
        Path(args.var).mkdir(parents=True, exist_ok=True)
    out = run_in(Path(args.root).resolve(), database, "_seed", str(args.size))
    print(out.strip().splitlines()[-1])


def time_codes(args) -> None:
    codes = []
    for item in args.codes:
        label, _, rest = item.partition("=")
        root, _, database = rest.partition(":")
        codes.append((label, Path(root).resolve(), database))
    rounds = []
    for number in range(1, args.rounds + 1):
        for label, root, database in codes:
            load = os.getloadavg()
            out = run_in(root, database, "_measure", str(args.requests), str(args.warm))
            result = {"round": number, "code": label, "load": [round(x, 2) for x in load], **json.loads(out)}
            rounds.append(result)
            cells = " | ".join(
                f"{p} {result['pages'][p]['median_ms']} ms ({result['pages'][p]['queries']} q)" for p in PAGES
            )
            print(f"round {number} {label} (load {load[0]:.2f}, {result['referrals']} referrals): {cells}", flush=True)
    print()
    print(
        "| page | " + " | ".join(f"{label}: queries | {label}: median CPU ms per round" for label, _, _ in codes) + " |"
    )
    print("|---|" + "---|---|" * len(codes))
    for page in PAGES:
        cells = []
        for label, _, _ in codes:
            mine = [r for r in rounds if r["code"] == label]
            counts = sorted({r["pages"][page]["queries"] for r in mine})
            cells += ["/".join(map(str, counts)), " / ".join(str(r["pages"][page]["median_ms"]) for r in mine)]
        print(f"| {page} | " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(rounds, indent=2) + "\n")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_seed":
        return _seed(int(sys.argv[2]))
    if len(sys.argv) > 1 and sys.argv[1] == "_measure":
        return _measure(int(sys.argv[2]), int(sys.argv[3]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_seed = sub.add_parser("seed", help="migrate, seed the demo and N referrals for the code at ROOT")
    p_seed.add_argument("root")
    where = p_seed.add_mutually_exclusive_group(required=True)
    where.add_argument("--var", help="SQLite: the HANDOFF_VAR_DIR to create the database in")
    where.add_argument("--database-url", help="PostgreSQL: a database to create afresh (dropped first)")
    p_seed.add_argument("--size", type=int, default=100_000)
    p_time = sub.add_parser("time", help="median CPU ms per request per page, codes alternating")
    p_time.add_argument("codes", nargs="+", help="LABEL=ROOT:DATABASE (a directory for SQLite, or a postgres:// URL)")
    p_time.add_argument("--rounds", type=int, default=3)
    p_time.add_argument("--requests", type=int, default=150)
    p_time.add_argument("--warm", type=int, default=10)
    p_time.add_argument("--json", help="write every round's numbers here")
    args = parser.parse_args()
    seed(args) if args.command == "seed" else time_codes(args)


if __name__ == "__main__":
    main()
