from __future__ import annotations

import os

import pytest
from django.conf import settings

PASSWORD = "persona-password-1"


def pytest_configure(config):
    # Hashing thirteen demo passwords with PBKDF2 would cost seconds per test; the hasher is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The tests run with DEBUG off, so production's HTTPS redirect is on; the test client and the browser tests'
    # live server speak plain http. tests/config/test_deploy.py checks the production values in a subprocess.
    settings.SECURE_SSL_REDIRECT = False
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True  # tasks run in-line, after commit, in the test's own process


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # Under CI a browser test that skips (no Chromium, say) has not shown anything: count it as a failure.
    if report.skipped and os.environ.get("CI") == "true" and item.get_closest_marker("browser"):
        report.outcome = "failed"
        report.longrepr = f"browser test skipped under CI=true: {report.longrepr}"


@pytest.fixture
def boston(db):
    """Boston's districts and units, present whether or not a transactional test flushed the migration's copy."""
    from districts.services import boston_load

    boston_load()


@pytest.fixture
def personas(db):
    """The demo's people (officer.b2, clinician.c11, agency.school...), keyed by username."""
    from django.contrib.auth import get_user_model

    from referrals.demo import demo_seed

    demo_seed(password=PASSWORD, with_requests=False)
    return {user.username: user for user in get_user_model().objects.all()}


@pytest.fixture
def login(client, personas):
    """login("officer.b2") signs the test client in as that persona and returns the user."""

    def _login(username: str):
        user = personas[username]
        client.force_login(user)
        return user

    return _login
