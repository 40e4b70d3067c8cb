from __future__ import annotations

import pytest

from programs import registry


@pytest.fixture
def casework_installed(monkeypatch):
    """The casework workflow is available, whether or not its module is installed on this branch yet."""
    monkeypatch.setattr(registry, "_AVAILABLE", {*registry._AVAILABLE, "casework"})
