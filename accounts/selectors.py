from __future__ import annotations

from accounts.models import Membership


def memberships_of(user) -> list[Membership]:
    """The user's active memberships with their organisation, districts and units, loaded once per request."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_handoff_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, is_active=True, pending=False, organisation__is_active=True)
            .select_related("organisation")
            .prefetch_related("districts", "units")
            .order_by("created_at", "pk")
        )
        user._handoff_memberships = cached
    return cached


def primary_membership(user) -> Membership | None:
    memberships = memberships_of(user)
    return memberships[0] if memberships else None
