from __future__ import annotations

from accounts.models import PARTNER_ROLES, POLICE_ROLES, SUPERVISOR_ROLES, Role
from accounts.selectors import memberships_of

HUB_ROLES = frozenset({Role.HUB_COORDINATOR, Role.HUB_MEMBER})


def roles(request) -> dict:
    """Which navigation a signed-in person gets; the views still check access themselves."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role_set = {m.role for m in memberships_of(user)}
    return {
        "nav_police": bool(role_set & POLICE_ROLES),
        "nav_partner": bool(role_set & PARTNER_ROLES),
        "nav_partner_supervisor": bool(role_set & PARTNER_ROLES & SUPERVISOR_ROLES),
        # The Hub's pages (URL names only in the templates): members and coordinators, and police, who propose.
        "nav_hub": bool(role_set & (HUB_ROLES | POLICE_ROLES)),
        "nav_hub_member": bool(role_set & HUB_ROLES),
        "nav_hub_coordinator": Role.HUB_COORDINATOR in role_set,
        "nav_analyst": Role.ANALYST in role_set,
        "nav_privacy": Role.PRIVACY_OFFICER in role_set,
    }
