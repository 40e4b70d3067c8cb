"""Authority over Hub tables and situations, decided once: ``can(user, action, situation)``, ``require(...)``.

Services call ``require`` on the row they have just locked and refuse otherwise, whoever called them; pages call
``can`` / ``allowed_actions`` to show only what will work. Refusals reuse ``referrals.errors``: ``Refused`` when
it is not this person's to do (a view answers 403, or 404 where the situation is not theirs to see), and
``ReferralError`` when it is theirs but not now (409).

Who acts for an agency at a table: its named representatives, and the people holding an active Hub membership
(``hub_member`` or ``hub_coordinator``) of its organisation. Police officers do not act for the police agency by
their police membership alone (every officer would read every police-originated identity); an officer who
proposes a situation is its ``proposer``, and holds its identity as the originating agency does.

Relations of a user to a situation:
- ``coordinator``: a ``hub_coordinator`` of the organisation that runs the situation's table;
- ``member``: acts for an agency at the situation's table;
- ``originating``: acts for the originating agency, or proposed it;
- ``proposer``: proposed it;
- ``revealed``: acts for an agency with an information-sharing agreement that its names were revealed to;
- ``chosen`` / ``lead``: acts for an agency with an agreement chosen as lead or assisting / as lead.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from accounts.models import POLICE_ROLES, Role
from accounts.selectors import memberships_of
from hub.models import DOOR_KNOCK_STATES, Assignment, Reveal, Situation, Table, TableAgency
from hub.models import SituationState as S
from referrals.errors import ReferralError, Refused

__all__ = [
    "RELATIONS",
    "Refused",
    "acting_agencies",
    "allowed_actions",
    "can",
    "can_propose",
    "identity_scope",
    "is_coordinator",
    "proposing_agencies",
    "relations",
    "require",
    "require_coordinator",
]

RELATIONS = ("coordinator", "member", "originating", "proposer", "revealed", "chosen", "lead")
HUB_ROLES = frozenset({Role.HUB_MEMBER, Role.HUB_COORDINATOR})

NAMES, FULL = "names", "full"


@dataclass(frozen=True)
class Rule:
    who: frozenset[str]
    states: frozenset[str] | None
    refusal: str


COORDINATOR_ONLY = "Only a coordinator of this table can do that."
CHOSEN_ONLY = "Only an agency chosen for this situation can do that."

RULES: dict[str, Rule] = {
    "view": Rule(frozenset({"coordinator", "member", "originating"}), None, "Not a situation of yours."),
    "agenda_add": Rule(
        frozenset({"coordinator"}), frozenset({S.PROPOSED, S.ON_AGENDA, *DOOR_KNOCK_STATES}), COORDINATOR_ONLY
    ),
    "threshold_decide": Rule(frozenset({"coordinator"}), frozenset({S.ON_AGENDA}), COORDINATOR_ONLY),
    "names_reveal": Rule(frozenset({"coordinator"}), frozenset({S.ACCEPTED}), COORDINATOR_ONLY),
    "agencies_choose": Rule(frozenset({"coordinator"}), frozenset({S.ACCEPTED}), COORDINATOR_ONLY),
    "door_knock_plan": Rule(frozenset({"chosen"}), frozenset({S.INTERVENTION}), CHOSEN_ONLY),
    "door_knock_log": Rule(frozenset({"chosen"}), frozenset({S.INTERVENTION}), CHOSEN_ONLY),
    "status_update": Rule(
        frozenset({"coordinator", "chosen", "originating"}),
        frozenset(DOOR_KNOCK_STATES),
        "Only the coordinator, a chosen agency or the originating agency can add a status update.",
    ),
    "conclude": Rule(frozenset({"coordinator"}), frozenset({S.INTERVENTION}), COORDINATOR_ONLY),
    "outcome_check": Rule(
        frozenset({"coordinator", "lead", "originating"}),
        frozenset({S.CONCLUDED}),
        "Only the coordinator, the lead agency or the originating agency can record an outcome check.",
    ),
    "casework_referral_open": Rule(frozenset({"chosen"}), frozenset({S.INTERVENTION}), CHOSEN_ONLY),
}


# --- tables ---------------------------------------------------------------------------------------------------


def coordinated_organisation_ids(user) -> set[int]:
    return {m.organisation_id for m in memberships_of(user) if m.role == Role.HUB_COORDINATOR}


def is_coordinator(user, table: Table) -> bool:
    return table.organisation_id in coordinated_organisation_ids(user)


def require_coordinator(user, table: Table) -> None:
    if not (user.is_authenticated and user.is_active and is_coordinator(user, table)):
        raise Refused(COORDINATOR_ONLY)


def acting_condition(user) -> Q:
    """On ``TableAgency``: the agencies ``user`` acts for (representative, or a Hub membership of its organisation)."""
    hub_organisation_ids = [m.organisation_id for m in memberships_of(user) if m.role in HUB_ROLES]
    return Q(representatives=user) | Q(organisation_id__in=hub_organisation_ids)


def acting_agencies(user, table: Table | int):
    """The active agencies of ``table`` that ``user`` acts for (one query)."""
    if not user.is_authenticated or not user.is_active:
        return TableAgency.objects.none()
    table_id = table if isinstance(table, int) else table.pk
    return TableAgency.objects.filter(acting_condition(user), table_id=table_id, is_active=True).distinct()


def proposing_agencies(user, table: Table) -> list[TableAgency]:
    """The agencies ``user`` may propose a situation for: those they act for, and a police agency of their own
    organisation for an officer or police supervisor."""
    if not user.is_authenticated or not user.is_active or not table.is_active:
        return []
    police_organisation_ids = [m.organisation_id for m in memberships_of(user) if m.role in POLICE_ROLES]
    return list(
        TableAgency.objects.filter(
            acting_condition(user) | Q(organisation_id__in=police_organisation_ids), table=table, is_active=True
        )
        .select_related("organisation", "sector")
        .distinct()
        .order_by("organisation__name")
    )


def can_propose(user, table: Table) -> bool:
    return bool(proposing_agencies(user, table))


# --- situations -----------------------------------------------------------------------------------------------

_CACHE = "_hub_relations"
# The situation fields a relation rests on: an answer kept under other values is never used again.
_KEY_FIELDS = ("state", "table_id", "originating_id", "proposed_by_id")


def relations(user, situation: Situation) -> frozenset[str]:
    """What ``user`` is to ``situation`` (two queries at most), remembered on the loaded row for its lifetime."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cache = situation.__dict__.setdefault(_CACHE, {})
    key = (user.pk, *(getattr(situation, name) for name in _KEY_FIELDS))
    if key not in cache:
        cache[key] = _relations(user, situation)
    return cache[key]


