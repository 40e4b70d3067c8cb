"""Every Hub action against every kind of person, in every state a situation passes through, under both reveal
settings: what ``hub.policy.can`` answers, what the service does, and how much of the identity each person reads.

The expected answers are the authority table below, written out cell by cell from the design (issue 11), not
derived from ``hub.policy.RULES``. A cell is checked both ways: ``policy.can`` (what pages show) and the service
itself (what happens whoever calls it). A refusal must change no row: situation, reveals, assignments, events,
access log, agenda, updates, checks, notifications, referrals; and schedule no hint. A call the table allows is
carried out inside a savepoint that is then rolled back, so one person's success never changes what the next finds.

The people (columns, in this order):

    co  coordinator of this table (hub.coordinator, Boston Hub)
    oc  coordinator of another table (hub.dorchester, Dorchester Hub, runs the C11 table)
    or  member of the originating agency (agency.police: a representative of the police agency, no membership)
    pr  the officer who proposed it (officer.b2), for the police agency
    oo  another officer (officer.d4)
    ps  a police supervisor (sergeant.b2)
    le  member of the agency chosen as lead (agency.housing, BHA)
    as  member of the agency chosen as assisting (agency.school, BPS)
    rv  member of an agency with an agreement, present, revealed to under "present", never chosen (agency.bcyf)
    na  member of an agency present without a sharing agreement (agency.health, BPHC): never revealed to
    ot  member of an agency of the other table only (agency.dfs)
    cl  a clinician (clinician.b2)
    yw  a youth worker (youth.e13)
    an  an analyst (analyst, BPD)
    ad  the administrator (admin, superuser, no membership)
    in  an inactive user holding a coordinator membership of this table's Hub office (hub.former)

The states (rows): proposed, on_agenda, rejected, accepted (threshold met, names not shared yet), shared (accepted,
names shared with the agencies present: the "present" setting only), intervention (BHA lead, BPS assisting),
concluded (31 days ago, so the 30-day outcome check is due).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from hub import export, policy, services
from hub.models import AgeBand, ConclusionCode, HubAccessLog, Response, RiskFactor, Situation, Table
from hub.selectors import identity_for, situations_visible_to
from programs.models import Program, Workflow
from referrals.errors import ReferralError, Refused
from tests.hub import HubCast, build_hub_cast, build_hub_seed, hub_rows

PRESENT, CHOSEN = Table.Reveal.PRESENT, Table.Reveal.CHOSEN

COLUMNS = ["co", "oc", "or", "pr", "oo", "ps", "le", "as", "rv", "na", "ot", "cl", "yw", "an", "ad", "in"]
USERS = {  # column → key of HubSeed.users, or "persona:<username>"
    "co": "coordinator",
    "oc": "other_coordinator",
    "or": "police_rep",
    "pr": "officer",
    "oo": "outsider",
    "ps": "persona:sergeant.b2",
    "le": "housing",
    "as": "school",
    "rv": "bcyf",
    "na": "health",
    "ot": "dfs",
    "cl": "clinician",
    "yw": "persona:youth.e13",
    "an": "persona:analyst",
    "ad": "persona:admin",
    "in": "former",
}
STATES = ("proposed", "on_agenda", "rejected", "accepted", "shared", "intervention", "concluded")
CASES = [(reveal, state) for reveal in (PRESENT, CHOSEN) for state in STATES if (reveal, state) != (CHOSEN, "shared")]

# --- the authority table ----------------------------------------------------------------------------------------
# A cell:  +  carried out (policy.can True)
#          R  Refused: not this person's to do (policy.can False)
#          S  ReferralError: theirs, but not in this state (policy.can False)
#          I  ReferralError: policy.can True, but the service refuses what it is asked (names already shared, or
#             a table that shares names only with the agencies it chooses)
# For "view":  + can see it (policy.can and situations_visible_to agree), - cannot.
#
#                        co oc or pr oo ps le as rv na ot cl yw an ad in
NOBODY = "                 R  R  R  R  R  R  R  R  R  R  R  R  R  R  R  R"
COORD = "                  +  R  R  R  R  R  R  R  R  R  R  R  R  R  R  R"
COORD_NOT_NOW = "          S  R  R  R  R  R  R  R  R  R  R  R  R  R  R  R"
CHOSEN_DO = "              R  R  R  R  R  R  +  +  R  R  R  R  R  R  R  R"
CHOSEN_NOT_NOW = "         R  R  R  R  R  R  S  S  R  R  R  R  R  R  R  R"

AUTHORITY: dict[str, dict[str, str]] = {
    # A proposed situation is its originating agency's and the coordinators' (filter 1); from the agenda on, every
    # agency at the table sees it de-identified. Never anyone else.
    "view": {
        "proposed": "      +  -  +  +  -  -  -  -  -  -  -  -  -  -  -  -",
        **dict.fromkeys(STATES[1:], "  +  -  +  +  -  -  +  +  +  +  -  -  -  -  -  -"),
    },
    # The coordinator puts it on an agenda to decide it, or for a later status update; not once it has ended.
    "agenda_add": {
        "proposed": COORD,
        "on_agenda": COORD,
        "rejected": COORD_NOT_NOW,
        "accepted": COORD,
        "shared": COORD,
        "intervention": COORD,
        "concluded": COORD_NOT_NOW,
    },
    "threshold_decide": {state: COORD if state == "on_agenda" else COORD_NOT_NOW for state in STATES},
    # Names at filter 3: once, to the agencies present (a second time has nobody new to tell).
    "names_reveal": {
        **dict.fromkeys(STATES, COORD_NOT_NOW),
        "accepted": COORD,
        "shared": "        I  R  R  R  R  R  R  R  R  R  R  R  R  R  R  R",
    },
    "agencies_choose": {state: COORD if state in ("accepted", "shared") else COORD_NOT_NOW for state in STATES},
    # Filter 4 and the hand-on to casework are the chosen agencies' (lead or assisting), in intervention only. Before
    # the choice nobody is chosen (R); after the conclusion the chosen still are, but it is over (S).
    **{
        action: {
            **dict.fromkeys(("proposed", "on_agenda", "rejected", "accepted", "shared"), NOBODY),
            "intervention": CHOSEN_DO,
            "concluded": CHOSEN_NOT_NOW,
        }
        for action in ("door_knock_plan", "door_knock_log", "casework_referral_open")
    },
    # Status updates: the coordinator and the originating agency from the threshold on, the chosen agencies once
    # chosen; until the conclusion.
    "status_update": {
        "proposed": "      S  R  S  S  R  R  R  R  R  R  R  R  R  R  R  R",
        "on_agenda": "     S  R  S  S  R  R  R  R  R  R  R  R  R  R  R  R",
        "rejected": "      S  R  S  S  R  R  R  R  R  R  R  R  R  R  R  R",
        "accepted": "      +  R  +  +  R  R  R  R  R  R  R  R  R  R  R  R",
        "shared": "        +  R  +  +  R  R  R  R  R  R  R  R  R  R  R  R",
        "intervention": "  +  R  +  +  R  R  +  +  R  R  R  R  R  R  R  R",
        "concluded": "     S  R  S  S  R  R  S  S  R  R  R  R  R  R  R  R",
    },
    "conclude": {state: COORD if state == "intervention" else COORD_NOT_NOW for state in STATES},
    # Outcome checks: the coordinator, the lead agency and the originating agency, once concluded.
    "outcome_check": {
        "proposed": "      S  R  S  S  R  R  R  R  R  R  R  R  R  R  R  R",
        "on_agenda": "     S  R  S  S  R  R  R  R  R  R  R  R  R  R  R  R",
        "rejected": "      S  R  S  S  R  R  R  R  R  R  R  R  R  R  R  R",
        "accepted": "      S  R  S  S  R  R  R  R  R  R  R  R  R  R  R  R",
        "shared": "        S  R  S  S  R  R  R  R  R  R  R  R  R  R  R  R",
        "intervention": "  S  R  S  S  R  R  S  R  R  R  R  R  R  R  R  R",
        "concluded": "     +  R  +  +  R  R  +  R  R  R  R  R  R  R  R  R",
    },
}
# Where the "chosen" setting answers differently: it never shares names at filter 3.
AUTHORITY_CHOSEN = {("names_reveal", "accepted"): "I  R  R  R  R  R  R  R  R  R  R  R  R  R  R  R"}

# Table-level actions, either setting:
#                     co oc or pr oo ps le as rv na ot cl yw an ad in
TABLE_ACTIONS = {
    # Anyone acting for an agency at the table, and police officers and supervisors for the police agency.
    "propose": "      R  R  +  +  +  +  +  +  +  +  R  R  R  R  R  R",
    "export": "       +  R  R  R  R  R  R  R  R  R  R  R  R  R  R  R",
}

# --- the identity rule ------------------------------------------------------------------------------------------
# F names, dates of birth and addresses; n names only; . nothing.
#                       co oc or pr oo ps le as rv na ot cl yw an ad in
ORIGINATING_ONLY = "     .  .  F  F  .  .  .  .  .  .  .  .  .  .  .  ."
IDENTITY: dict[str, dict[str, str]] = {
    PRESENT: {
        "proposed": ORIGINATING_ONLY,
        "on_agenda": ORIGINATING_ONLY,
        "rejected": ORIGINATING_ONLY,
        "accepted": ORIGINATING_ONLY,
        "shared": "        .  .  F  F  .  .  n  n  n  .  .  .  .  .  .  .",
        "intervention": "  .  .  F  F  .  .  F  F  .  .  .  .  .  .  .  .",
        "concluded": ORIGINATING_ONLY,
    },
    CHOSEN: {
        "proposed": ORIGINATING_ONLY,
        "on_agenda": ORIGINATING_ONLY,
        "rejected": ORIGINATING_ONLY,
        "accepted": ORIGINATING_ONLY,
        "intervention": "  .  .  F  F  .  .  F  F  .  .  .  .  .  .  .  .",
        "concluded": ORIGINATING_ONLY,
    },
}
SCOPE_CODE = {None: ".", "names": "n", "full": "F"}


def cells(row: str) -> str:
    """ "  +  R  S" → "+RS": the expected row as one string, one character per column."""
    found = "".join(row.split())
    assert len(found) == len(COLUMNS), row
    return found


def expected_actions(reveal: str, state: str) -> dict[str, str]:
    found = {action: cells(rows[state]) for action, rows in AUTHORITY.items()}
    if reveal == CHOSEN:
        for (action, at), row in AUTHORITY_CHOSEN.items():
            if at == state:
                found[action] = cells(row)
    return found


def test_the_authority_table_names_every_action_and_state():
    # Written independently of the policy; it must still cover every action the policy knows.
    assert set(AUTHORITY) == set(policy.RULES)
    for action, rows in AUTHORITY.items():
        assert set(rows) == set(STATES), action
        for row in rows.values():
            cells(row)
    for reveal, rows in IDENTITY.items():
        assert set(rows) == {state for r, state in CASES if r == reveal}
    for row in TABLE_ACTIONS.values():
        cells(row)


# --- the world --------------------------------------------------------------------------------------------------


class World:
    """A B2 table (``reveal``) with five agencies, the C11 table, the people above, and casework programs for the
    two agencies the table chooses (BHA and BPS), so each can open a referral to its own."""

    def __init__(self, personas, reveal: str):
        self.cast: HubCast = build_hub_cast(build_hub_seed(personas, reveal=reveal))
        self.seed = self.cast.seed
        self.users = {
            column: personas[key.split(":", 1)[1]] if key.startswith("persona:") else self.seed.users[key]
            for column, key in USERS.items()
        }
        self.programs = {
            short_name: Program.objects.create(
                name=f"{short_name} support",
                slug=f"{short_name.lower()}-support",
                organisation=Organisation.objects.get(short_name=short_name),
                workflow=Workflow.CASEWORK,
                uses_rosters=False,
            )
            for short_name in ("BHA", "BPS")
        }
        self.meeting = self.seed.meeting(present=("police", "housing", "school", "bcyf", "health"))
        self.next_meeting = services.meeting_schedule(
            table=self.seed.table, actor=self.seed.coordinator, held_on=timezone.localdate() + timedelta(days=7)
        )

    def situation(self, state: str) -> Situation:
        seed = self.seed
        situation = seed.propose("officer")
        path = {"accepted": "accepted_unrevealed", "shared": "accepted"}.get(state, state)
        situation = seed.to_state(situation, path, meeting=self.meeting, lead="housing", assisting=("school",))
        if state == "concluded":
            Situation.objects.filter(pk=situation.pk).update(concluded_at=timezone.now() - timedelta(days=31))
        situation = Situation.objects.get(pk=situation.pk)
        assert situation.state == {"shared": "accepted"}.get(state, state)
        return situation

    def call(self, action: str, column: str, situation: Situation):
        user = self.users[column]
        agencies = self.seed.agencies
        match action:
            case "agenda_add":
                return services.agenda_add(situation=situation, actor=user, meeting=self.next_meeting)
            case "threshold_decide":
                return services.threshold_decide(situation=situation, actor=user, meeting=self.meeting, met=True)
            case "names_reveal":
                return services.names_reveal(situation=situation, actor=user, meeting=self.meeting)
            case "agencies_choose":
                return services.agencies_choose(
                    situation=situation,
                    actor=user,
                    lead=agencies["housing"],
                    assisting=[agencies["school"]],
                    meeting=self.meeting,
                )
            case "door_knock_plan":
                return services.door_knock_plan(
                    situation=situation,
                    actor=user,
                    agencies=[agencies["housing"]],
                    planned_for=timezone.now() + timedelta(hours=2),
                )
            case "door_knock_log":
                return services.door_knock_log(situation=situation, actor=user, response=Response.ACCEPTED)
            case "status_update":
                return services.status_update_add(
                    situation=situation, actor=user, text="Engaged with support; a school meeting is booked."
                )
            case "conclude":
                code = ConclusionCode.objects.get(group="risk_lowered", code="connected-to-services")
                return services.situation_conclude(situation=situation, actor=user, code=code)
            case "outcome_check":
                return services.outcome_check_record(
                    situation=situation, actor=user, days=30, still_connected=True, new_incidents=False
                )
            case "casework_referral_open":
                program = self.programs["BPS" if column == "as" else "BHA"]
                return services.casework_referral_open(
                    situation=situation, actor=user, program=program, consent="person"
                )
        raise AssertionError(action)


class _RolledBack(Exception):
    pass


def attempt(call, capture) -> tuple[str, list]:
    """Run ``call`` in a savepoint rolled back afterwards: "+" done, "R" Refused, "E" ReferralError; and the
    after-commit callbacks it left."""
    try:
        with transaction.atomic():
            with capture() as callbacks:
                call()
            raise _RolledBack
    except _RolledBack:
        return "+", callbacks
    except Refused:
        return "R", callbacks
    except ReferralError:
        return "E", callbacks


def code_for(outcome: str, can: bool) -> str:
    """The authority table's code for what happened; a lower-case or "!" code where policy and service disagree."""
    if outcome == "+":
        return "+" if can else "!"
    if outcome == "R":
        return "r" if can else "R"
    return "I" if can else "S"


