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

from django.db.models import Exists, OuterRef

from accounts.models import PARTNER_ROLES, POLICE_ROLES, SUPERVISOR_ROLES, Role
from accounts.selectors import memberships_of
from referrals import workflows
from referrals.errors import ReferralError, Refused
from referrals.models import Referral, ReferralGroupObjectPermission

__all__ = ["RELATIONS", "Refused", "allowed_actions", "can", "held_by", "note_held", "relations", "require"]

RELATIONS = ("filer", "police_supervisor", "holder", "assignee", "supervisor")
PARTNER_SUPERVISOR_ROLES = SUPERVISOR_ROLES & PARTNER_ROLES


def held_by(user) -> Exists:
    """EXISTS: a team of ``user``'s holds the outer referral (the "holder" relation), for a query that loads it."""
    return Exists(_holder_grants(user).filter(content_object=OuterRef("pk")))


def note_held(user, referral: Referral, held: bool) -> None:
    """Tell the policy what ``held_by(user)`` answered in the query that loaded ``referral``: as fresh as the row."""
    known = _known(user, referral)
    if known is not None and known.partner:
        known.held = bool(held)


def _holder_grants(user):
    return ReferralGroupObjectPermission.objects.filter(group__user=user, permission__codename="view_clinical")


class _Known:
    """What one user is to one loaded referral. The grant probe for "holder" is the only relation that costs a
    query; it runs once, and only when an answer depends on it."""

    def __init__(self, user, referral: Referral):
        self.user, self.referral_id = user, referral.pk
        self.cheap, self.partner = _cheap_relations(user, referral)
        self.held: bool | None = None if self.partner else False

    def holder(self) -> bool:
        if self.held is None:
            self.held = _holder_grants(self.user).filter(content_object_id=self.referral_id).exists()
        return self.held

    def any_of(self, who: frozenset[str]) -> bool:
        return bool(who & self.cheap) or ("holder" in who and self.holder())

    def all(self) -> frozenset[str]:
        return self.cheap | {"holder"} if self.holder() else self.cheap


# The referral's fields a relation rests on. Services change them (accept, reassign, transfer, escalate) on the
# instance they locked, and move the grants with them; an answer kept under other values is never used again.
_KEY_FIELDS = ("officer_id", "district_id", "officer_district_id", "program_id", "team_id", "assignee_id")


def _known(user, referral: Referral) -> _Known | None:
    """The relations of ``user`` to this loaded referral, computed once per instance (so once per request: a
    service locks and re-reads the row, a new instance, and ``Referral.refresh_from_db`` forgets them)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    cache = referral.__dict__.setdefault(Referral.RELATIONS_CACHE, {})
    key = (user.pk, *(getattr(referral, name) for name in _KEY_FIELDS))
    known = cache.get(key)
    if known is None or known.user is not user:
        known = cache[key] = _Known(user, referral)
    return known


def _cheap_relations(user, referral: Referral) -> tuple[frozenset[str], bool]:
    """The relations that need no query beyond the user's memberships (loaded once per request), and whether the
    user is partner staff of the referral's organisation (only then can a team of theirs hold it)."""
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
    return frozenset(found), bool(partner)


def relations(user, referral: Referral) -> frozenset[str]:
    known = _known(user, referral)
    return known.all() if known is not None else frozenset()


def _allows(user, rule, referral: Referral) -> bool:
    if rule.permission and not user.has_perm(rule.permission):
        return False  # a rule that also needs a permission ("override consent"): the relation is not enough
    known = _known(user, referral)
    return known is not None and known.any_of(rule.who)


def _check(user, action: str, referral: Referral) -> str:
    """ "" when allowed, else the reason."""
    spec = workflows.spec_for(referral)
    rule = spec.rules.get(action)
    if rule is None:
        return "That cannot be done on this kind of request."
    if not _allows(user, rule, referral):
        return rule.refusal
    return _when(spec, rule, action, referral)


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
    return not _check(user, action, referral)


def require(user, action: str, referral: Referral) -> None:
    """Refuse unless ``user`` may take ``action`` on ``referral`` now: ``Refused`` when it is not theirs to do
    (a view answers 403), ``ReferralError`` when it is theirs but not now (409: "a closed call cannot...").

    Services call it on the row they have just locked and re-read: a new instance, so nothing known about an
    older copy of the referral answers for it."""
    spec = workflows.spec_for(referral)
    rule = spec.rules.get(action)
    if rule is None or not _allows(user, rule, referral):
        raise Refused(rule.refusal if rule is not None else "That cannot be done on this kind of request.")
    reason = _when(spec, rule, action, referral)
    if reason:
        raise ReferralError(reason)


def allowed_actions(user, referral: Referral, *, side: str) -> list[str]:
    """The actions of one side ("partner" or "police") this user may take now, in workflow order.

    An action closed in the current state is passed over first, so the grant probe and the readiness checks run
    only for actions that could be open."""
    spec = workflows.spec_for(referral)
    state = workflows.state_of(referral).state
    allowed = []
    for name, action in spec.actions.items():
        rule = spec.rules.get(name)
        if action.side != side or (rule is not None and rule.states is not None and state not in rule.states):
            continue
        if not _check(user, name, referral):
            allowed.append(name)
    return allowed
