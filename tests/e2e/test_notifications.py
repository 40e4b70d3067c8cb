"""The bell rises by itself, and a page that lost its server catches up when the server is back."""

from __future__ import annotations

import socket
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import run_as_worker, sign_in


def file_request(officer_username: str, district_code: str):
    from django.contrib.auth import get_user_model

    from districts.models import District
    from programs.models import Program
    from referrals.services import NewReferral, referral_file

    officer = get_user_model().objects.get(username=officer_username)
    referral, _ = referral_file(
        new=NewReferral(
            program=Program.objects.get(slug="co-response"),
            district=District.objects.get(code=district_code),
            urgency="now",
            idempotency_key=uuid.uuid4(),
        ),
        officer=officer,
    )
    return referral


def test_a_clinicians_bell_count_rises_without_reload(e2e_personas, phone, worker_hints):
    page = phone()
    sign_in(page, "clinician.b2")
    expect(page.locator("body[data-live-state=open]")).to_have_count(1)
    expect(page.locator("[data-bell-count]")).to_have_text("0")
    page.evaluate("window.__notReloaded = true")

    referral = run_as_worker(lambda: file_request("officer.b2", "B2"))

    expect(page.locator("[data-bell-count]")).to_have_text("1", timeout=5_000)
    expect(page.locator(f"[data-ref='{referral.public_id}']")).to_be_visible()
    assert page.evaluate("window.__notReloaded === true")
    page.locator("#bell").click()
    expect(page.get_by_text("New Co-response (BEST) request in B2, on scene now.")).to_be_visible()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def restartable_server(live_server_url):
    """A second live server on a fixed port, which the test can stop and start again."""
    from daphne.testing import DaphneProcess

    from tests.e2e.conftest import _make_application, close_for_fork

    port = free_port()
    state = {}

    def start():
        close_for_fork()
        state["process"] = DaphneProcess("127.0.0.1", _make_application, port=port)
        state["process"].start()
        assert state["process"].ready.wait(timeout=30), "the server did not start"

    def stop():
        state["process"].terminate()
        state["process"].join(timeout=10)

    start()
    yield {"url": f"http://127.0.0.1:{port}", "start": start, "stop": stop}
    stop()


def test_after_a_server_restart_the_open_page_catches_up(e2e_personas, browser, restartable_server):
    from tests.e2e.conftest import PHONE

    context = browser.new_context(viewport=PHONE, base_url=restartable_server["url"], is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, "clinician.b2")
    expect(page.locator("body[data-live-state=open]")).to_have_count(1)
    page.evaluate("window.__notReloaded = true")

    restartable_server["stop"]()
    expect(page.locator("body[data-live-state=closed]")).to_have_count(1)
    # While it is down, a request reaches the queue: no socket is there to hear about it.
    referral = run_as_worker(lambda: file_request("officer.b2", "B2"))
    restartable_server["start"]()

    expect(page.locator(f"[data-ref='{referral.public_id}']")).to_be_visible(timeout=15_000)
    expect(page.locator("[data-bell-count]")).to_have_text("1")
    expect(page.locator("body[data-live-state=open]")).to_have_count(1)
    assert page.evaluate("window.__notReloaded === true")