def forget(situation: Situation) -> None:
    """Drop remembered answers (a service that changed reveals or assignments on this instance calls it)."""
    situation.__dict__.pop(_CACHE, None)


def _relations(user, situation: Situation) -> frozenset[str]:
    found: set[str] = set()
    if situation.table.organisation_id in coordinated_organisation_ids(user):
        found.add("coordinator")
    if situation.proposed_by_id == user.pk:
        found |= {"proposer", "originating"}
    agencies = {a.pk: a.has_agreement for a in acting_agencies(user, situation.table_id).only("sharing_agreement_on")}
    if not agencies:
        return frozenset(found)
    found.add("member")
    if situation.originating_id in agencies:
        found.add("originating")
    agreed = [pk for pk, has_agreement in agencies.items() if has_agreement]
    if agreed:
        roles = set(
            Assignment.objects.filter(situation_id=situation.pk, agency_id__in=agreed).values_list("role", flat=True)
        )
        if roles:
            found.add("chosen")
        if Assignment.Role.LEAD in roles:
            found.add("lead")
        if Reveal.objects.filter(situation_id=situation.pk, agency_id__in=agreed).exists():
            found.add("revealed")
    return frozenset(found)


def _check(user, action: str, situation: Situation) -> tuple[type[Exception] | None, str]:
    rule = RULES.get(action)
    if rule is None:
        return Refused, "That cannot be done on a Hub situation."
    found = relations(user, situation)
    if action == "view" and situation.state == S.PROPOSED:
        # Filter 1: until it is on an agenda a situation is its originating agency's and the coordinators' only, as
        # ``hub.selectors.situations_visible_to`` lists it; the other agencies at the table see it from the agenda on.
        found -= {"member"}
    if not rule.who & found:
        return Refused, rule.refusal
    if rule.states is not None and situation.state not in rule.states:
        return ReferralError, f"A situation that is {situation.get_state_display().lower()} cannot be changed that way."
    return None, ""


def can(user, action: str, situation: Situation) -> bool:
    return _check(user, action, situation)[0] is None


def require(user, action: str, situation: Situation) -> None:
    """``Refused`` when it is not ``user``'s to do; ``ReferralError`` when it is, but not in this state."""
    error, message = _check(user, action, situation)
    if error is not None:
        raise error(message)


def allowed_actions(user, situation: Situation) -> list[str]:
    return [action for action in RULES if action != "view" and can(user, action, situation)]


def identity_scope(user, situation: Situation) -> str | None:
    """How much of the affected persons' identity ``user`` may read now: ``"full"`` (names, dates of birth,
    addresses), ``"names"``, or None. The rule every page follows (``hub.selectors.identity_for`` applies it):

    - the originating agency (and the proposer) always, also after the end: the identity is theirs;
    - rejected or concluded: nobody else, ever again;
    - threshold met (``accepted``): agencies the names were revealed to read names only;
    - ``intervention``: the chosen agencies read everything; agencies revealed to but not chosen, nothing.
    An agency without an information-sharing agreement is never revealed to nor chosen, so it reads nothing
    unless it originated the situation.
    """
    found = relations(user, situation)
    if "originating" in found:
        return FULL
    if situation.state == S.ACCEPTED and "revealed" in found:
        return NAMES
    if situation.state == S.INTERVENTION and "chosen" in found:
        return FULL
    return None
