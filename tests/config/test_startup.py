"""Start-up refuses a configuration that cannot work, with one line that names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_check(**env_overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_missing_secret_key_with_debug_off_is_refused():
    result = run_check(DEBUG="0")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "SECRET_KEY" in lines[0]


def test_missing_secret_key_is_allowed_with_debug_on():
    result = run_check(DEBUG="1")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "url",
    ["mysql://root@localhost/handoff", "postgres://postgres@127.0.0.1:notaport/handoff", "not a url"],
)
def test_malformed_database_url_is_refused(url):
    result = run_check(DEBUG="0", SECRET_KEY="x" * 50, DATABASE_URL=url)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DATABASE_URL" in lines[0]


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379", "redis://127.0.0.1:port/0", "redis://"])
def test_malformed_redis_url_is_refused(url):
    result = run_check(DEBUG="0", SECRET_KEY="x" * 50, REDIS_URL=url)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "REDIS_URL" in lines[0]


def test_malformed_boolean_is_refused():
    result = run_check(DEBUG="maybe", SECRET_KEY="x" * 50)
    assert result.returncode == 2
    assert "DEBUG" in result.stderr


def test_cookies_are_secure_when_debug_is_off():
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup();"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE)"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECURE_COOKIES"}}
    env.update(DEBUG="0", SECRET_KEY="x" * 50)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.split() == ["True", "True", "True", "True", "Lax", "Lax"], result.stderr
