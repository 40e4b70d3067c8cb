from __future__ import annotations

import pytest

from hub.models import Table
from tests.hub import build_hub_seed


@pytest.fixture
def hub_seed(personas):
    """A B2 table that shares names with the agencies present: police, housing, school, health (no agreement)."""
    return build_hub_seed(personas)


@pytest.fixture
def strict_hub_seed(personas):
    """The same table, sharing names only with the agencies chosen."""
    return build_hub_seed(personas, reveal=Table.Reveal.CHOSEN)


@pytest.fixture(params=[Table.Reveal.PRESENT, Table.Reveal.CHOSEN])
def any_hub_seed(request, personas):
    """Both reveal settings."""
    return build_hub_seed(personas, reveal=request.param)
