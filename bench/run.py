"""`make bench`: Handoff under load, with production settings, at 1,000 and 100,000 referrals.

It migrates a fresh benchmark database (SQLite under bench/out/, or `handoff_bench` beside DATABASE_URL's database
on PostgreSQL), seeds it, serves it with gunicorn (WSGI) and uvicorn (ASGI) on loopback, drives each endpoint
from a separate load-generator process (bench/loadgen.py), counts SQL queries per page, measures websocket
fan-out to 200 clinician sockets on the in-memory layer and on Redis, and times the escalation sweep over 10,000
due deadlines. After seeding each size it checks every dashboard figure against a direct count (bench/figures.py).
Writes bench/results.json and bench/RESULTS.md and prints the table; exits 1 if a figure differed.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PY = sys.executable
BIN = Path(sys.executable).parent
CLIENTS = 10
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "1000,100000").split(",")]
SOCKETS = int(os.environ.get("BENCH_SOCKETS", "200"))
DUE = int(os.environ.get("BENCH_DUE", "10000"))
LOCAL_REDIS = "redis://127.0.0.1:6379/9"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- environment ----------------------------------------------------------------------------------------------


def bench_database_url() -> str:
    """A database of the benchmark's own, created fresh: never the one DATABASE_URL names."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return ""
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS handoff_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE handoff_bench")
    return urlunsplit(parts._replace(path="/handoff_bench"))


def base_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "HINT_RELAY_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-not-for-production-0123456789",  # noqa: S106 - loopback benchmark
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_COOKIES="0",
        HANDOFF_VAR_DIR=str(OUT / "var"),
        BENCH_ENDPOINTS="1",
        LOG_LEVEL="WARNING",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# --- servers --------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    import httpx

    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server on {port} not ready")


