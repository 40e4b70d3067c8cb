"""Shared pieces for the notification tests: a local SMS webhook stub and an email outbox in memory."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


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
