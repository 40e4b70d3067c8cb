"""What higher apps tell programs about themselves, registered when they load.

Workflow modules register their key, so the admin refuses a program whose workflow has no module yet instead of
taking referrals nobody can handle. Routing registers which programs serve a district, so programs can list them
without knowing about routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db.models import Q

if TYPE_CHECKING:  # imported while apps load (workflow modules register from their package): no models here
    from districts.models import District

_AVAILABLE: set[str] = set()
_SERVING_RULES: dict[str, Callable[[District], Q]] = {}


def workflow_available(key: str) -> None:
    _AVAILABLE.add(key)


def is_workflow_available(key: str) -> bool:
    return key in _AVAILABLE


def available_workflows() -> frozenset[str]:
    return frozenset(_AVAILABLE)


def serving_rule(name: str, rule: Callable[[District], Q]) -> None:
    """``rule(district)`` is a condition on Program that the programs serving the district meet (named, so that
    registering again replaces it)."""
    _SERVING_RULES[name] = rule


def serving_condition(district: District) -> Q:
    """Every registered rule for the district at once; without any, every program serves every district."""
    condition = Q()
    for rule in _SERVING_RULES.values():
        condition &= rule(district)
    return condition
