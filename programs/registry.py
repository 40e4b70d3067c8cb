"""Which workflows this installation can run. Workflow modules (higher up) register their key when they load, so
the admin refuses a program whose workflow has no module yet instead of taking referrals nobody can handle."""

from __future__ import annotations

_AVAILABLE: set[str] = set()


def workflow_available(key: str) -> None:
    _AVAILABLE.add(key)


def is_workflow_available(key: str) -> bool:
    return key in _AVAILABLE


def available_workflows() -> frozenset[str]:
    return frozenset(_AVAILABLE)