# --- the tests ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("reveal", "state"), CASES, ids=[f"{reveal}-{state}" for reveal, state in CASES])
def test_each_person_may_do_and_read_what_the_tables_say(personas, django_capture_on_commit_callbacks, reveal, state):
    world = World(personas, reveal)
    situation = world.situation(state)
    actual: dict[str, str] = {}
    leaks = []
    for action in AUTHORITY:
        row = ""
        for column in COLUMNS:
            user = world.users[column]
            fresh = Situation.objects.select_related("table").get(pk=situation.pk)
            can = policy.can(user, action, fresh)
            if action == "view":
                sees = situations_visible_to(user).filter(pk=situation.pk).exists()
                row += ("+" if can else "-") if can == sees else "?"
                continue
            before = hub_rows([situation.pk])
            outcome, callbacks = attempt(
                lambda a=action, c=column, s=fresh: world.call(a, c, s), django_capture_on_commit_callbacks
            )
            row += code_for(outcome, can)
            # Done or refused, nothing stays: a refusal writes nothing, a success was rolled back with its savepoint.
            assert hub_rows([situation.pk]) == before, (action, column)
            if outcome != "+" and callbacks:
                leaks.append((action, column, "scheduled after-commit work although refused"))
        actual[action] = row
    assert leaks == []
    assert actual == expected_actions(reveal, state)

    # How much of the identity each reads: the policy's answer, and what identity_for gives (and logs).
    scopes, read = "", ""
    for column in COLUMNS:
        user = world.users[column]
        fresh = Situation.objects.select_related("table").get(pk=situation.pk)
        scopes += SCOPE_CODE[policy.identity_scope(user, fresh)]
        logged = HubAccessLog.objects.count()
        found = identity_for(user, situation, view="test", reason="permission matrix")
        read += SCOPE_CODE[None if found is None else found.scope]
        # A read is logged, a refusal is not; a names-only read carries no date of birth or address.
        assert HubAccessLog.objects.count() == logged + (found is not None), column
        if found is not None and found.names_only:
            assert all(p.date_of_birth is None and p.address == "" for p in found.persons), column
    assert scopes == read
    assert scopes == cells(IDENTITY[reveal][state])


