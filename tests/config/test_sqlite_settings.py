"""SQLite gets the same settings (WAL, IMMEDIATE transactions, lock timeout) by default and from DATABASE_URL."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import SQLITE_OPTIONS, database_from_url, sqlite_database

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DEBUG="0", SECRET_KEY="x" * 50, HANDOFF_VAR_DIR=str(tmp_path / "var"), **overrides)
    return env


def _database_settings(env: dict[str, str]) -> dict:
    code = (
        "import json, django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup();"
        "from django.conf import settings; db = settings.DATABASES['default'];"
        "print(json.dumps({'ENGINE': db['ENGINE'], 'NAME': str(db['NAME']), 'OPTIONS': db['OPTIONS'],"
        " 'TEST_NAME': str(db['TEST']['NAME'])}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_sqlite_url_gives_the_same_options_as_the_default_database(tmp_path):
    default = _database_settings(_env(tmp_path))
    from_url = _database_settings(_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/elsewhere.sqlite3"))

    assert from_url["OPTIONS"] == default["OPTIONS"] == SQLITE_OPTIONS
    assert from_url["ENGINE"] == default["ENGINE"] == "django.db.backends.sqlite3"
    assert from_url["NAME"] == f"{tmp_path}/elsewhere.sqlite3"
    assert from_url["TEST_NAME"] == f"{tmp_path}/test-elsewhere.sqlite3"  # a file: the live server shares it
    assert default["TEST_NAME"] == f"{tmp_path}/var/test-handoff.sqlite3"


@pytest.mark.parametrize("url", ["sqlite:////srv/handoff/db.sqlite3", "sqlite:///var/handoff.sqlite3"])
def test_database_from_url_builds_sqlite_settings_with_sqlite_database(url):
    config = database_from_url("DATABASE_URL", url)

    expected = sqlite_database(url.removeprefix("sqlite:///"))
    assert {key: config[key] for key in expected} == expected


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_url_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must name a SQLite file"):
        database_from_url("DATABASE_URL", url)


# Each writer reads, waits until both have read, then writes. With deferred transactions both would hold a read
# snapshot and the second writer would fail with "database is locked"; with IMMEDIATE the second waits its turn.
WRITER = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from django.db import connection, transaction

start_at, name = float(sys.argv[1]), sys.argv[2]
connection.ensure_connection()
time.sleep(max(0.0, start_at - time.time()))
with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM writes")
        time.sleep(1.0)
        cursor.execute("INSERT INTO writes (name) VALUES (%s)", [name])
print("ok")
"""


def test_two_processes_writing_at_once_to_a_sqlite_url_database_both_succeed(tmp_path):
    database = tmp_path / "concurrent.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE writes (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    env = _env(tmp_path, DATABASE_URL=f"sqlite:///{database}")
    start_at = str(time.time() + 4)  # both processes have started Django by then

    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, start_at, name],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    results = [writer.communicate(timeout=60) for writer in writers]

    assert [writer.returncode for writer in writers] == [0, 0], [err for _, err in results]
    with sqlite3.connect(database) as db:
        assert sorted(name for (name,) in db.execute("SELECT name FROM writes")) == ["first", "second"]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
