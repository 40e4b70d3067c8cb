"""An idle page is signed out by itself: its socket closes, the page blanks itself, then the sign-in page says why."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, _make_application, close_for_fork, sign_in

IDLE_SECONDS = 6


@pytest.fixture
def short_idle_server(settings, live_server_url):
    """A live server of its own whose idle limit is a few seconds (the forked process takes the settings as set)."""
    from daphne.testing import DaphneProcess

    settings.SESSION_IDLE_MINUTES = IDLE_SECONDS / 60
    close_for_fork()
    process = DaphneProcess("127.0.0.1", _make_application)
    process.start()
    assert process.ready.wait(timeout=30), "the server did not start"
    yield f"http://127.0.0.1:{process.port.value}"
    process.terminate()
    process.join(timeout=10)


def test_an_idle_page_is_logged_off_and_its_socket_closed(e2e_personas, browser, short_idle_server):
    context = browser.new_context(viewport=PHONE, base_url=short_idle_server, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    closed: list[str] = []
    page.on("websocket", lambda socket: socket.on("close", lambda _: closed.append(socket.url)))

    sign_in(page, "clinician.b2")
    expect(page.locator("body[data-live-state=open]")).to_have_count(1)
    expect(page.locator("#queue")).to_be_visible()
    assert closed == []

    # Nobody touches the page. At the idle limit the server closes the socket; the page takes the queue off the
    # screen at once and says so.
    notice = page.locator("[data-signed-out]")
    expect(notice).to_contain_text("Signed out — sign in again.", timeout=(IDLE_SECONDS + 5) * 1000)
    expect(page.locator("#queue")).to_have_count(0)
    assert closed and closed[0].endswith("/ws/live/")

    # Then it asks the server again, which signs the lapsed session out and says why.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/queue/$"))
    expect(page.get_by_text(f"You were signed out after {IDLE_SECONDS} seconds without activity.")).to_be_visible()
    # Signed out for real: the queue is not served again.
    page.goto("/queue/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    context.close()


def test_a_page_someone_uses_stays_signed_in(e2e_personas, browser, short_idle_server):
    context = browser.new_context(viewport=PHONE, base_url=short_idle_server, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, "clinician.b2")
    expect(page.locator("body[data-live-state=open]")).to_have_count(1)
    # A click every 2 s for twice the idle limit: each is a request the person made.
    for _ in range(IDLE_SECONDS):
        page.wait_for_timeout(2_000)
        page.locator(".brand").click()
        expect(page.locator("#queue")).to_be_visible()
    expect(page.locator("[data-signed-out]")).to_have_count(0)
    context.close()
