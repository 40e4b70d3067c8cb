"""Authority, decided once: ``can(user, action, referral)`` answers "may this person do this now".

Every service calls ``require`` before it changes anything and refuses otherwise, whoever its caller is; views
call ``allowed_actions`` to show only the buttons that will work. The rules themselves are each workflow's table
(``WorkflowSpec.rules``): who (relations of the user to the referral) and when (workflow states, and a readiness
check such as "a disposition is recorded").

Relations:
- ``filer``: the officer who filed it;
- ``police_supervisor``: a police supervisor of its incident district or of its filer's district;
- ``holder``: a member of a partner team that holds it (its queue now, or a queue of its escalation chain while
  nobody has taken it);
- ``assignee``: the partner staff member who took it;
- ``supervisor``: a supervisor of the partner organisation that answers its program.
"""

from __future__ import annotations

from accounts.models import PARTNER_ROLES, POLICE_ROLES, SUPERVISOR_ROLES, Role
from accounts.selectors import memberships_of
from referrals import workflows
from referrals.errors import ReferralError, Refused
from referrals.models import Referral, ReferralGroupObjectPermission

__all__ = ["RELATIONS", "Refused", "allowed_actions", "can", "relations", "require"]

RELATIONS = ("filer", "police_supervisor", "holder", "assignee", "supervisor")
PARTNER_SUPERVISOR_ROLES = SUPERVISOR_ROLES & PARTNER_ROLES


def relations(user, referral: Referral) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    memberships = memberships_of(user)
    found: set[str] = set()
    police = [m for m in memberships if m.role in POLICE_ROLES]
    if police and referral.officer_id == user.pk:
        found.add("filer")
    district_ids = {referral.district_id, referral.officer_district_id} - {None}
    for membership in police:
        if membership.role == Role.POLICE_SUPERVISOR and district_ids & {d.pk for d in membership.districts.all()}:
            found.add("police_supervisor")
    organisation_id = referral.program.organisation_id
    partner = [m for m in memberships if m.role in PARTNER_ROLES and m.organisation_id == organisation_id]
    if partner:
        if any(m.role in PARTNER_SUPERVISOR_ROLES for m in partner):
            found.add("supervisor")
        if referral.assignee_id == user.pk:
            found.add("assignee")
        held = ReferralGroupObjectPermission.objects.filter(
            content_object_id=referral.pk, group__user=user, permission__codename="view_clinical"
        ).exists()
        if held:
            found.add("holder")
    return frozenset(found)


def _check(user, action: str, referral: Referral, who: frozenset[str]) -> str:
    """ "" when allowed, else the reason."""
    spec = workflows.spec_for(referral)
    rule = spec.rules.get(action)
    if rule is None:
        return "That cannot be done on this kind of request."
    if not rule.who & who or not _holds(user, rule):
        return rule.refusal
    return _when(spec, rule, action, referral)


def _holds(user, rule) -> bool:
    return not rule.permission or user.has_perm(rule.permission)


def _when(spec, rule, action: str, referral: Referral) -> str:
    if rule.states is not None:
        state = workflows.state_of(referral)
        if state.state not in rule.states:
            if rule.state_refusal is not None:
                return rule.state_refusal(referral)
            verb = spec.actions[action].verb if action in spec.actions else action.replace("_", " ")
            return f"A request that is {spec.state_label(state).lower()} cannot be {verb}."
    if rule.ready is not None:
        return rule.ready(referral)
    return ""


def can(user, action: str, referral: Referral) -> bool:
    return not _check(user, action, referral, relations(user, referral))


def require(user, action: str, referral: Referral) -> None:
    """Refuse unless ``user`` may take ``action`` on ``referral`` now: ``Refused`` when it is not theirs to do
    (a view answers 403), ``ReferralError`` when it is theirs but not now (409: "a closed call cannot...")."""
    spec = workflows.spec_for(referral)
    rule = spec.rules.get(action)
    if rule is None or not rule.who & relations(user, referral) or not _holds(user, rule):
        raise Refused(rule.refusal if rule is not None else "That cannot be done on this kind of request.")
    reason = _when(spec, rule, action, referral)
    if reason:
        raise ReferralError(reason)


def allowed_actions(user, referral: Referral, *, side: str) -> list[str]:
    """The actions of one side ("partner" or "police") this user may take now, in workflow order."""
    who = relations(user, referral)
    spec = workflows.spec_for(referral)
    return [
        name for name, action in spec.actions.items() if action.side == side and not _check(user, name, referral, who)
    ]
