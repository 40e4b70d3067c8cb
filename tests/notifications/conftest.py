"""Shared pieces for the notification tests: a local SMS webhook stub and an email outbox in memory."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class SmsStub:
    """An SMS provider's webhook on 127.0.0.1: answers 500 to the first `failures` posts, 200 after that, and
    keeps every JSON body it was sent (also the refused ones)."""

    def __init__(self) -> None:
        self.failures = 0
        self.bodies: list[dict] = []
        self.statuses: list[int] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub._lock:
                    stub.bodies.append(body)
                    status = 500 if len(stub.bodies) <= stub.failures else 200
                    stub.statuses.append(status)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

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
    stub.server.shutdown()
    stub.server.server_close()
    stub.thread.join(timeout=5)


@pytest.fixture(autouse=True)
def email_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
