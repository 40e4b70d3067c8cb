"""Random sequences of casework actions by random people; after every step the invariants hold.

The casework twin of ``tests/referrals/test_state_machine_hypothesis.py``, built the same way. Each example files
fresh YouthConnect referrals as officer.b2 (from B2, for a young person in E13: youth.e13's station team holds
them, and sergeant.b2 oversees them through the filer's district), one per starting point the workflow can reach,
and takes each there through the services. Each step then picks a referral, a person and an action at random and
calls the action's service. What should happen is decided by the tables below, written from the design and
independent of ``referrals.workflows.casework.spec``: a call the table allows must succeed and write exactly the
event it should; a call it refuses must raise (``Refused`` when the person has no part in it, or lacks the
"override consent" permission) and leave every row as it was: envelope, case, person, consents, grants, events,
notes, attempts, goals, onward referrals, notifications. Consent is part of "when": engaging and setting goals need
consent in force, an override needs none, a withdrawal needs one. The police-visible status must be the one the
table gives for the state (never backwards; a withdrawal of consent ends as "Closed — declined" whatever came
before), and each change's websocket hint must reach the sockets it should, no police socket ever hearing of a
partner-only event (contact attempts, goals, notes, consent recorded or overridden, the first-contact alarm).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from accounts.models import Role, Team
from districts.models import District
from notifications import hints
from notifications.models import Notification
from programs.models import Program
from referrals import consent, policy, services
from referrals.errors import ReferralError, Refused
from referrals.models import (
    ClinicalNote,
    Consent,
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralUserObjectPermission,
    Subject,
    Urgency,
)
from referrals.workflows.casework import services as casework
from referrals.workflows.casework.models import (
    CaseworkCase,
    CaseworkPerson,
    CloseReason,
    ContactAttempt,
    DeclinedBy,
    Goal,
    ServiceTier,
)
from tests.referrals.factories import partner_person, second_youth_worker
from tests.referrals.machines import ReferralMachine, run_machine, team_key

# --- the expected tables ----------------------------------------------------------------------------------------

SUBMITTED, ASSIGNED, CONTACT_ATTEMPTED, ENGAGED = "submitted", "assigned", "contact_attempted", "engaged"
DECLINED, UNABLE_TO_REACH, CLOSED = "declined", "unable_to_reach", "closed"
REACHING = frozenset({ASSIGNED, CONTACT_ATTEMPTED})  # taken, the person not yet engaged or declined
OUTCOMES = frozenset({ENGAGED, DECLINED, UNABLE_TO_REACH})  # the worker closes from here
OPEN = frozenset({SUBMITTED, *REACHING, ENGAGED})
HELD = REACHING | OUTCOMES
LIVE = OPEN | OUTCOMES  # everything but closed

# Who may do what, in which states. Relations of a person to a referral: the officer who filed it ("filer"), a
# police supervisor of its district or its filer's ("police_supervisor"), a member of a partner team that holds it
# ("holder"), the worker who took it ("assignee"), a supervisor of the partner ("supervisor").
PARTNER = frozenset({"holder", "assignee", "supervisor"})
WRITERS = frozenset({"assignee", "supervisor"})
AUTHORITY: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "assign": (frozenset({"holder", "supervisor"}), frozenset({SUBMITTED})),
    "contact_attempt": (frozenset({"assignee"}), REACHING),
    "engage": (frozenset({"assignee"}), REACHING),
    "decline": (frozenset({"assignee"}), REACHING),
    "unable_to_reach": (frozenset({"assignee"}), frozenset({CONTACT_ATTEMPTED})),
    "interim_update": (WRITERS, frozenset({ENGAGED})),
    "goal": (WRITERS, frozenset({ENGAGED})),
    "goal_met": (WRITERS, frozenset({ENGAGED})),
    "note": (WRITERS, LIVE),
    "close": (WRITERS, OUTCOMES),
    "reassign": (frozenset({"supervisor"}), HELD),
    "consent_record": (PARTNER, LIVE),
    "consent_override": (PARTNER, LIVE),  # ...and only with the "override consent" permission
    "consent_revoke": (PARTNER, LIVE),
    "reroute": (PARTNER, OPEN),
    "add_information": (frozenset({"filer"}), LIVE),
}
ACTIONS = sorted(AUTHORITY)
# Consent as part of "when": True, the action needs consent in force; False, it needs none in force.
NEEDS_CONSENT = {"engage": True, "goal": True, "consent_revoke": True, "consent_override": False}
# ...and engaging or setting goals needs consent to services (or an override), not to identity only.
NEEDS_SERVICES = {"engage", "goal"}
NEEDS_PERMISSION = {"consent_override": "referrals.override_consent"}

# What police see of each state; "closed" depends on how it ended (see _expected_status).
POLICE_STATUS = {
    SUBMITTED: "received",
    ASSIGNED: "received",
    CONTACT_ATTEMPTED: "received",
    ENGAGED: "accepted",
    DECLINED: "declined",
    UNABLE_TO_REACH: "closed_not_connected",
}
PHASE = {SUBMITTED: "waiting", CLOSED: "ended"} | dict.fromkeys(HELD, "active")
STATUS_RANK = {"received": 0, "accepted": 1}
FINAL_STATUSES = {"closed_connected", "closed_not_connected", "declined", "closed_declined", "rerouted"}
STATUS_RANK |= dict.fromkeys(FINAL_STATUSES, 9)

# Which events police see; hints to police sockets (the filer's, the district lists) follow it.
POLICE_VISIBLE_KINDS = frozenset(
    {
        "filed",
        "engaged",
        "declined",
        "unable_to_reach",
        "interim_update",
        "closed",
        "reassigned",
        "info_added",
        "consent_revoked",
        "rerouted",
    }
)
PARTNER_ONLY_KINDS = frozenset(
    {
        "routed",
        "assigned",
        "contact_attempt",
        "goal_added",
        "goal_met",
        "note",
        "consent_recorded",
        "consent_overridden",
        "first_contact_overdue",
    }
)

SECOND_WORKER = "youth.e13b"  # another worker of the E13 station team
NO_OVERRIDE = "youth.supervisor2"  # a YouthConnect supervisor without "override consent"
PERSONAS = [
    "officer.b2",  # files every referral here
    "officer.d4",  # another officer
    "sergeant.b2",  # police supervisor of the filer's district
    "youth.e13",  # worker of the E13 station team
    SECOND_WORKER,
    "youth.supervisor",  # holds "override consent"
    NO_OVERRIDE,
    "outreach.roca",  # a worker of another casework partner
    "clinician.b2",  # a co-response clinician
]
POLICE_PERSONAS = ["officer.b2", "officer.d4", "sergeant.b2"]
WORKERS = {"youth.e13", SECOND_WORKER}  # who a referral may be reassigned to
ASSIGNEE = "assignee"  # in START_PATHS: whoever took the referral
SELF_CONSENT_AGE = 16  # YouthConnect: a younger person's consent is a guardian's
# Programs a referral may be re-routed to, and the ages they serve (None: any). The Hub's is no referral workflow.
REROUTE_TARGETS = {
    "co-response": None,
    "street-outreach": (16, 24),
    "dv-advocacy": None,
    "trauma-callback": None,
    "youthconnect": (10, 24),
    "hub-table": None,
}

ATTEMPT = {"method": "phone", "outcome": "left_message", "at": None}
# How the initialize step takes each referral to where it starts: (age, consent on scene, steps).
START_PATHS: dict[str, tuple[int, str, list]] = {
    "submitted": (15, "guardian", []),
    "submitted, no consent yet": (15, "not_yet", []),
    "assigned, no consent yet": (17, "not_yet", [("youth.e13", "assign", {})]),
    "contact attempted": (17, "person", [("youth.e13", "assign", {}), (ASSIGNEE, "contact_attempt", ATTEMPT)]),
    "contact attempted, no consent yet": (
        15,
        "not_yet",
        [("youth.e13", "assign", {}), (ASSIGNEE, "contact_attempt", ATTEMPT)],
    ),
    "engaged": (
        15,
        "guardian",
        [
            ("youth.e13", "assign", {}),
            (ASSIGNEE, "contact_attempt", ATTEMPT),
            (ASSIGNEE, "engage", {"tier": "3"}),
            (ASSIGNEE, "goal", {"area": "safety"}),
        ],
    ),
    "engaged on an override": (
        13,
        "not_yet",
        [
            (SECOND_WORKER, "assign", {}),
            ("youth.supervisor", "consent_override", {"with_reason": True}),
            (ASSIGNEE, "engage", {"tier": "4"}),
        ],
    ),
    "declined": (15, "guardian", [(SECOND_WORKER, "assign", {}), (ASSIGNEE, "decline", {"declined_by": "person"})]),
    "unable to reach": (
        17,
        "person",
        [("youth.e13", "assign", {}), (ASSIGNEE, "contact_attempt", ATTEMPT), (ASSIGNEE, "unable_to_reach", {})],
    ),
    "closed, connected": (
        15,
        "guardian",
        [
            ("youth.supervisor", "assign", {}),
            (ASSIGNEE, "engage", {"tier": "1"}),
            (ASSIGNEE, "close", {"reason": "goals_met"}),
        ],
    ),
}
START_STATES = list(START_PATHS)
CASES = st.integers(min_value=0, max_value=len(START_STATES) - 1)

REASON_GIVEN = st.sampled_from([True, True, True, False])


def parameters(action: str) -> st.SearchStrategy[dict]:
    """What each action is called with: mostly sensible, sometimes not."""
    return {
        "contact_attempt": st.fixed_dictionaries(
            {
                "method": st.sampled_from(["", *ContactAttempt.Method.values]),
                "outcome": st.sampled_from(["bogus", *ContactAttempt.Outcome.values]),
                "at": st.sampled_from([None, None, timedelta(days=-2), timedelta(hours=1)]),
            }
        ),
        "engage": st.fixed_dictionaries({"tier": st.sampled_from(["", "5", *ServiceTier.values])}),
        "decline": st.fixed_dictionaries({"declined_by": st.sampled_from(["", *DeclinedBy.values])}),
        "goal": st.fixed_dictionaries({"area": st.sampled_from(["", *Goal.Area.values])}),
        "close": st.fixed_dictionaries({"reason": st.sampled_from(["", *CloseReason.values])}),
        "note": st.fixed_dictionaries({"part2": st.booleans()}),
        "reassign": st.fixed_dictionaries(
            {
                "worker": st.sampled_from(
                    [SECOND_WORKER, "youth.e13", "youth.supervisor", "outreach.roca", "officer.b2"]
                ),
                "with_reason": REASON_GIVEN,
            }
        ),
        "consent_record": st.fixed_dictionaries(
            {
                "given_by": st.sampled_from(["guardian", "guardian", "person", "override", ""]),
                "named": st.sampled_from([True, True, False]),
                "scope": st.sampled_from([*Consent.Scope.values, "everything"]),
            }
        ),
        "consent_override": st.fixed_dictionaries({"with_reason": REASON_GIVEN}),
        "reroute": st.fixed_dictionaries(
            {"program": st.sampled_from(sorted(REROUTE_TARGETS)), "with_reason": REASON_GIVEN}
        ),
    }.get(action, st.just({}))


@dataclass
class Case:
    """One referral and what the machine expects of it."""

    referral: Referral
    age: int
    state: str = SUBMITTED
    assignee: str | None = None
    holders: set[str] = field(default_factory=lambda: {"E13"})  # the teams whose members read it
    consents: list[tuple[str, str]] = field(default_factory=list)  # (given_by, scope) of each consent not withdrawn
    withdrawn: int = 0  # consents withdrawn
    goals: dict[int, bool] = field(default_factory=dict)  # pk → met
    engaged: bool = False
    ended_by: str = ""  # "revoked" or "rerouted": a cascade closed it
    onward: str = ""  # the program it was re-routed to
    due: bool = True  # the first-contact deadline still runs
    police_status: str = "received"
    statuses_seen: list[str] = field(default_factory=list)
    expected: list[tuple[str, str]] = field(default_factory=lambda: [("filed", SUBMITTED), ("routed", SUBMITTED)])

    def _counted(self) -> list[tuple[str, str]]:
        guardian_only = self.age < SELF_CONSENT_AGE
        return [(given_by, scope) for given_by, scope in self.consents if given_by != "person" or not guardian_only]

    @property
    def consent_in_force(self) -> bool:
        return bool(self._counted())

    @property
    def services_open(self) -> bool:
        """Consent to services, or an override, in force: a later consent to identity only does not close them."""
        return any(given_by == "override" or scope == "services" for given_by, scope in self._counted())


class CaseworkMachine(ReferralMachine):
    """The test below runs it with ``run_machine`` (tests/referrals/machines.py), which also holds the invariants
    every workflow's machine shares."""

    status_rank = STATUS_RANK
    final_statuses = FINAL_STATUSES
    police_visible_kinds = POLICE_VISIBLE_KINDS
    labels = [*ServiceTier.labels, *DeclinedBy.labels, "Goals met", "Disengaged", "Aged out"]

    # --- set-up -----------------------------------------------------------------------------------------------

    @initialize()
    def file_one_referral_per_starting_point(self):
        self.cases: list[Case] = []
        self.secrets: list[str] = []  # every clinical or identifying text this example wrote
        self.dirty: set[int] = set()  # cases changed since the police pages were last checked
        self.checks = 0
        self.notifications_checked = Notification.objects.order_by("pk").values_list("pk", flat=True).last() or 0
        self.program = Program.objects.select_related("organisation").get(slug="youthconnect")
        self.team_members = self._team_members()
        self.e13, self.b2 = District.objects.get(code="E13"), District.objects.get(code="B2")
        for index, start in enumerate(START_STATES):
            age, on_scene, steps = START_PATHS[start]
            self.cases.append(Case(referral=self._file(age, on_scene), age=age))
            if on_scene != "not_yet":
                self.cases[index].consents.append((on_scene, "services"))
            for persona, action, params in steps:
                assert self._act(self.cases[index], persona, action, params) is not None, (start, action)
        self.dirty = set(range(len(self.cases)))

    def _team_members(self) -> dict[str, set[str]]:
        """Which personas are in each YouthConnect team (the demo's memberships and the two made here)."""
        members = {}
        self.team_groups = {}
        for team in Team.objects.filter(organisation=self.program.organisation).select_related("district", "group"):
            users = set(team.group.user_set.values_list("username", flat=True))
            members[team_key(team)] = users & set(PERSONAS)
            self.team_groups[team_key(team)] = team.group_id
        # The station's workers and every supervisor (they cover all districts); nobody of another organisation.
        assert members["E13"] == {"youth.e13", SECOND_WORKER, "youth.supervisor", NO_OVERRIDE}
        return members

    def _file(self, age: int, on_scene: str) -> Referral:
        token = uuid.uuid4().hex[:10]
        name, circumstances = f"Jordan Subject{token}", f"Seen at the shooting on Bowdoin St, circumstances{token}"
        guardian, phone = f"Guardian{token} Example", f"617-555-{token[:4]}"
        address = f"{token[:3]} Quincy St, flat {token[3:6]}"
        self.secrets.extend([name, circumstances, guardian, phone, address])
        today = timezone.localdate()
        with self.capture(execute=True):
            referral, created = services.referral_file(
                new=services.NewReferral(
                    program=self.program,
                    district=District.objects.get(code="E13"),
                    urgency=Urgency.FOLLOW_UP,
                    idempotency_key=uuid.uuid4(),
                    location_text="Bowdoin St",
                    reason_codes=["witness_to_violence"],
                    reason_names=["Witness to violence"],
                    subject_name=name,
                    subject_age=age,
                    circumstances=circumstances,
                    extra={
                        "person": {
                            "date_of_birth": date(today.year - age - 1, 6, 1),
                            "phone": phone,
                            "address": address,
                            "guardian_name": guardian,
                            "guardian_relationship": "aunt",
                            "guardian_phone": phone,
                        },
                        "consent": on_scene,
                    },
                ),
                officer=self.personas["officer.b2"],
                officer_district=self.b2,
            )
        assert created
        return referral

    # --- what the tables expect -------------------------------------------------------------------------------

    def _relations(self, persona: str, case: Case) -> frozenset[str]:
        found = set()
        if persona == "officer.b2":
            found.add("filer")
        if persona == "sergeant.b2":
            found.add("police_supervisor")
        if persona in ("youth.supervisor", NO_OVERRIDE):
            found.add("supervisor")
        if persona == case.assignee:
            found.add("assignee")
        if any(persona in self.team_members.get(team, ()) for team in case.holders):
            found.add("holder")
        return frozenset(found)

    def _permitted(self, persona: str, action: str, case: Case) -> bool:
        who, _ = AUTHORITY[action]
        permission = NEEDS_PERMISSION.get(action)
        holds = permission is None or self.personas[persona].has_perm(permission)
        return bool(who & self._relations(persona, case)) and holds

    @staticmethod
    def _now(action: str, case: Case) -> bool:
        """The state, and consent where the action depends on it."""
        _, states = AUTHORITY[action]
        needs = NEEDS_CONSENT.get(action)
        if action in NEEDS_SERVICES:
            return case.state in states and case.services_open
        return case.state in states and (needs is None or needs == case.consent_in_force)

    @staticmethod
    def _valid_input(action: str, params: dict) -> bool:
        """The input itself makes sense, whoever sends it (a service checks it before anything else)."""
        match action:
            case "contact_attempt":
                in_future = params["at"] is not None and params["at"] > timedelta(minutes=5)
                valid = params["method"] in ContactAttempt.Method.values
                return valid and params["outcome"] in ContactAttempt.Outcome.values and not in_future
            case "engage":
                return params["tier"] in ServiceTier.values
            case "decline":
                return params["declined_by"] in DeclinedBy.values
            case "goal":
                return params["area"] in Goal.Area.values
            case "close":
                return params["reason"] in {"goals_met", "disengaged", "aged_out"}
            case "consent_record":
                return params["given_by"] in {"person", "guardian"} and params["scope"] in Consent.Scope.values
            case "reassign" | "consent_override" | "reroute":
                return params["with_reason"]
        return True

    def _possible(self, action: str, case: Case, params: dict) -> bool:
        """What the referral's rows allow beyond the authority table (checked once the person may act)."""
        match action:
            case "reassign":
                return params["worker"] in WORKERS and params["worker"] != case.assignee
            case "consent_record":
                if params["given_by"] == "person":
                    return case.age >= SELF_CONSENT_AGE
                return params["named"]
            case "reroute":
                ages = REROUTE_TARGETS[params["program"]]
                takes = params["program"] not in {"youthconnect", "hub-table"}
                return takes and (ages is None or ages[0] <= case.age <= ages[1])
            case "goal_met":
                return case.goals.get(params["goal"]) is False
        return True

    def _expected_status(self, case: Case) -> str:
        if case.ended_by == "revoked":
            status = "closed_declined"  # the design's answer, unless police already saw a final status
        elif case.ended_by == "rerouted":
            status = "rerouted"
        elif case.state == CLOSED:
            status = "closed_connected" if case.engaged else "closed_not_connected"
        else:
            status = POLICE_STATUS[case.state]
        current = case.police_status
        if current in FINAL_STATUSES or STATUS_RANK[status] < STATUS_RANK[current]:
            return current  # never backwards, and a final status never changes
        return status

    # --- running one action -----------------------------------------------------------------------------------

    def _secret(self, text: str) -> str:
        text = f"{text} {uuid.uuid4().hex[:10]}"
        self.secrets.append(text)
        return text

    def _call(self, case: Case, user, action: str, params: dict):
        referral = case.referral
        match action:
            case "assign":
                return casework.referral_assign(referral=referral, actor=user)
            case "contact_attempt":
                at = None if params["at"] is None else timezone.now() + params["at"]
                return casework.contact_attempt_add(
                    referral=referral, actor=user, method=params["method"], outcome=params["outcome"], at=at
                )
            case "engage":
                return casework.referral_engage(referral=referral, actor=user, tier=params["tier"])
            case "decline":
                return casework.referral_decline(referral=referral, actor=user, declined_by=params["declined_by"])
            case "unable_to_reach":
                return casework.referral_unable_to_reach(referral=referral, actor=user)
            case "interim_update":
                return casework.interim_update(referral=referral, actor=user)
            case "goal":
                text = self._secret("Back in school, away from the crew")
                return casework.goal_add(referral=referral, actor=user, area=params["area"], text=text)
            case "goal_met":
                return casework.goal_met(referral=referral, actor=user, goal_id=params["goal"])
            case "note":
                text = self._secret("Talked with the aunt; he is scared of retaliation")
                return services.clinical_note_add(referral=referral, actor=user, text=text, part2=params["part2"])
            case "close":
                return casework.referral_close(referral=referral, actor=user, reason=params["reason"])
            case "reassign":
                reason = self._secret("Caseload") if params["with_reason"] else ""
                worker = self.personas[params["worker"]]
                return casework.referral_reassign(referral=referral, actor=user, worker=worker, reason=reason)
            case "consent_record":
                name = self._secret("Aunt Ana") if params["named"] else ""
                return consent.consent_record(
                    referral=referral, actor=user, given_by=params["given_by"], giver_name=name, scope=params["scope"]
                )
            case "consent_override":
                reason = self._secret("Imminent risk of retaliation") if params["with_reason"] else ""
                return consent.consent_override(referral=referral, actor=user, reason=reason)
            case "consent_revoke":
                return consent.consent_revoke(referral=referral, actor=user)
            case "reroute":
                reason = self._secret("Needs an adult program") if params["with_reason"] else ""
                program = Program.objects.get(slug=params["program"])
                return services.referral_reroute(referral=referral, actor=user, program=program, reason=reason)
            case "add_information":
                text = self._secret("His cousin was the one shot")
                return services.referral_add_information(referral=referral, actor=user, text=text)
        raise AssertionError(action)

    def _act(self, case: Case, persona: str, action: str, params: dict):
        """Call one action's service as ``persona`` and check the outcome against the tables."""
        if persona == ASSIGNEE:
            persona = case.assignee
        user = self.personas[persona]
        permitted = self._permitted(persona, action, case)
        now = self._now(action, case)
        valid = self._valid_input(action, params)
        allowed = permitted and now and valid and self._possible(action, case, params)
        # The views' buttons follow policy.can: it answers as the table does.
        fresh = Referral.objects.select_related("program", "casework").get(pk=case.referral.pk)
        assert policy.can(user, action, fresh) == (permitted and now), (persona, action, case.state)

        before = self._snapshot(case)
        self.sent.clear()
        try:
            with self.capture(execute=True):
                result = self._call(case, user, action, params)
        except ReferralError as error:
            assert not allowed, f"{persona} was refused {action} on a {case.state} referral: {error}"
            assert str(error)
            if valid and not permitted:
                assert isinstance(error, Refused), f"{persona} {action}: {error!r} should be a refusal"
            if permitted and not now:
                assert not isinstance(error, Refused), f"{persona} {action} in {case.state}: {error!r}"
            assert self._snapshot(case) == before, f"refused {action} by {persona} changed rows"
            assert self.sent == [], f"refused {action} by {persona} sent hints"
            event(f"{action}: refused ({type(error).__name__})")
            return None
        assert allowed, f"{persona} carried out {action} on a {case.state} referral ({params})"
        event(f"{action}: carried out")
        previous = {"holders": set(case.holders), "assignee": case.assignee}
        kind = self._apply(case, persona, action, params, result)
        self._check_hint(case, kind, previous)
        case.referral = Referral.objects.get(pk=case.referral.pk)
        self.dirty.add(self.cases.index(case))
        return result if result is not None else True

    def _apply(self, case: Case, persona: str, action: str, params: dict, result) -> str:
        """Move the model of the referral as the action did; the event kind it must have written."""
        match action:
            case "assign":
                case.state, case.assignee, kind = ASSIGNED, persona, "assigned"
            case "contact_attempt":
                case.state, case.due, kind = CONTACT_ATTEMPTED, False, "contact_attempt"
            case "engage":
                case.state, case.engaged, case.due, kind = ENGAGED, True, False, "engaged"
            case "decline":
                case.state, case.due, kind = DECLINED, False, "declined"
            case "unable_to_reach":
                case.state, case.due, kind = UNABLE_TO_REACH, False, "unable_to_reach"
            case "interim_update":
                kind = "interim_update"
            case "goal":
                case.goals[result.pk] = False
                kind = "goal_added"
            case "goal_met":
                case.goals[params["goal"]] = True
                kind = "goal_met"
            case "note":
                kind = "note"
            case "close":
                case.state, kind = CLOSED, "closed"
            case "reassign":
                case.assignee, kind = params["worker"], "reassigned"
            case "consent_record":
                case.consents.append((params["given_by"], params["scope"]))
                kind = "consent_recorded"
            case "consent_override":
                case.consents.append(("override", "services"))
                kind = "consent_overridden"
            case "consent_revoke":
                # Every consent ends, the work ends, and no team reads the referral any more.
                case.withdrawn += len(case.consents)
                case.consents, case.holders = [], set()
                case.state, case.ended_by, case.due, kind = CLOSED, "revoked", False, "consent_revoked"
            case "reroute":
                assert result.program.slug == params["program"] and result.rerouted_from_id == case.referral.pk
                case.state, case.ended_by, case.due, kind = CLOSED, "rerouted", False, "rerouted"
                case.onward = params["program"]
            case "add_information":
                kind = "info_added"
        case.police_status = self._expected_status(case)
        # Every event records the workflow state the referral is in after it, shared services' events included.
        case.expected.append((kind, case.state))
        return kind

    def _check_hint(self, case: Case, kind: str, previous: dict) -> None:
        """One hint for the change, to the sockets that show the referral; police ones only if police see it."""
        referral = Referral.objects.select_related("team", "program").get(pk=case.referral.pk)
        event_row = ReferralEvent.objects.filter(referral=referral, kind=kind).latest("pk")
        mine = [(set(groups), message) for groups, message in self.sent if message.get("ref") == referral.public_id]
        assert len(mine) == 1, (kind, self.sent)
        groups, message = mine[0]
        assert message == {"type": "hint", "topic": "referrals", "ref": referral.public_id, "seq": event_row.pk}
        organisation = referral.program.organisation_id
        assert {hints.team_group(referral.team.group_id), hints.organisation_group(organisation)} <= groups
        if referral.assignee_id:
            assert hints.user_group(referral.assignee_id) in groups
        if kind in ("reassigned", "consent_revoked", "rerouted") and previous["assignee"]:
            # The worker who had it refreshes too (their page loses it, or its buttons).
            assert hints.user_group(self.personas[previous["assignee"]].pk) in groups
        if kind == "consent_revoked":  # the teams it was taken from
            assert {hints.team_group(self.team_groups[team]) for team in previous["holders"]} <= groups
        police_groups = {hints.user_group(self.personas[name].pk) for name in POLICE_PERSONAS}
        every_group = {group for sent_groups, _ in self.sent for group in sent_groups}
        heard_by_police = every_group & police_groups
        district_groups = {group for group in every_group if group.startswith("district-")}
        if kind in POLICE_VISIBLE_KINDS:
            assert kind not in PARTNER_ONLY_KINDS
            # The incident's district list and the filer's district list (sergeant.b2's) both refresh.
            police = {hints.district_group(self.e13.pk), hints.district_group(self.b2.pk)}
            assert {hints.user_group(self.personas["officer.b2"].pk), *police} <= groups
            assert district_groups == police
            # The officer who filed it, never another police user (the sergeant hears through the district).
            assert heard_by_police <= {hints.user_group(self.personas["officer.b2"].pk)}
        else:
            assert kind in PARTNER_ONLY_KINDS
            assert heard_by_police == set(), f"police heard of {kind}: {self.sent}"
            assert district_groups == set(), f"a district list heard of {kind}: {self.sent}"

    def _snapshot(self, case: Case) -> dict:
        """Every row an action may write for this referral, as plain values."""
        referral = case.referral
        return {
            "referral": Referral.objects.filter(pk=referral.pk).values().get(),
            "case": CaseworkCase.objects.filter(referral=referral).values().get(),
            "person": CaseworkPerson.objects.filter(referral=referral).values().get(),
            "subject": Subject.objects.filter(referral=referral).values().get(),
            "consents": list(Consent.objects.filter(referral=referral).order_by("pk").values()),
            "events": list(ReferralEvent.objects.filter(referral=referral).order_by("pk").values()),
            "notes": list(ClinicalNote.objects.filter(referral=referral).order_by("pk").values()),
            "attempts": list(ContactAttempt.objects.filter(referral=referral).order_by("pk").values()),
            "goals": list(Goal.objects.filter(referral=referral).order_by("pk").values()),
            "group_grants": sorted(
                ReferralGroupObjectPermission.objects.filter(content_object=referral).values_list(
                    "group_id", "permission__codename"
                )
            ),
            "user_grants": sorted(
                ReferralUserObjectPermission.objects.filter(content_object=referral).values_list(
                    "user_id", "permission__codename"
                )
            ),
            "onward": list(Referral.objects.filter(rerouted_from=referral).values_list("pk", flat=True)),
            "referrals": Referral.objects.count(),
            "notifications": Notification.objects.count(),
        }

    # --- the steps --------------------------------------------------------------------------------------------

    @rule(data=st.data(), i=CASES, action=st.sampled_from(ACTIONS))
    def act(self, data, i, action):
        """A random person takes a random action on a random referral."""
        case = self.cases[i]
        # A third of the time a referral in a state the action is open in (referrals close fast under random steps),
        # a third of the time one whose consent allows it too: the consent gate is probed from both sides.
        in_state = [case for case in self.cases if case.state in AUTHORITY[action][1]]
        choices = {"in state": in_state, "in state and ready": [c for c in in_state if self._now(action, c)]}
        pick = data.draw(st.sampled_from(["any", *choices]), label="pick")
        if choices.get(pick):
            case = data.draw(st.sampled_from(choices[pick]), label="case")
        params = data.draw(parameters(action), label="parameters")
        if action == "goal_met":
            with_goals = [case for case in self.cases if case.goals]
            if not with_goals:
                return
            case = data.draw(st.sampled_from(with_goals), label="case")
            # One of its goals, mostly; sometimes another referral's.
            goals = sorted(case.goals) + [pk for other in self.cases for pk in sorted(other.goals)][:2]
            params["goal"] = data.draw(st.sampled_from(goals), label="goal")
        # Half the time someone the table lets act (the permission included): random people alone rarely take a
        # referral far, and rarely hold "override consent".
        entitled = [persona for persona in PERSONAS if self._permitted(persona, action, case)]
        anyone = st.sampled_from(PERSONAS)
        actor = data.draw(st.one_of(anyone, st.sampled_from(entitled)) if entitled else anyone, label="actor")
        self._act(case, actor, action, params)

    @rule(i=CASES, late=st.booleans())
    def first_contact_sweep(self, i, late):
        """The first-contact deadline sweep, just before or just after the referral's due time."""
        case = self.cases[i]
        due = Referral.objects.get(pk=case.referral.pk).due_at
        assert (due is not None) == case.due
        if due is None:
            now = timezone.now() + timedelta(days=30)
        else:
            now = due + timedelta(seconds=1) if late else due - timedelta(seconds=1)
        before = self._snapshot(case)
        self.sent.clear()

        with self.capture(execute=True):
            escalated = casework.first_contact_escalate_if_due(referral_id=case.referral.pk, now=now)

        # Due only while nobody has reached out: taken or not, the deadline runs until a first contact.
        assert escalated == (late and case.due)
        assert not case.due or case.state in {SUBMITTED, *REACHING}
        if not escalated:
            assert self._snapshot(case) == before
            assert self.sent == []
            return
        case.due = False
        case.expected.append(("first_contact_overdue", case.state))
        self._check_hint(case, "first_contact_overdue", {"holders": set(case.holders), "assignee": case.assignee})
        # The supervisors are told (and the worker who has it), with the reference only.
        told = Notification.objects.filter(kind="escalated", url=f"/queue/{case.referral.public_id}/")
        expected = {"youth.supervisor", NO_OVERRIDE, *([case.assignee] if case.assignee else [])}
        assert set(told.values_list("user__username", flat=True)) == expected
        case.referral = Referral.objects.get(pk=case.referral.pk)
        self.dirty.add(i)

    # --- invariants -------------------------------------------------------------------------------------------

    @invariant()
    def rows_are_as_the_model_expects(self):
        referrals = Referral.objects.select_related("assignee", "casework").in_bulk([c.referral.pk for c in self.cases])
        view = ReferralGroupObjectPermission.objects.filter(
            content_object__in=list(referrals), permission__codename="view_clinical"
        ).select_related("group__team__district")
        holders: dict[int, set[str]] = {}
        for grant in view:
            holders.setdefault(grant.content_object_id, set()).add(team_key(grant.group.team))
        consents: dict[int, list[Consent]] = {}
        for row in Consent.objects.filter(referral__in=list(referrals)).order_by("pk"):
            consents.setdefault(row.referral_id, []).append(row)
        for case in self.cases:
            referral = referrals[case.referral.pk]
            assert referral.casework.state == case.state
            assert (referral.casework.engaged_at is not None) == case.engaged
            assert (referral.assignee.username if referral.assignee else None) == case.assignee
            assert team_key(referral.team) == "E13"  # casework has no transfers: the station team keeps it
            assert holders.get(referral.pk, set()) == case.holders
            assert referral.police_status == case.police_status
            assert referral.phase == PHASE[case.state]
            assert (referral.due_at is not None) == case.due
            assert referral.district_id == self.e13.pk  # the incident district never changes
            rows = consents.get(referral.pk, [])
            assert sorted((row.given_by, row.scope) for row in rows if row.revoked_at is None) == sorted(case.consents)
            assert sum(row.revoked_at is not None for row in rows) == case.withdrawn
            assert (consent.consent_in_force(referral) is not None) == case.consent_in_force
            if case.ended_by:
                close_reason = {"revoked": "consent_revoked", "rerouted": "transferred"}[case.ended_by]
                assert referral.casework.close_reason == close_reason
            onward = list(Referral.objects.filter(rerouted_from=referral).values_list("program__slug", flat=True))
            assert onward == ([case.onward] if case.onward else [])


def test_random_casework_sequences_keep_the_invariants(personas, django_capture_on_commit_callbacks):
    personas = {
        **personas,
        SECOND_WORKER: second_youth_worker(),
        NO_OVERRIDE: partner_person(NO_OVERRIDE, "YouthConnect", Role.WORKER_SUPERVISOR, all_districts=True),
    }
    assert personas["youth.supervisor"].has_perm("referrals.override_consent")
    assert not personas[NO_OVERRIDE].has_perm("referrals.override_consent")
    run_machine(CaseworkMachine, personas=personas, capture=django_capture_on_commit_callbacks, stateful_step_count=50)


def test_the_authority_table_names_every_action_of_the_workflow():
    from referrals.workflows.casework.spec import ACTIONS as SPEC_ACTIONS

    # The table is written independently of the spec; it must still cover every action the spec offers.
    assert set(AUTHORITY) == set(SPEC_ACTIONS)
