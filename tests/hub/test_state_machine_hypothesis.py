"""Random sequences of Hub actions by random people; after every step the invariants hold.

The Hub twin of ``tests/casework/test_state_machine_hypothesis.py``. Two tables: B2 (Boston Hub, names shared with
the agencies present, outcome checks agreed, a 48-hour door-knock window) with police, housing, school, BCYF and
health (no sharing agreement); C11 (Dorchester Hub, names shared only with the agencies chosen, no outcome checks,
24 hours) with police, housing, DFS and health (no agreement). Each example seats an open meeting at each table and
proposes situations, taking each to a starting point through the services. Each step then picks a situation, a
person and an action (or proposes, holds a new meeting, runs the door-knock sweeper, lets months pass, exports) with
parameters that are sometimes wrong. What should happen is decided by the tables below, written from the design
and independent of ``hub.policy.RULES``: a call they allow must succeed and write exactly the events it should; a
call they refuse must raise (``Refused`` when it is not the person's to do) and leave every row as it was, with no
hint sent. After every step: states moved only along ``proposed → on_agenda → rejected | accepted → intervention →
concluded``; reveals, assignments and events are as the model expects, every reveal to an agency with a sharing
agreement; each person reads as much of the identity as the rule says; no notification, hint, event message or
export carries a name, date of birth or address.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from unittest import mock

from django.contrib.auth import get_user_model
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from accounts.models import Organisation
from hub import events, export, policy, services
from hub.models import (
    AgeBand,
    Assignment,
    ConclusionCode,
    Meeting,
    Reveal,
    RiskFactor,
    Situation,
    SituationEvent,
    Table,
)
from notifications import hints
from notifications.models import Notification
from programs.models import Program, Workflow
from referrals.errors import ReferralError, Refused
from tests.hub import build_hub_cast, build_hub_seed, hub_rows

# --- the expected tables ------------------------------------------------------------------------------------------

PROPOSED, ON_AGENDA, REJECTED, ACCEPTED = "proposed", "on_agenda", "rejected", "accepted"
INTERVENTION, CONCLUDED = "intervention", "concluded"
EDGES = {
    (PROPOSED, ON_AGENDA),
    (ON_AGENDA, REJECTED),
    (ON_AGENDA, ACCEPTED),
    (ACCEPTED, INTERVENTION),
    (INTERVENTION, CONCLUDED),
}
OPEN = frozenset({PROPOSED, ON_AGENDA, ACCEPTED, INTERVENTION})

# Who may do what, in which states. Relations of a person to a situation: "coordinator" of its table, "originating"
# (acts for the agency that proposed it, or proposed it), "chosen" / "lead" (acts for an agency chosen for it).
COORDINATOR = frozenset({"coordinator"})
CHOSEN = frozenset({"chosen"})
AUTHORITY: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "agenda_add": (COORDINATOR, frozenset({PROPOSED, ON_AGENDA, ACCEPTED, INTERVENTION})),
    "threshold_decide": (COORDINATOR, frozenset({ON_AGENDA})),
    "names_reveal": (COORDINATOR, frozenset({ACCEPTED})),
    "agencies_choose": (COORDINATOR, frozenset({ACCEPTED})),
    "door_knock_plan": (CHOSEN, frozenset({INTERVENTION})),
    "door_knock_log": (CHOSEN, frozenset({INTERVENTION})),
    "status_update": (frozenset({"coordinator", "chosen", "originating"}), frozenset({ACCEPTED, INTERVENTION})),
    "conclude": (COORDINATOR, frozenset({INTERVENTION})),
    "outcome_check": (frozenset({"coordinator", "lead", "originating"}), frozenset({CONCLUDED})),
    "casework_referral_open": (CHOSEN, frozenset({INTERVENTION})),
}
ACTIONS = sorted(AUTHORITY)

# The tables (key: B2 is "A", C11 is "B"), their agencies, who acts for which, who coordinates.
TABLE_AGENCIES = {"A": ("police", "housing", "school", "bcyf", "health"), "B": ("police", "housing", "dfs", "health")}
AGENCY_KEYS = ("police", "housing", "school", "bcyf", "health", "dfs")
WITHOUT_AGREEMENT = frozenset({"health"})
ORGANISATION = {"police": "BPD", "housing": "BHA", "school": "BPS", "bcyf": "BCYF", "health": "BPHC", "dfs": "DFS"}
REVEALS_PRESENT = {"A": True, "B": False}
OUTCOME_CHECKS = {"A": True, "B": False}
WINDOW_HOURS = {"A": 48, "B": 24}
ACTS = {
    "agency.police": {"A": "police"},  # a representative of the B2 police agency
    "agency.housing": {"A": "housing", "B": "housing"},  # a Hub member of BHA: sits at both
    "agency.school": {"A": "school"},
    "agency.bcyf": {"A": "bcyf"},
    "agency.health": {"A": "health", "B": "health"},
    "agency.dfs": {"B": "dfs"},
}
POLICE = frozenset({"officer.b2", "officer.d4", "sergeant.b2"})  # propose for the police agency, act for none
COORDINATES = {"hub.coordinator": "A", "hub.dorchester": "B"}
INACTIVE = "hub.former"  # holds a coordinator membership of Boston Hub, but is an inactive user
PERSONAS = [
    "hub.coordinator",
    "hub.dorchester",
    INACTIVE,
    "agency.police",
    "officer.b2",
    "officer.d4",
    "sergeant.b2",
    "agency.housing",
    "agency.school",
    "agency.bcyf",
    "agency.health",
    "agency.dfs",
    "clinician.b2",
    "analyst",
]
PROGRAMS = ("BHA", "BPS", "co-response")  # the casework programs of BHA and BPS, and one of another workflow
DAYS = itertools.count(1)  # meetings are on distinct days across examples (one per table and day)

# How the initialize step takes each situation to where it starts: (table, proposer, agency, steps).
CHOOSE = "agencies_choose"
START_PATHS: list[tuple[str, str, str, list[tuple[str, str, dict]]]] = [
    ("A", "officer.b2", "police", []),
    ("A", "agency.housing", "housing", [("hub.coordinator", "agenda_add", {})]),
    (
        "A",
        "officer.b2",
        "police",
        [
            ("hub.coordinator", "agenda_add", {}),
            ("hub.coordinator", "threshold_decide", {"met": True}),
            ("hub.coordinator", "names_reveal", {}),
        ],
    ),
    (
        "A",
        "agency.school",
        "school",
        [
            ("hub.coordinator", "agenda_add", {}),
            ("hub.coordinator", "threshold_decide", {"met": True}),
            ("hub.coordinator", CHOOSE, {"lead": "housing", "assisting": ["bcyf"]}),
        ],
    ),
    (
        "B",
        "agency.dfs",
        "dfs",
        [("hub.dorchester", "agenda_add", {}), ("hub.dorchester", "threshold_decide", {"met": True})],
    ),
    (
        "B",
        "agency.health",
        "health",
        [
            ("hub.dorchester", "agenda_add", {}),
            ("hub.dorchester", "threshold_decide", {"met": True}),
            ("hub.dorchester", CHOOSE, {"lead": "dfs", "assisting": ["housing"]}),
        ],
    ),
]
MAX_SITUATIONS = 10
# What a step does: an action on a situation twice as often as each of the others.
STEPS = [*ACTIONS, *ACTIONS, "propose", "meeting", "sweep", "months", "export_rtd"]


def parameters(action: str) -> st.SearchStrategy[dict]:
    """What each action is called with: mostly sensible, sometimes not."""
    meeting = st.sampled_from(["current", "current", "current", "other"])
    agency = st.sampled_from(AGENCY_KEYS)
    return {
        "agenda_add": st.fixed_dictionaries({"meeting": meeting}),
        "threshold_decide": st.fixed_dictionaries({"meeting": meeting, "met": st.booleans()}),
        "names_reveal": st.fixed_dictionaries({"meeting": meeting}),
        "agencies_choose": st.fixed_dictionaries(
            {
                "lead": agency,
                "assisting": st.lists(agency, max_size=2),
                "meeting": st.sampled_from([None, "current", "other"]),
            }
        ),
        "door_knock_plan": st.fixed_dictionaries(
            {"agencies": st.lists(agency, max_size=2), "hours": st.sampled_from([2, 2, 30, 60, -3])}
        ),
        "door_knock_log": st.fixed_dictionaries({"response": st.sampled_from(["accepted", "declined", "maybe"])}),
        "status_update": st.fixed_dictionaries({"text": st.sampled_from(["clean", "clean", "name", "phone", ""])}),
        "conclude": st.fixed_dictionaries({"group": st.sampled_from(["risk_lowered", "still_at_risk"])}),
        "outcome_check": st.fixed_dictionaries({"days": st.sampled_from([30, 90, 45])}),
        "casework_referral_open": st.fixed_dictionaries(
            {
                "program": st.sampled_from(["own", "own", *PROGRAMS]),
                "consent": st.sampled_from(["", "person", "guardian", "bogus"]),
            }
        ),
    }[action]


@dataclass
class Sit:
    """One situation and what the machine expects of it."""

    situation: Situation
    table: str
    originating: str  # agency key
    proposer: str
    persons: int
    secrets: list[str]
    state: str = PROPOSED
    revealed: set[str] = field(default_factory=set)
    chosen: dict[str, str] = field(default_factory=dict)  # agency key → "lead" | "assisting"
    due: bool = False  # a door-knock deadline runs
    done: bool = False  # the door knock is logged
    escalated: bool = False
    long_ago: bool = False  # concluded more than 90 days ago
    checks: set[int] = field(default_factory=set)
    casework: set[str] = field(default_factory=set)  # programs a referral was opened to
    expected: list[str] = field(default_factory=lambda: [events.PROPOSED])


class HubMachine(RuleBasedStateMachine):
    """The test below subclasses it with ``users`` (username → user), ``tables`` ("A"/"B" → Table), ``agencies``
    ("A"/"B" → agency key → TableAgency), ``programs``, ``capture`` and ``sent`` (every hint, as (groups, message),
    filled by a patched ``notifications.hints._send``)."""

    users: dict
    tables: dict
    agencies: dict
    programs: dict
    capture: object
    sent: list

    # --- set-up -----------------------------------------------------------------------------------------------

    @initialize()
    def seat_meetings_and_propose(self):
        self.sits: list[Sit] = []
        self.meetings: dict[str, tuple] = {}  # table → (meeting, present agency keys)
        self.agenda: dict[int, set[int]] = {}  # meeting pk → situation pks on its agenda
        self.last_states: dict[int, str] = {}
        self.dirty: set[int] = set()
        self.secrets: list[str] = []
        self.notifications_checked = Notification.objects.order_by("pk").values_list("pk", flat=True).last() or 0
        self.events_checked = SituationEvent.objects.order_by("pk").values_list("pk", flat=True).last() or 0
        # An earlier example's meetings may still be open: one open meeting per table.
        Meeting.objects.filter(table__in=list(self.tables.values()), closed_at__isnull=True).update(
            closed_at=timezone.now()
        )
        for table in ("A", "B"):
            self._new_meeting(table, TABLE_AGENCIES[table])
        for table, proposer, agency, steps in START_PATHS:
            sit = self._propose(table, proposer, {"agency": agency, "description": "clean", "kind": "person"})
            assert sit is not None, (table, proposer)
            for persona, action, params in steps:
                full = {"meeting": "current", **params}
                if action == CHOOSE:
                    full.setdefault("meeting", None)
                assert self._act(sit, persona, action, full), (table, proposer, action)
        # The first step's transitions are checked from where the set-up left each situation.
        self.last_states = {sit.situation.pk: sit.state for sit in self.sits}

    # --- the model's relations ----------------------------------------------------------------------------------

    @staticmethod
    def _agency_of(persona: str, table: str) -> str | None:
        return ACTS.get(persona, {}).get(table)

    def _relations(self, persona: str, sit: Sit) -> frozenset[str]:
        if persona == INACTIVE:
            return frozenset()
        found = set()
        if COORDINATES.get(persona) == sit.table:
            found.add("coordinator")
        if persona == sit.proposer:
            found.add("originating")
        agency = self._agency_of(persona, sit.table)
        if agency is not None:
            if agency == sit.originating:
                found.add("originating")
            if agency not in WITHOUT_AGREEMENT:
                if agency in sit.revealed:
                    found.add("revealed")
                if agency in sit.chosen:
                    found.add("chosen")
                if sit.chosen.get(agency) == "lead":
                    found.add("lead")
        return frozenset(found)

    def _scope(self, persona: str, sit: Sit) -> str | None:
        """The identity rule: the originating agency (and proposer) always; rejected or concluded, nobody else;
        accepted, the agencies revealed to read names; intervention, the chosen read everything."""
        found = self._relations(persona, sit)
        if "originating" in found:
            return "full"
        agency = self._agency_of(persona, sit.table)
        if agency in WITHOUT_AGREEMENT:
            return None  # never revealed to nor chosen
        if sit.state == ACCEPTED and "revealed" in found:
            return "names"
        if sit.state == INTERVENTION and "chosen" in found:
            return "full"
        return None

    def _proposing_agencies(self, persona: str, table: str) -> set[str]:
        if persona == INACTIVE:
            return set()
        found = {self._agency_of(persona, table)} - {None}
        if persona in POLICE:
            found.add("police")
        return found

    def _agency(self, table: str, key: str):
        """The agency ``key`` of ``table``, or of the other table where ``table`` has none (wrong, on purpose)."""
        return self.agencies[table].get(key) or self.agencies["B" if table == "A" else "A"][key]

    def _meeting(self, table: str, choice: str | None):
        if choice is None:
            return None
        return self.meetings[table if choice == "current" else ("B" if table == "A" else "A")][0]

    # --- what the tables expect beyond authority ----------------------------------------------------------------

    @staticmethod
    def _valid_input(action: str, params: dict) -> bool:
        """Input a service checks before it asks who is calling."""
        match action:
            case "door_knock_log":
                return params["response"] in ("accepted", "declined")
            case "outcome_check":
                return params["days"] in (30, 90)
            case "casework_referral_open":
                return params["consent"] in ("", "person", "guardian")
        return True

    def _possible(self, persona: str, action: str, sit: Sit, params: dict) -> bool:
        """What the situation's rows allow, once the person may act now."""
        meeting_ok = params.get("meeting") != "other"
        current, present = self.meetings[sit.table]
        on_agenda = sit.situation.pk in self.agenda.get(current.pk, set())
        match action:
            case "agenda_add":
                return meeting_ok and not on_agenda
            case "threshold_decide":
                return meeting_ok and on_agenda and bool(present)
            case "names_reveal":
                new = {a for a in present if a not in WITHOUT_AGREEMENT} - sit.revealed
                return REVEALS_PRESENT[sit.table] and meeting_ok and on_agenda and bool(new)
            case "agencies_choose":
                assisting = [a for a in params["assisting"] if a != params["lead"]]
                chosen = [params["lead"], *assisting]
                return (
                    len(set(chosen)) == len(chosen)
                    and all(a in TABLE_AGENCIES[sit.table] and a not in WITHOUT_AGREEMENT for a in chosen)
                    and meeting_ok
                )
            case "door_knock_plan":
                agencies = params["agencies"]
                within = params["hours"] <= WINDOW_HOURS[sit.table] or not sit.due
                in_table = all(a in TABLE_AGENCIES[sit.table] and a in sit.chosen for a in agencies)
                return not sit.done and bool(agencies) and in_table and params["hours"] > 0 and within
            case "door_knock_log":
                return not sit.done
            case "status_update":
                return params["text"] == "clean" or (params["text"] == "name" and sit.persons == 0)
            case "outcome_check":
                return OUTCOME_CHECKS[sit.table] and sit.long_ago and params["days"] not in sit.checks
            case "casework_referral_open":
                own = self._agency_of(persona, sit.table)
                mine = own in sit.chosen and ORGANISATION[own] == params["program"]
                return mine and sit.persons == 1
        return True

    # --- running one action -----------------------------------------------------------------------------------

    def _text(self, sit: Sit, kind: str) -> str:
        match kind:
            case "clean":
                return "Engaged with support; a school meeting is booked."
            case "name":
                return f"Met {sit.secrets[0]} at home" if sit.persons else "Met the owner of the lot at home"
            case "phone":
                return "Call 617-555-0101 tomorrow"
        return kind

    def _call(self, sit: Sit, user, persona: str, action: str, params: dict):
        situation, table = sit.situation, sit.table
        match action:
            case "agenda_add":
                return services.agenda_add(
                    situation=situation, actor=user, meeting=self._meeting(table, params["meeting"])
                )
            case "threshold_decide":
                return services.threshold_decide(
                    situation=situation, actor=user, meeting=self._meeting(table, params["meeting"]), met=params["met"]
                )
            case "names_reveal":
                return services.names_reveal(
                    situation=situation, actor=user, meeting=self._meeting(table, params["meeting"])
                )
            case "agencies_choose":
                return services.agencies_choose(
                    situation=situation,
                    actor=user,
                    lead=self._agency(table, params["lead"]),
                    assisting=[self._agency(table, a) for a in params["assisting"]],
                    meeting=self._meeting(table, params["meeting"]),
                )
            case "door_knock_plan":
                return services.door_knock_plan(
                    situation=situation,
                    actor=user,
                    agencies=[self._agency(table, a) for a in params["agencies"]],
                    planned_for=timezone.now() + timedelta(hours=params["hours"]),
                )
            case "door_knock_log":
                return services.door_knock_log(situation=situation, actor=user, response=params["response"])
            case "status_update":
                return services.status_update_add(situation=situation, actor=user, text=self._text(sit, params["text"]))
            case "conclude":
                code = ConclusionCode.objects.filter(group=params["group"], is_active=True).first()
                return services.situation_conclude(situation=situation, actor=user, code=code)
            case "outcome_check":
                return services.outcome_check_record(
                    situation=situation, actor=user, days=params["days"], still_connected=True, new_incidents=None
                )
            case "casework_referral_open":
                return services.casework_referral_open(
                    situation=situation, actor=user, program=self.programs[params["program"]], consent=params["consent"]
                )
        raise AssertionError(action)

    def _act(self, sit: Sit, persona: str, action: str, params: dict) -> bool:
        """Call one action's service as ``persona`` and check the outcome against the tables."""
        user = self.users[persona]
        who, states = AUTHORITY[action]
        permitted = bool(who & self._relations(persona, sit))
        now = sit.state in states
        valid = self._valid_input(action, params)
        allowed = permitted and now and valid and self._possible(persona, action, sit, params)
        # The pages' buttons follow policy.can: it answers as the table does.
        fresh = Situation.objects.select_related("table").get(pk=sit.situation.pk)
        assert policy.can(user, action, fresh) == (permitted and now), (persona, action, sit.state)

        before = self._rows()
        self.sent.clear()
        try:
            with self.capture(execute=True):
                self._call(sit, user, persona, action, params)
        except ReferralError as error:
            assert not allowed, f"{persona} was refused {action} on a {sit.state} situation ({params}): {error}"
            assert str(error)
            if valid and not permitted:
                assert isinstance(error, Refused), f"{persona} {action}: {error!r} should be a refusal"
            if permitted or not valid:
                assert not isinstance(error, Refused), f"{persona} {action} in {sit.state}: {error!r}"
            assert self._rows() == before, f"refused {action} by {persona} changed rows"
            assert self.sent == [], f"refused {action} by {persona} sent hints"
            event(f"{action}: refused ({type(error).__name__})")
            return False
        assert allowed, f"{persona} carried out {action} on a {sit.state} situation ({params})"
        event(f"{action}: carried out")
        self._apply(sit, persona, action, params)
        sit.situation = Situation.objects.get(pk=sit.situation.pk)
        self.dirty.add(sit.situation.pk)
        return True

    def _apply(self, sit: Sit, persona: str, action: str, params: dict) -> None:
        """Move the model as the action did, with the events it must have written."""
        current, present = self.meetings[sit.table]
        match action:
            case "agenda_add":
                self.agenda.setdefault(current.pk, set()).add(sit.situation.pk)
                if sit.state == PROPOSED:
                    sit.state = ON_AGENDA
                sit.expected.append(events.AGENDA_ADDED)
            case "threshold_decide":
                sit.state = ACCEPTED if params["met"] else REJECTED
                sit.due = params["met"]
                sit.expected.append(events.ACCEPTED if params["met"] else events.REJECTED)
            case "names_reveal":
                sit.revealed |= {a for a in present if a not in WITHOUT_AGREEMENT}
                sit.expected.append(events.NAMES_REVEALED)
            case "agencies_choose":
                assisting = [a for a in params["assisting"] if a != params["lead"]]
                sit.chosen = {params["lead"]: "lead", **dict.fromkeys(assisting, "assisting")}
                new = set(sit.chosen) - sit.revealed
                sit.revealed |= new
                sit.state = INTERVENTION
                sit.due = not sit.escalated
                sit.expected.append(events.AGENCIES_CHOSEN)
                if new:
                    sit.expected.append(events.NAMES_REVEALED)
            case "door_knock_plan":
                sit.expected.append(events.DOOR_KNOCK_PLANNED)
            case "door_knock_log":
                sit.done, sit.due = True, False
                sit.expected.append(events.DOOR_KNOCK_DONE)
            case "status_update":
                sit.expected.append(events.STATUS_UPDATE)
            case "conclude":
                sit.state, sit.due = CONCLUDED, False
                sit.expected.append(events.CONCLUDED)
            case "outcome_check":
                sit.checks.add(params["days"])
                sit.expected.append(events.OUTCOME_CHECK)
            case "casework_referral_open":
                if params["program"] not in sit.casework:  # opening it again returns the same referral
                    sit.casework.add(params["program"])
                    sit.expected.append(events.CASEWORK_OPENED)

    def _rows(self) -> dict:
        return hub_rows([sit.situation.pk for sit in self.sits])

    def _propose(self, table: str, persona: str, params: dict) -> Sit | None:
        user = self.users[persona]
        agencies = self._proposing_agencies(persona, table)
        chosen = params["agency"]
        token = uuid.uuid4().hex[:8]
        n = len(self.secrets)
        count = {"person": 1, "family": 2, "location": 0}[params["kind"]]
        people = [
            (f"Jordan Q{token}{i}", date(1990 + (n + i) % 30, 1 + (n + i) % 12, 1 + (n + i) % 28), f"{n + i} Quincy St")
            for i in range(count)
        ]
        description = {
            "clean": "Young person missing school, recent overdose, conflict at home.",
            "name": f"{people[0][0]} is missing school" if people else "Vacant lot used for drug dealing.",
            "phone": "Mother's number 617-555-0123",
        }[params["description"]]
        risk = list(RiskFactor.objects.filter(code__in=["truancy", "drug-related-overdose"]))
        if params.get("no_risk"):
            risk = []
        band = AgeBand.objects.get(code="16-17")
        persons = [
            services.NewPerson(age_band=band, gender="male", full_name=name, date_of_birth=born, address=address)
            for name, born, address in people
        ]
        secrets = []
        for name, born, address in people:
            secrets += [name, name.split()[1], address, born.isoformat(), f"{born:%m/%d/%Y}", f"{born:%d/%m/%Y}"]
        # A description with a phone number, or the person's name, is refused; so is a proposal without a risk.
        clean = params["description"] == "clean" or (params["description"] == "name" and not people)
        valid = clean and not params.get("no_risk")
        refused = not agencies or (chosen is not None and chosen not in agencies)
        allowed = not refused and valid
        assert policy.can_propose(user, self.tables[table]) == bool(agencies), (persona, table)
        before = self._rows()
        self.sent.clear()
        try:
            with self.capture(execute=True):
                situation, created = services.situation_propose(
                    table=self.tables[table],
                    actor=user,
                    idempotency_key=uuid.uuid4(),
                    discussion_type=params["kind"],
                    description=description,
                    persons=persons,
                    risk_factors=risk,
                    agency=None if chosen is None else self._agency(table, chosen),
                )
        except ReferralError as error:
            assert not allowed, f"{persona} was refused a proposal to {table} ({params}): {error}"
            assert isinstance(error, Refused) == refused, (persona, table, params, error)
            assert self._rows() == before
            assert self.sent == []
            event(f"propose: refused ({type(error).__name__})")
            return None
        assert allowed, f"{persona} proposed to {table} ({params})"
        assert created
        event("propose: carried out")
        self.secrets += secrets
        originating = chosen if chosen is not None else next(iter(agencies))
        sit = Sit(
            situation=situation,
            table=table,
            originating=originating,
            proposer=persona,
            persons=count,
            secrets=[name for name, _, _ in people],
        )
        assert situation.originating_id == self.agencies[table][originating].pk
        self.sits.append(sit)
        self.last_states[situation.pk] = PROPOSED
        self.dirty.add(situation.pk)
        return sit

    def _new_meeting(self, table: str, present) -> None:
        coordinator = self.users[{"A": "hub.coordinator", "B": "hub.dorchester"}[table]]
        if table in self.meetings:
            services.meeting_close(meeting=self.meetings[table][0], actor=coordinator)
        meeting = services.meeting_schedule(
            table=self.tables[table], actor=coordinator, held_on=timezone.localdate() + timedelta(days=next(DAYS))
        )
        meeting = services.meeting_open(meeting=meeting, actor=coordinator)
        with self.capture(execute=True):
            services.attendance_record(
                meeting=meeting, actor=coordinator, agencies=[self.agencies[table][a] for a in present]
            )
        self.meetings[table] = (meeting, frozenset(present))

    # --- the steps --------------------------------------------------------------------------------------------

    @rule(data=st.data(), what=st.sampled_from(STEPS))
    def step(self, data, what):
        """One step: an action on a situation (most of the time), a proposal, a new meeting, the sweeper, months
        passing, or an export. (One rule drawing its kind: Hypothesis draws rules evenly.)"""
        if what in AUTHORITY:
            self.act(data, what)
        else:
            getattr(self, what)(data)

    def act(self, data, action):
        """A random person takes a random action on a random situation."""
        # Half the time a situation in a state the action is open in: random steps rarely take one far.
        in_state = [sit for sit in self.sits if sit.state in AUTHORITY[action][1]]
        pool = in_state if in_state and data.draw(st.booleans(), label="in state") else self.sits
        sit = data.draw(st.sampled_from(pool), label="situation")
        params = data.draw(parameters(action), label="parameters")
        entitled = [p for p in PERSONAS if AUTHORITY[action][0] & self._relations(p, sit)]
        anyone = st.sampled_from(PERSONAS)
        actor = data.draw(st.one_of(anyone, st.sampled_from(entitled)) if entitled else anyone, label="actor")
        if action == "door_knock_plan" and sit.chosen and data.draw(st.booleans(), label="chosen knock"):
            params["agencies"] = data.draw(st.lists(st.sampled_from(sorted(sit.chosen)), min_size=1, max_size=2))
        if params.get("program") == "own":  # the actor's own agency's program, where it has one
            own = ORGANISATION.get(self._agency_of(actor, sit.table) or "")
            params["program"] = own if own in self.programs else "co-response"
        self._act(sit, actor, action, params)

    def propose(self, data):
        """Someone proposes a situation to a table, sometimes with a description that identifies someone."""
        table = data.draw(st.sampled_from(["A", "B"]), label="table")
        persona = data.draw(st.sampled_from(PERSONAS), label="proposer")
        params = data.draw(
            st.fixed_dictionaries(
                {
                    "agency": st.sampled_from([None, None, None, *AGENCY_KEYS]),
                    "description": st.sampled_from(["clean", "clean", "clean", "name", "phone"]),
                    "kind": st.sampled_from(["person", "person", "family", "location"]),
                    "no_risk": st.sampled_from([False, False, False, True]),
                }
            ),
            label="proposal",
        )
        if len(self.sits) < MAX_SITUATIONS:
            self._propose(table, persona, params)

    def meeting(self, data):
        """The coordinator closes the meeting and opens the next one, with some of the agencies present."""
        table = data.draw(st.sampled_from(["A", "B"]), label="table")
        present = data.draw(st.sets(st.sampled_from(TABLE_AGENCIES[table])), label="present")
        self._new_meeting(table, present)

    def sweep(self, data):
        """The door-knock sweeper, just before or just after a situation's deadline."""
        late = data.draw(st.booleans(), label="late")
        sit = data.draw(st.sampled_from(self.sits), label="situation")
        due = Situation.objects.get(pk=sit.situation.pk).door_knock_due_at
        assert (due is not None) == sit.due
        if due is None:
            now = timezone.now() + timedelta(days=30)
        else:
            now = due + timedelta(seconds=1) if late else due - timedelta(seconds=1)
        before = self._rows()
        self.sent.clear()
        with self.capture(execute=True):
            escalated = services.door_knock_escalate_if_due(situation_id=sit.situation.pk, now=now)
        assert escalated == (late and sit.due)
        if not escalated:
            assert self._rows() == before
            assert self.sent == []
            return
        sit.due, sit.escalated = False, True
        sit.expected.append(events.DOOR_KNOCK_OVERDUE)
        coordinator = {"A": "hub.coordinator", "B": "hub.dorchester"}[sit.table]
        told = Notification.objects.filter(kind="escalated", url=f"/hub/situations/{sit.situation.public_id}/")
        assert list(told.values_list("user__username", flat=True)) == [coordinator]
        sit.situation = Situation.objects.get(pk=sit.situation.pk)
        self.dirty.add(sit.situation.pk)

    def months(self, data):
        """Months pass: the concluded situations' 30- and 90-day outcome checks fall due."""
        for sit in self.sits:
            if sit.state == CONCLUDED and not sit.long_ago:
                Situation.objects.filter(pk=sit.situation.pk).update(concluded_at=timezone.now() - timedelta(days=100))
                sit.long_ago = True

    def export_rtd(self, data):
        """The RTD export: its table's coordinators only, and nothing that identifies anyone."""
        persona = data.draw(st.sampled_from(PERSONAS), label="exporter")
        table = data.draw(st.sampled_from(["A", "B"]), label="table")
        allowed = persona != INACTIVE and COORDINATES.get(persona) == table
        try:
            rows = export.rtd_rows(user=self.users[persona], table=self.tables[table])
        except Refused:
            assert not allowed, (persona, table)
            return
        assert allowed, (persona, table)
        self._assert_no_secret(repr(rows))

    # --- invariants -------------------------------------------------------------------------------------------

    @invariant()
    def states_move_only_along_the_machine(self):
        states = dict(Situation.objects.filter(pk__in=[s.situation.pk for s in self.sits]).values_list("pk", "state"))
        for sit in self.sits:
            pk = sit.situation.pk
            assert states[pk] == sit.state
            before = self.last_states[pk]
            assert states[pk] == before or (before, states[pk]) in EDGES, (before, states[pk])
            self.last_states[pk] = states[pk]

    @invariant()
    def rows_are_as_the_model_expects(self):
        ids = [s.situation.pk for s in self.sits]
        rows = Situation.objects.in_bulk(ids)
        reveals: dict[int, set[str]] = {}
        for situation_id, agency_id, agreed in Reveal.objects.filter(situation_id__in=ids).values_list(
            "situation_id", "agency_id", "agency__sharing_agreement_on"
        ):
            assert agreed is not None, "names revealed to an agency without a sharing agreement"
            reveals.setdefault(situation_id, set()).add(agency_id)
        assignments: dict[int, dict[int, str]] = {}
        for situation_id, agency_id, role in Assignment.objects.filter(situation_id__in=ids).values_list(
            "situation_id", "agency_id", "role"
        ):
            assignments.setdefault(situation_id, {})[agency_id] = role
        logged: dict[int, list[str]] = {}
        for situation_id, kind in (
            SituationEvent.objects.filter(situation_id__in=ids).order_by("pk").values_list("situation_id", "kind")
        ):
            logged.setdefault(situation_id, []).append(kind)
        for sit in self.sits:
            pk, agencies = sit.situation.pk, self.agencies[sit.table]
            row = rows[pk]
            assert reveals.get(pk, set()) == {agencies[a].pk for a in sit.revealed}
            assert assignments.get(pk, {}) == {agencies[a].pk: role for a, role in sit.chosen.items()}
            # One event per change the model carried out, of the kind it expects, in order.
            assert logged.get(pk, []) == sit.expected
            assert (row.door_knock_due_at is not None) == sit.due
            assert (row.door_knock_done_at is not None) == sit.done
            assert (row.escalated_at is not None) == sit.escalated

    @invariant()
    def each_person_reads_the_identity_the_rule_allows(self):
        for sit in self.sits:
            if sit.situation.pk not in self.dirty:
                continue
            fresh = Situation.objects.select_related("table").get(pk=sit.situation.pk)
            actual = {p: policy.identity_scope(self.users[p], fresh) for p in PERSONAS}
            assert actual == {p: self._scope(p, sit) for p in PERSONAS}, (sit.table, sit.state)
        self.dirty.clear()

    @invariant()
    def nothing_sent_or_logged_names_anyone(self):
        new = Notification.objects.filter(pk__gt=self.notifications_checked).order_by("pk")
        for pk, text, url in new.values_list("pk", "text", "url"):
            self._assert_no_secret(f"{text} {url}")
            self.notifications_checked = pk
        messages = SituationEvent.objects.filter(pk__gt=self.events_checked).order_by("pk")
        for pk, message in messages.values_list("pk", "message"):
            self._assert_no_secret(message)
            self.events_checked = pk
        self._assert_no_secret(repr(self.sent))

    def _assert_no_secret(self, text: str) -> None:
        leaked = [secret for secret in self.secrets if secret in text]
        assert leaked == []


