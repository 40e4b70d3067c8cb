"""Browser tests: a live daphne server (HTTP and websockets) on the test database, driven by Debian's Chromium."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if Path(item.fspath).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def _make_application():
    from django.contrib.contenttypes.models import ContentType
    from guardian.shortcuts import clear_ct_cache

    from config.asgi import application

    async def fresh_caches(scope, receive, send):
        # Each transactional test ends with a flush, after which content types come back with new ids; a real
        # server never sees that, but this long-lived one would keep the old ids cached.
        ContentType.objects.clear_cache()
        clear_ct_cache()
        return await application(scope, receive, send)

    return fresh_caches


def close_for_fork() -> None:
    """No open connection, nor a PostgreSQL pool holding some, may cross a fork: the child would share sockets."""
    from django.db import connections

    connections.close_all()
    for connection in connections.all():
        if getattr(connection, "pool", None) is not None:
            connection.close_pool()


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker):
    """A daphne process serving config.asgi on the test database (the settings point at it when it forks)."""
    from daphne.testing import DaphneProcess
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        assert str(settings.DATABASES["default"]["NAME"]) != ":memory:", "the live server needs a file database"
    # The forked server inherits these: a loopback host over plain HTTP, as `make demo` serves it.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    with django_db_blocker.unblock():
        # Fork with no open database connection: a child closing an inherited PostgreSQL connection would end the
        # parent's session too. Both processes then open their own.
        close_for_fork()
        process = DaphneProcess("127.0.0.1", _make_application)
        process.start()
        if not process.ready.wait(timeout=30):
            process.terminate()
            raise RuntimeError("the live server did not start")
    yield f"http://127.0.0.1:{process.port.value}"
    process.terminate()
    process.join(timeout=10)


@pytest.fixture
def browser():
    """Chromium through Playwright, started per test: Playwright's sync API runs an event loop in this thread."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    # The ORM refuses to run beside a running event loop; the test's own database calls are plain sync code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _new_page(browser, viewport, live_server_url, *, mobile: bool):
    context = browser.new_context(
        viewport=viewport, base_url=live_server_url, is_mobile=mobile, has_touch=mobile, device_scale_factor=1
    )
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def phone(browser, live_server_url):
    """A new page at 390x844 (a common phone), as an officer on scene holds it."""

    def _open():
        return _new_page(browser, PHONE, live_server_url, mobile=True)

    return _open


@pytest.fixture
def laptop(browser, live_server_url):
    def _open():
        return _new_page(browser, LAPTOP, live_server_url, mobile=False)

    return _open


@pytest.fixture
def e2e_personas(transactional_db):
    """Demo people committed to the database, so the live server process sees them."""
    from django.contrib.auth import get_user_model

    from referrals.demo import demo_seed
    from tests.conftest import PASSWORD

    demo_seed(password=PASSWORD, with_requests=False)
    return {user.username: user for user in get_user_model().objects.all()}


def sign_in(page, username: str) -> None:
    """The sign-in page, then (for people who need it: accounts.mfa) the second step with a real code."""
    from django.contrib.auth import get_user_model

    from accounts.mfa import has_confirmed_device, mfa_required
    from tests.conftest import PASSWORD, totp_code, totp_device_for

    user = get_user_model().objects.get(username=username)
    two_step = user.is_active and (mfa_required(user, None) or has_confirmed_device(user))
    device = totp_device_for(user) if two_step else None
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    if device is not None:
        expect(page).to_have_url(re.compile(r"/accounts/two-step/verify/"))
        page.fill("#id_code", totp_code(device))
        page.get_by_role("button", name="Continue").click()  # not the top bar's "Log out", also a submit button
        expect(page).not_to_have_url(re.compile(r"/accounts/two-step/"))


def collect_frames(page) -> list[str]:
    """Every websocket frame the page receives from now on, as text."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    return frames


def mark_page(page) -> None:
    """A value that only survives while the page is not reloaded."""
    page.evaluate("window.__notReloaded = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__notReloaded === true")


CHOOSER_URL = re.compile(r"/referrals/new/$")
CO_RESPONSE = ("co-response", "Co-response (BEST)")


def choose_program(page, slug: str = CO_RESPONSE[0], name: str = CO_RESPONSE[1]) -> None:
    """On the New request chooser, tap the program as an officer would: its button, which shows its name."""
    choice = page.locator(f"#programs [data-program='{slug}']")
    expect(choice).to_contain_text(name)
    choice.click()
    expect(page).to_have_url(re.compile(rf"/referrals/new/\?program={re.escape(slug)}(&|$)"))


def open_new_request(page, slug: str = CO_RESPONSE[0], name: str = CO_RESPONSE[1]) -> None:
    """From the officer's home: "New request", which lists the programs taking requests, then the program."""
    page.locator("#main").get_by_role("link", name="New request").click()
    expect(page).to_have_url(CHOOSER_URL)
    choose_program(page, slug, name)


def run_as_worker(work):
    """Run ``work`` in a thread of its own, as the huey worker would: Playwright's event loop owns this one, and
    async_to_sync (channels-redis) refuses to run beside it."""
    from django.db import connection

    result = []

    def target():
        try:
            result.append(work())
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=30)
    assert result, "the work raised or timed out; see the thread's traceback above"
    return result[0]


@pytest.fixture
def worker_hints(settings, live_server_url):
    """Hints sent by this test process reach the live server's sockets, as a huey worker's do: through Redis when
    REDIS_URL is set, else through the web server's hint relay (the embedded setup)."""
    if not settings.REDIS_URL:
        settings.HINT_RELAY_URL = f"{live_server_url}/internal/hints"