@pytest.mark.parametrize("reveal", [PRESENT, CHOSEN])
def test_who_proposes_to_the_table_and_who_exports_it(personas, django_capture_on_commit_callbacks, reveal):
    world = World(personas, reveal)
    table = world.seed.table
    world.situation("concluded")  # something to export
    propose, rtd = "", ""
    for column in COLUMNS:
        user = world.users[column]
        can = policy.can_propose(user, table)
        before = hub_rows([])

        def call(user=user):
            return services.situation_propose(
                table=table,
                actor=user,
                idempotency_key=uuid.uuid4(),
                discussion_type="person",
                description="Young person missing school, conflict at home.",
                persons=[
                    services.NewPerson(
                        age_band=AgeBand.objects.get(code="16-17"), gender="female", full_name="Robin Example"
                    )
                ],
                risk_factors=list(RiskFactor.objects.filter(code="truancy")),
            )

        outcome, callbacks = attempt(call, django_capture_on_commit_callbacks)
        propose += code_for(outcome, can)
        assert hub_rows([]) == before, column
        assert outcome == "+" or not callbacks, column
        try:
            rows = export.rtd_rows(user=user, table=table)
        except Refused:
            rtd += "R"
        else:
            assert len(rows) == 1
            rtd += "+"
    assert {"propose": propose, "export": rtd} == {
        "propose": cells(TABLE_ACTIONS["propose"]),
        "export": cells(TABLE_ACTIONS["export"]),
    }