def test_random_hub_sequences_keep_the_invariants(personas, django_capture_on_commit_callbacks):
    seed = build_hub_seed(personas, reveal=Table.Reveal.PRESENT, outcome_checks=True)
    cast = build_hub_cast(seed, other_reveal=Table.Reveal.CHOSEN)
    users = {user.username: user for user in get_user_model().objects.filter(username__in=PERSONAS)}
    assert set(users) == set(PERSONAS)
    programs = {
        short_name: Program.objects.create(
            name=f"{short_name} support",
            slug=f"{short_name.lower()}-support",
            organisation=Organisation.objects.get(short_name=short_name),
            workflow=Workflow.CASEWORK,
            uses_rosters=False,
        )
        for short_name in ("BHA", "BPS")
    }
    programs["co-response"] = Program.objects.get(slug="co-response")
    sent: list[tuple[list[str], dict]] = []
    machine = type(
        "Machine",
        (HubMachine,),
        {
            "users": users,
            "tables": {"A": seed.table, "B": cast.other_table},
            "agencies": {"A": dict(seed.agencies), "B": dict(cast.other_agencies)},
            "programs": programs,
            "capture": staticmethod(django_capture_on_commit_callbacks),
            "sent": sent,
        },
    )
    assert set(machine.agencies["A"]) == set(TABLE_AGENCIES["A"])
    assert set(machine.agencies["B"]) == set(TABLE_AGENCIES["B"])

    def record(groups, message):
        sent.append((list(groups), dict(message)))

    with mock.patch.object(hints, "_send", record):
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=20,
                stateful_step_count=40,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            ),
        )


def test_the_authority_table_names_every_action_of_the_workflow():
    # Written independently of the policy; it must still cover every action the policy rules (view is a read).
    assert set(AUTHORITY) == set(policy.RULES) - {"view"}