@contextmanager
def server(kind: str, env: dict[str, str], workers: int):
    port = free_port()
    if kind == "wsgi":
        command = [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", str(workers), "--log-level", "warning"]
    else:
        command = [str(BIN / "uvicorn"), "config.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", str(workers), "--log-level", "warning", "--no-access-log", "--ws", "websockets-sansio"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        wait_ready(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def loadgen(mode: str, spec: dict, env: dict[str, str]) -> dict:
    result = subprocess.run(
        [PY, str(ROOT / "bench" / "loadgen.py"), mode, json.dumps(spec)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"loadgen failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- in-process Django work: seeding, sessions, query counts, the sweep ---------------------------------------


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def second_factor_pass(session, user) -> None:
    """Mark ``session`` verified with the user's authenticator (made here if they have none), as the verify page
    does after a right code: the bench's people have signed in with both steps (accounts.mfa)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.mfa import TOTP_DEVICE_NAME, confirmed_totp_device

    device = confirmed_totp_device(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id


def session_for(username: str) -> str:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    from accounts.sessions import session_start

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
    user = get_user_model().objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend that loads users (ModelBackend); axes' lockout backend, listed first, has no get_user.
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session_start(session, user, shared_device=False)
    second_factor_pass(session, user)
    session.create()
    return session.session_key


def pages() -> dict[str, dict]:
    """Every measured page: who asks for it and how."""
    from districts.models import District
    from referrals.models import Referral
    from referrals.workflows.co_response.models import CoResponseState

    b2 = District.objects.get(code="B2")
    # Filed into C11 (a one-clinician team on shift): the B2 queue measured below keeps its size during the run.
    c11 = District.objects.get(code="C11")
    case = (  # in the B2 team's grants
        Referral.objects.filter(district=b2, co_response__state=CoResponseState.CLOSED).order_by("-pk").first()
    )
    return {
        "healthz": {"path": "/healthz", "user": None},
        "file_request": {"method": "FILE", "user": "officer.b2", "district_id": c11.pk},
        "my_referrals": {"path": "/referrals/", "user": "officer.b2"},
        "queue_page": {"path": "/queue/", "user": "clinician.b2"},
        "queue_partial": {"path": "/queue/", "user": "clinician.b2", "headers": {"HX-Request": "true"}},
        "case_detail": {"path": f"/queue/{case.public_id}/", "user": "clinician.b2"},
        # The analyst's suppressed BEST dashboard (citywide: the whole year's grid) and its open-data CSV.
        "dashboard_page": {"path": "/dashboards/?program=co-response", "user": "analyst"},
        "dashboard_csv": {"path": "/dashboards/open-data.csv?program=co-response", "user": "analyst"},
    }


def query_counts(page_specs: dict[str, dict]) -> dict[str, int]:
    import uuid

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    User = get_user_model()
    for name, spec in page_specs.items():
        client = Client(HTTP_HOST="127.0.0.1")
        if spec.get("user"):
            user = User.objects.get(username=spec["user"])
            client.force_login(user)
            session = client.session
            second_factor_pass(session, user)
            session.save()

        def visit(client=client, spec=spec) -> bool:
            if spec.get("method") == "FILE":
                response = client.post(
                    "/referrals/new/",
                    {
                        "program": "co-response",
                        "idempotency_key": str(uuid.uuid4()),
                        "district": spec["district_id"],
                        "urgency": "now",
                    },
                )
                return response.status_code == 302
            headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in spec.get("headers", {}).items()}
            return client.get(spec["path"], **headers).status_code == 200

        visit()  # warm: the first visit of a run may create a queue's team group, as a server's first request would
        with CaptureQueriesContext(connection) as queries:
            ok = visit()
        if not ok:
            raise RuntimeError(f"query count of {name}: the page did not answer as expected")
        counts[name] = len(queries)
    return counts


def sweep_due(count: int) -> dict:
    from django.utils import timezone

    from bench.seed import due_referrals_add
    from referrals.models import Phase, Referral
    from routing.deadlines import sweep_all

    due_referrals_add(count)
    now = timezone.now()  # one sweep instant: the deadlines it sets are in the future of it, as in production
    due = Referral.objects.filter(phase=Phase.WAITING, due_at__lte=now).count()
    started = time.perf_counter()
    total = 0
    while True:
        done = sweep_all(now)["co_response.acceptance"]
        total += done
        if done == 0:
            break
    elapsed = time.perf_counter() - started
    return {"due": due, "escalated": total, "seconds": round(elapsed, 2), "per_second": round(total / elapsed, 1)}


# --- the run --------------------------------------------------------------------------------------------------


def measure_http(env: dict, sessions: dict[str, str], page_specs: dict, wsgi: str, asgi: str) -> dict:
    results = {}
    floor = loadgen("http", {"base": wsgi, "path": "/bench/bare", "method": "GET", **_load(None)}, env)
    results["bare_wsgi"] = {**floor, "server": "gunicorn (WSGI, 2 workers)"}
    results["bare_asgi"] = {
        **loadgen("http", {"base": asgi, "path": "/bench/bare", "method": "GET", **_load(None)}, env),
        "server": "uvicorn (ASGI, 2 workers)",
    }
    for name, spec in page_specs.items():
        session = sessions.get(spec.get("user") or "")
        for arrangement, base in (("asgi", asgi), ("wsgi", wsgi)):
            load_spec = {
                "base": base,
                "path": spec.get("path", ""),
                "method": spec.get("method", "GET"),
                "headers": spec.get("headers", {}),
                "district_id": spec.get("district_id"),
                "session": session,
                **_load(None),
            }
            results[f"{name}@{arrangement}"] = loadgen("http", load_spec, env)
    for value in results.values():
        value["ratio_to_wsgi_floor"] = round(value["rps"] / floor["rps"], 3) if floor["rps"] else None
    return results


def _load(_):
    return {"clients": CLIENTS, "seconds": SECONDS}


def fan_out(env: dict, layer: str) -> dict:
    from bench.seed import FAN_OUT_DISTRICT, bench_clinicians
    from districts.models import District

    sessions = [session_for(u.username) for u in bench_clinicians(SOCKETS)]
    officer = session_for("officer.b2")
    b2 = District.objects.get(code=FAN_OUT_DISTRICT).pk
    if layer == "memory":
        # One process holds the sockets and serves the filing: the in-memory layer reaches only its own process.
        with server("asgi", env, workers=1) as asgi:
            spec = {"ws_base": asgi.replace("http", "ws"), "http_base": asgi, "sessions": sessions}
            return loadgen("ws", {**spec, "officer_session": officer, "district_id": b2}, env)
    # Production arrangement: sockets on two ASGI workers, the filing on a WSGI worker; Redis carries the hint.
    with server("asgi", env, workers=2) as asgi, server("wsgi", env, workers=2) as wsgi:
        spec = {"ws_base": asgi.replace("http", "ws"), "http_base": wsgi, "sessions": sessions}
        result = loadgen("ws", {**spec, "officer_session": officer, "district_id": b2, "origin": asgi}, env)
        return result


def figures(size: int) -> dict:
    from bench.figures import figures_check

    result = figures_check()
    log(
        f"size {size}: dashboard figures against a direct count: {result['programs']} programs, {result['cells']} "
        f"cells, {result['mismatch_count']} mismatches ({result['seconds']} s)"
    )
    for mismatch in result["mismatches"]:
        log(f"  {mismatch}")
    return result


def main() -> int:
    started = time.perf_counter()
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "var").mkdir(parents=True)
    database_url = bench_database_url()
    redis_url = os.environ.get("REDIS_URL", "")
    env = base_env(database_url, redis_url)
    database = "PostgreSQL (handoff_bench)" if database_url else "SQLite (WAL) under bench/out/var"
    layer = "channels-redis + RedisHuey" if redis_url else "in-memory channel layer + SqliteHuey"
    log(f"database: {database}; {layer}")
    django_setup(env)
    from django.core.management import call_command

    from bench.seed import bench_clinicians, referrals_add
    from referrals.demo import demo_seed
    from referrals.models import Referral

    call_command("migrate", verbosity=0)
    demo_seed(password="bench-password-not-used", with_requests=False)  # noqa: S106 - sessions are made directly
    from programs.models import Program

    Program.objects.filter(slug="co-response").update(acceptance_minutes=10)  # production's default, not the demo's
    bench_clinicians(SOCKETS)
    results: dict = {
        "configuration": {
            "database": database,
            "layers": layer,
            "clients": CLIENTS,
            "seconds_per_endpoint": SECONDS,
            "wsgi": "gunicorn 2 sync workers",
            "asgi": "uvicorn 2 workers",
            "debug": False,
        },
        "machine": {
            "cores": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sizes": {},
    }
    for size in SIZES:
        missing = size - Referral.objects.count()
        seed_started = time.perf_counter()
        if missing > 0:
            referrals_add(missing)
        log(f"{Referral.objects.count()} referrals (seeded in {time.perf_counter() - seed_started:.1f} s)")
        checked = figures(size)
        page_specs = pages()
        counts = query_counts(page_specs)
        sessions = {u: session_for(u) for u in ("officer.b2", "clinician.b2", "analyst")}
        with server("wsgi", env, workers=2) as wsgi, server("asgi", env, workers=2) as asgi:
            http = measure_http(env, sessions, page_specs, wsgi, asgi)
        results["sizes"][str(size)] = {
            "referrals": Referral.objects.count(),
            "queries": counts,
            "http": http,
            "figures": checked,
        }
        log(f"size {size}: done")
    results["fan_out"] = {"memory": fan_out(env, "memory")}
    log("fan-out on the in-memory layer: done")
    if redis_url or redis_reachable():
        redis_env = {**env, "REDIS_URL": redis_url or LOCAL_REDIS}
        results["fan_out"]["redis"] = fan_out(redis_env, "redis")
        log("fan-out on Redis: done")
    results["sweep"] = sweep_due(DUE)
    log("escalation sweep: done")
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    from bench.report import render

    markdown = render(results)
    (ROOT / "bench" / "RESULTS.md").write_text(markdown)
    print(markdown)
    differed = [size for size, data in results["sizes"].items() if data["figures"]["mismatch_count"]]
    if differed:
        log(f"dashboard figures differ from a direct count at {', '.join(differed)} referrals")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
