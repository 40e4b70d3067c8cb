"""Who sees which numbers, decided once: views and the CSV ask here, never a template.

A partner's own staff see its programs unsuppressed; everyone else signed in (police, analysts, the Hub's agencies,
other partners) sees the suppressed numbers every outsider sees. Police supervisors land on their district.
"""

from __future__ import annotations

from accounts.models import PARTNER_ROLES, POLICE_ROLES, Role
from accounts.selectors import memberships_of
from programs.models import Program, Workflow


def sees_unsuppressed(user, program: Program) -> bool:
    """The program's own partner: a partner role (or, for a Hub table, its coordinators) in its organisation."""
    own_roles = {Role.HUB_COORDINATOR} if program.workflow == Workflow.SITUATION else PARTNER_ROLES
    return any(
        membership.organisation_id == program.organisation_id and membership.role in own_roles
        for membership in memberships_of(user)
    )


def home_district(user) -> str:
    """A police supervisor's (or officer's) district code, for the page they land on; "" for everyone else."""
    for membership in memberships_of(user):
        if membership.role in POLICE_ROLES and not membership.all_districts:
            districts = list(membership.districts.all())
            if districts:
                return districts[0].code
    return ""


def can_view_compstat(user) -> bool:
    return user.is_superuser or any(
        membership.role in POLICE_ROLES or membership.role == Role.ANALYST for membership in memberships_of(user)
    )


def compstat_districts_editable(user) -> set[str]:
    """The districts whose action plans the user keeps: a police supervisor's own (all for one covering all)."""
    if user.is_superuser:
        return {"*"}
    codes: set[str] = set()
    for membership in memberships_of(user):
        if membership.role == Role.POLICE_SUPERVISOR:
            if membership.all_districts:
                return {"*"}
            codes.update(district.code for district in membership.districts.all())
    return codes


def can_edit_plans(user, district_code: str) -> bool:
    editable = compstat_districts_editable(user)
    return "*" in editable or district_code in editable
