"""Settings for the worker processes of tests/routing/test_sweep_chaos.py: Handoff's own, on the test's database.

Here, not in tests/routing/, whose package imports models before settings are loaded."""

from __future__ import annotations

import os

from config.settings import *  # noqa: F403 - everything as deployed; only the database name differs
from config.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["SWEEP_CHAOS_DATABASE"]
