"""Typed readers for settings that come from the environment.

Each reader fails with an ``ImproperlyConfigured`` whose message is one line that names the variable, so a
misconfigured deployment says exactly what to fix (manage.py, asgi.py and wsgi.py print just that line).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int_map(name: str) -> dict[str, int]:
    """``"officer=30,clinician=15"`` -> ``{"officer": 30, "clinician": 15}``; empty or unset: ``{}``."""
    result: dict[str, int] = {}
    for item in env_list(name, []):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ImproperlyConfigured(f"{name} must be name=number pairs separated by commas; got {item!r}")
        try:
            result[key] = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {key} must be a whole number; got {value!r}") from None
    return result


# WAL lets readers go on while one writer commits; IMMEDIATE takes the write lock at BEGIN so two writers queue
# (for up to `timeout` seconds) instead of failing half-way with "database is locked".
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def sqlite_database(path: str | Path) -> dict:
    """The settings of a SQLite database, the same whether its path is the default or came from DATABASE_URL."""
    path = Path(path)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": dict(SQLITE_OPTIONS),
        # A file, not :memory:, so the browser tests' live server process sees the same test database.
        "TEST": {"NAME": path.with_name(f"test-{path.name}")},
    }


def database_from_url(name: str, url: str) -> dict:
    """Parse a DATABASE_URL; only PostgreSQL and SQLite are supported."""
    import dj_database_url

    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ImproperlyConfigured(f"{name} must start with postgres:// or sqlite:///; got scheme {scheme or 'none'!r}")
    try:
        config = dj_database_url.parse(url)
    except Exception as exc:  # dj_database_url raises several kinds for malformed URLs
        raise ImproperlyConfigured(f"{name} is malformed: {exc}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} names no database")
    if config["ENGINE"].endswith("sqlite3"):
        if str(config["NAME"]) == ":memory:":
            # Every connection (each thread, the huey worker) would get its own empty database.
            raise ImproperlyConfigured(f"{name} must name a SQLite file (sqlite:///path), not an in-memory database")
        return {**config, **sqlite_database(config["NAME"])}
    if config["ENGINE"].endswith("postgresql"):
        try:
            urlsplit(url).port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            raise ImproperlyConfigured(f"{name} has a port that is not a number") from None
        # A connection pool per process (psycopg_pool), not one persistent connection per thread: under ASGI every
        # sync view runs in a worker thread, and per-thread connections ran PostgreSQL out of client slots.
        config["CONN_MAX_AGE"] = 0
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": env_int("DATABASE_POOL_SIZE", 8),
            "timeout": 10,
        }
    return config


def redis_url(name: str, url: str) -> str:
    """Check a REDIS_URL enough that a typo fails at start-up, not at the first websocket."""
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"{name} must start with redis://, rediss:// or unix://; got scheme {parts.scheme or 'none'!r}"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a port that is not a number") from None
    if parts.scheme != "unix" and not parts.hostname:
        raise ImproperlyConfigured(f"{name} names no host")
    return url
