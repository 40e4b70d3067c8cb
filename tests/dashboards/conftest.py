from __future__ import annotations

import pytest


@pytest.fixture
def history(personas):
    """1,000 ended referrals over this year, across the co-response and casework programs."""
    from dashboards.history import history_add

    history_add(1000, seed=11)
    return 1000
