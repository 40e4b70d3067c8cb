"""Production settings: `check --deploy` is clean, HTTPS is enforced, the console email backend is refused, and
the demo's settings (DEBUG=1, SECURE_COOKIES=0 over http) still work."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Variables a developer's shell or CI may hold that would change what production looks like.
CLEARED = {
    "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SECURE_COOKIES", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "EMAIL_BACKEND", "ALLOW_CONSOLE_EMAIL", "BEHIND_TLS_PROXY",
}  # fmt: skip


def production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env.update(
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(50)),
        DEBUG="0",
        ALLOWED_HOSTS="handoff.example.org",
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_no_issue_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_refuses_the_console_email_backend_at_start_up():
    env = production_env(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
    result = manage("check", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "EMAIL_BACKEND" in lines[0]
    assert "ALLOW_CONSOLE_EMAIL" in lines[0]


def test_the_console_email_backend_is_allowed_in_production_only_when_asked_for():
    env = production_env(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend", ALLOW_CONSOLE_EMAIL="1")
    assert manage("check", env=env).returncode == 0


SHOW = (
    "from django.conf import settings as s; "
    "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.EMAIL_BACKEND.rsplit('.', 2)[-2])"
)


def test_production_defaults_are_https_only_with_hsts_and_smtp():
    result = manage("shell", "--no-imports", "-c", SHOW, env=production_env())
    assert result.stdout.split() == ["True", "31536000", "True", "True", "True", "True", "smtp"], result.stderr


def test_the_demo_settings_serve_plain_http_with_console_email():
    env = production_env(DEBUG="1", SECURE_COOKIES="0", ALLOWED_HOSTS="127.0.0.1,localhost")
    result = manage("shell", "--no-imports", "-c", SHOW, env=env)
    assert result.stdout.split() == ["False", "0", "False", "False", "False", "False", "console"], result.stderr


def test_hsts_and_preload_are_environment_settings():
    env = production_env(SECURE_HSTS_SECONDS="600", SECURE_HSTS_PRELOAD="0", SECURE_HSTS_INCLUDE_SUBDOMAINS="0")
    result = manage("shell", "--no-imports", "-c", SHOW, env=env)
    assert result.stdout.split()[:4] == ["True", "600", "False", "False"], result.stderr


# --- in this process: what the production values do to a request ----------------------------------------------


@pytest.fixture
def https_only(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True


def test_plain_http_is_redirected_to_https(client, db, https_only):
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"


def test_https_responses_carry_hsts_with_subdomains_and_preload(client, db, https_only):
    response = client.get("/accounts/login/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_the_health_probe_is_not_redirected(client, db, https_only):
    assert client.get("/healthz").status_code != 301
