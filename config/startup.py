"""Start-up guard shared by manage.py, asgi.py and wsgi.py."""

from __future__ import annotations

import sys


def load_settings_or_exit() -> None:
    """Import the settings; a configuration error becomes one line on stderr and exit status 2."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 - forces the settings module to load
    except ImproperlyConfigured as exc:
        print(f"Handoff cannot start: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
