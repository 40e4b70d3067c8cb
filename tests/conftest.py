from __future__ import annotations

import os
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client

PASSWORD = "persona-password-1"
# Django's own force_login: a password sign-in and nothing more. Tests of the second step sign in with this.
password_only_login = Client.force_login


def pytest_configure(config):
    # Hashing thirteen demo passwords with PBKDF2 would cost seconds per test; the hasher is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The tests run with DEBUG off, so production's HTTPS redirect is on; the test client and the browser tests'
    # live server speak plain http. tests/config/test_deploy.py checks the production values in a subprocess.
    settings.SECURE_SSL_REDIRECT = False
    # Tests change data and look again at once; tests/dashboards/test_query_counts.py turns the cache on.
    settings.DASHBOARD_COUNTS_CACHE_SECONDS = 0
    # On Redis, each test process its own channel-layer prefix (the browser tests' forked live server inherits it,
    # subprocesses through the environment). Both xdist workers share one Redis database, and a group such as
    # ``user-7`` names a different account in each worker's test database: without this, one worker's "close user
    # 7's sockets" closed a socket of the other worker's live server (a Hub browser test reloaded mid-meeting).
    prefix = f"handoff-test-{os.getpid()}"
    os.environ["CHANNELS_PREFIX"] = prefix
    if settings.REDIS_URL:
        settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = prefix
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


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """A real OpenID Connect provider (tests/oidc_provider: django-oauth-toolkit, RS256) in a subprocess."""
    from tests.oidc_provider.launch import TestProvider

    provider = TestProvider.start(tmp_path_factory.mktemp("oidc-provider"))
    yield provider
    provider.stop()


def totp_device_for(user):
    """The user's confirmed authenticator (TOTP) device, made if they have none: what enrolment would have left."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.mfa import TOTP_DEVICE_NAME

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
    return device


def totp_code(device) -> str:
    """The code the person's authenticator app shows now (django_otp.oath), never one the server already took: it
    refuses a time step it has accepted (replay), so a second sign-in within 30 seconds waits for the next step."""
    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        time.sleep(device.step - (totp.time - device.t0) % device.step + 0.5)
        totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def sign_in_both_steps(client, username: str, password: str = PASSWORD):
    """The sign-in page, then, when the next page asks for it, the second step with a real code from the person's
    device (made first if they need one). The last step's response, not followed."""
    from django.contrib.auth import get_user_model

    from accounts.mfa import mfa_required

    user = get_user_model().objects.filter(username=username).first()
    if user is not None and user.is_active and mfa_required(user, None):
        totp_device_for(user)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    if response.status_code != 302 or user is None:
        return response
    after = client.get(response["Location"])
    if after.status_code != 302 or not after["Location"].startswith("/accounts/two-step/verify/"):
        return response
    next_url = parse_qs(urlsplit(after["Location"]).query).get("next", ["/"])[0]
    code = totp_code(totp_device_for(user))
    return client.post("/accounts/two-step/verify/", {"code": code, "next": next_url})


def pass_second_factor(client, user) -> None:
    """Mark the client's session verified with the user's device, as the verify page does after a right code
    (django-otp's session key): for people who must use a second factor (accounts.mfa) or have set one up."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.mfa import has_confirmed_device, mfa_required

    if not user.is_active or not (mfa_required(user, None) or has_confirmed_device(user)):
        return
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device_for(user).persistent_id
    session.save()


def _force_login_with_second_factor(self, user, backend=None):
    password_only_login(self, user, backend)
    pass_second_factor(self, user)


@pytest.fixture(autouse=True)
def _sign_ins_pass_the_second_factor(monkeypatch):
    """The two-step sign-in is on in every test. ``client.force_login`` stands for a whole sign-in, both steps,
    as the browser tests' sign_in types a real code; ``password_only_login`` stops after the password."""
    monkeypatch.setattr(Client, "force_login", _force_login_with_second_factor)


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
