"""Extra websocket groups for a signed-in person, named by apps above this one.

The live consumer joins every person's own groups (``user-``, ``team-``, ``org-``, ``district-``), which this app
can work out from accounts alone. A higher app whose pages are live by groups of its own (the Hub's
``hub-table-<id>``) registers a provider here from its ``AppConfig.ready``: a function of the user that returns the
group names that person may hear. This app never imports the higher one, not even by a string.

Providers run in the consumer's ``connect()`` through ``database_sync_to_async``: plain sync code, a query or two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

GroupProvider = Callable[[object], Iterable[str]]

_providers: dict[str, GroupProvider] = {}


def register(name: str, provider: GroupProvider) -> None:
    """Register (or replace, so ``ready()`` running twice is harmless) the provider known as ``name``."""
    _providers[name] = provider


def unregister(name: str) -> None:
    _providers.pop(name, None)


def extra_groups(user) -> list[str]:
    """Every registered provider's groups for ``user``, once each, in a stable order."""
    found: set[str] = set()
    for provider in _providers.values():
        found.update(provider(user))
    return sorted(found)
