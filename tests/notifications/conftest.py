"""Shared pieces for the notification tests: a local SMS webhook stub, an email outbox in memory, and the live
socket's application with signed-in personas to open it."""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from accounts.models import Team
from programs.models import Program


class SmsStub:
    """An SMS provider's webhook on 127.0.0.1: answers 500 to the first `failures` posts, 200 after that, and
    keeps every JSON body and Idempotency-Key header it was sent (also the refused ones).

    Like a provider that honours idempotency keys, it passes on (`delivered`) the first accepted post of each key and
    drops later ones. `hold_first` keeps the first post waiting, unanswered, until `release` is set (`arrived` says it
    came in); `delay` answers every post that many seconds late, after it has been accepted."""

    def __init__(self) -> None:
        self.failures = 0
        self.hold_first = False
        self.delay = 0.0
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.bodies: list[dict] = []
        self.keys: list[str | None] = []
        self.statuses: list[int] = []
        self.delivered: list[dict] = []
        self._accepted_keys: set[str | None] = set()
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key")
                with stub._lock:
                    first = not stub.bodies
                    stub.bodies.append(body)
                    stub.keys.append(key)
                    status = 500 if len(stub.bodies) <= stub.failures else 200
                    stub.statuses.append(status)
                    if status == 200 and (key is None or key not in stub._accepted_keys):
                        stub.delivered.append(body)
                        stub._accepted_keys.add(key)
                if first and stub.hold_first:
                    stub.arrived.set()
                    stub.release.wait(timeout=30)
                if stub.delay:
                    time.sleep(stub.delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    return  # the sender gave up waiting (its timeout): the post was accepted all the same

            def log_message(self, format, *args) -> None:
                return  # quiet test output

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def texts(self) -> list[str]:
        return [body["text"] for body in self.bodies]


@pytest.fixture
def sms_stub(settings):
    """A running SmsStub that settings.SMS_WEBHOOK_URL points at."""
    stub = SmsStub()
    stub.thread.start()
    settings.SMS_WEBHOOK_URL = stub.url
    yield stub
    stub.release.set()
    stub.server.shutdown()
    stub.server.server_close()
    stub.thread.join(timeout=5)


@pytest.fixture(autouse=True)
def email_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# --- the live socket (test_live.py, test_session_sockets.py) ------------------------------------------------


@pytest.fixture
def channels_prefix(settings):
    """The Redis channel layer under a prefix of this process's own (the in-memory layer is per process anyway)."""
    prefix = f"handoff-test-{os.getpid()}"
    if settings.REDIS_URL:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": prefix},
            }
        }
    return prefix


@pytest.fixture
def application(settings, channels_prefix):
    """config.asgi's application, imported afresh for a deployment serving 127.0.0.1 (the origin check reads
    ALLOWED_HOSTS when the module is imported); the module imported before, if any, is put back afterwards."""
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    previous = sys.modules.pop("config.asgi", None)
    try:
        yield importlib.import_module("config.asgi").application
    finally:
        sys.modules.pop("config.asgi", None)
        if previous is not None:
            sys.modules["config.asgi"] = previous


def session_cookie(client: Client) -> bytes:
    return b"sessionid=" + client.cookies["sessionid"].value.encode()


@pytest.fixture
def sign_in(personas):
    """sign_in("clinician.b2") -> (user, test client, cookie header) for a fresh session of that persona."""

    def _sign_in(username: str):
        user = personas[username]
        client = Client()
        client.force_login(user)
        return user, client, session_cookie(client)

    return _sign_in


@pytest.fixture
def ids(personas):
    """BEST's id and the group ids of its district teams, by district code."""
    best = Program.objects.get(slug="co-response").organisation
    teams = Team.objects.filter(organisation=best, kind=Team.Kind.DISTRICT).select_related("district")
    return {team.district.code: team.group_id for team in teams} | {"best": best.pk}
