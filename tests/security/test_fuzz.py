"""Every form and JSON endpoint, fed hostile input by hypothesis as a persona allowed to use it: never a 500, and a
refusal (4xx) changes nothing: no row added or removed anywhere, no field of the objects in play changed (a refused
single sign-on writes its one security-log row, and nothing else).

Each test seeds one database and runs every example in a rolled-back savepoint of it. The normal run asks about
10,500 requests in all (about 10,800: the program chooser asks twice per example), the cheap endpoints (the relay,
sign-in) more, the costly pages (propose, the case page) fewer; ``make fuzz`` asks 107,000, ``FUZZ_EXAMPLES=n make
fuzz`` n. A request that wrote nothing (``writes``) is not fingerprinted: most refusals cost only themselves.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from urllib.parse import urlencode

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.conftest import MISSING_ID, MISSING_PUBLIC_ID, World, in_savepoint, row_counts

pytestmark = pytest.mark.django_db

BASE_TOTAL = 11_990  # the examples the budgets below add up to: the normal run asks them all
# `make fuzz` asks FUZZ_EXAMPLES in all, each test its share.
TOTAL = int(os.environ.get("FUZZ_EXAMPLES") or BASE_TOTAL)


def fuzz(examples: int):
    """hypothesis settings for a test worth ``examples`` of the normal run's total."""
    return settings(
        max_examples=max(1, round(examples * TOTAL / BASE_TOTAL)),
        deadline=None,
        database=None,  # nothing written into the work tree; a failure prints its own reproduction
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- hostile values --------------------------------------------------------------------------------------------------
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 10**30, 121, 9999]),
    st.floats(allow_nan=True, allow_infinity=True),
)
# Hostile values without a NUL byte: config.middleware answers 400 to any request carrying one before a view runs,
# so they are kept to the stray keys (and SCALARS), where they cannot hide every field's other values.
TEXTS = st.one_of(
    st.text(max_size=40).filter(lambda s: "\x00" not in s),  # any unicode, surrogates excluded by the encoding
    st.sampled_from(["", " ", "null", "None", "true", "[]", "{}", "' OR 1=1 --", "<script>", "../../etc"]),
    st.sampled_from(["2024-02-30", "9999-12-31", "0001-01-01", "24:00", "-1", "1e309", "NaN", "٣", "²", "１２"]),
    st.builds(lambda n: "x" * n, st.sampled_from([2001, 5000, 100_000])),
    NUMBERS.map(str),
    st.uuids().map(str),
    st.sampled_from(["not-a-uuid", "00000000-0000-0000-0000-000000000000", str(MISSING_ID)]),
)
NUL = st.one_of(st.just("\x00"), st.text(alphabet=st.characters(codec="utf-8"), max_size=20).map(lambda s: s + "\x00"))
SCALARS = st.one_of(TEXTS, NUL)


def values(choices: list[str]):
    """A field's value: hostile, or one of its plausible values (so deeper code paths run), once or repeated."""
    one = st.one_of(TEXTS, st.sampled_from(choices)) if choices else TEXTS
    return st.one_of(one, st.lists(one, min_size=2, max_size=3))


def form_data(fields: dict[str, list[str]]):
    """Some of ``fields`` (each missing or not), each with a hostile or plausible value, and stray extra keys."""
    known = st.fixed_dictionaries({}, optional={name: values(choices) for name, choices in fields.items()})
    extra = st.dictionaries(st.text(min_size=1, max_size=10), SCALARS, max_size=2)
    return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})


def nearly_valid(fields: dict[str, list[str]]):
    """Every field with a plausible value, then one or two of them dropped or made hostile: a form that often
    passes, so the services behind it run (and their refusals are checked), not only the form's errors. Half the
    time, ``form_data``'s free mix instead."""
    plausible = st.fixed_dictionaries({name: st.sampled_from(choices) for name, choices in fields.items() if choices})
    spoilt = st.dictionaries(st.sampled_from(sorted(fields)), st.one_of(st.none(), values([])), max_size=2)

    def spoil(pair):
        data, changes = pair
        data = {**data, **changes}
        return {name: value for name, value in data.items() if value is not None}

    return st.one_of(st.tuples(plausible, spoilt).map(spoil), form_data(fields))


# --- the check around each request --------------------------------------------------------------------------------
ASKED: dict = {"count": 0, "tests": {}, "statuses": Counter()}


def writes() -> int | None:
    """How many rows this connection has inserted, updated or deleted so far (SQLite: the connection's
    total_changes; PostgreSQL: the transaction's statistics), or None where the database does not say. Equal before
    and after a request means it wrote nothing: no need to compare the fingerprints."""
    if connection.vendor == "sqlite":
        return connection.connection.total_changes
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_all_tables")
            return int(cursor.fetchone()[0])
    return None


def fingerprint() -> tuple:
    """Row counts everywhere, and every field of the rows the endpoints under test can change."""
    from dashboards.models import ActionPlan
    from hub.models import AgendaItem, Assignment, Meeting, OutcomeCheck, Reveal, Situation, StatusUpdate, Table
    from notifications.models import Contact, DeliveryPreference, Notification
    from referrals.models import Referral
    from referrals.workflows.casework.models import CaseworkCase, CaseworkPerson, Goal
    from referrals.workflows.co_response.models import ClinicalRecord, CoResponseCase, FollowUp
    from routing.models import Shift

    rows = tuple(
        tuple(model.objects.order_by("pk").values_list())
        for model in (
            Referral,
            CoResponseCase,
            ClinicalRecord,
            FollowUp,
            CaseworkCase,
            CaseworkPerson,
            Goal,
            Notification,
            Shift,
            Contact,
            DeliveryPreference,
            Table,
            Meeting,
            AgendaItem,
            Situation,
            Assignment,
            Reveal,
            StatusUpdate,
            OutcomeCheck,
            ActionPlan,
        )
    )
    return row_counts(), rows


# Pages that log every read of what they show, by URL prefix: the access-log table.
READ_LOGS = {"/queue/": "referrals_clinicalaccesslog", "/hub/situations/": "hub_hubaccesslog"}
# Routes whose refusals are audited, by URL prefix: a refused single sign-on writes its one security-log row.
AUDITED_REFUSALS = {"/accounts/sso/": "accounts_securityevent"}
BASELINE: dict = {}  # the world as every example of the running test starts from (each one is rolled back)


@pytest.fixture(autouse=True)
def _fresh_baseline(request):
    BASELINE.clear()
    asked, started = ASKED["count"], time.perf_counter()
    ASKED["statuses"] = Counter()
    yield
    BASELINE.clear()
    # For the run's summary (tests/security/conftest.py): requests, seconds and the answers' statuses, per test.
    ASKED["tests"][request.node.name] = (ASKED["count"] - asked, time.perf_counter() - started, ASKED["statuses"])


def check(client, method: str, url: str, data=None, **extra) -> int:
    """One request in a rolled-back savepoint: never a 500; a 4xx leaves every row as it was.

    Every example starts from the same rows (the savepoint), so the "before" is taken once per test and the
    "after" only for a refusal that wrote something (``writes``): the fingerprint costs more than the request."""

    def run():
        start = writes()
        response = getattr(client, method)(url, data, **extra)
        refused = 400 <= response.status_code < 500
        wrote = start is None or writes() != start
        return response.status_code, (fingerprint() if refused and wrote else None)

    if "before" not in BASELINE:
        BASELINE["before"] = fingerprint()
    before = BASELINE["before"]
    status, after = in_savepoint(run)
    ASKED["count"] += 1
    ASKED["statuses"][status] += 1
    assert status < 500, f"{method.upper()} {url} {data!r} -> {status}"
    if after is not None:
        logged = next((log for prefix, log in READ_LOGS.items() if url.startswith(prefix)), None)
        audited = next((log for prefix, log in AUDITED_REFUSALS.items() if url.startswith(prefix)), None)
        if audited:
            assert after[0][audited] - before[0][audited] <= 1
            before = ({**before[0], audited: after[0][audited]}, before[1])
        if status in (400, 403, 404, 409, 422) and logged:
            # The page comes back (the form's errors, or a 400): showing the record (the case, the situation's
            # identity) is a read, and every such read writes its access-log row (DESIGN: the privacy boundary); a
            # refused read of a record that exists writes its "refused" row. Nothing else may.
            assert after[0][logged] - before[0][logged] <= 1
            before = ({**before[0], logged: after[0][logged]}, before[1])
        assert before[0] == after[0], f"{method.upper()} {url} {data!r} -> {status}, but rows were added or removed"
        assert before[1] == after[1], f"{method.upper()} {url} {data!r} -> {status}, but a row changed"
    return status


@pytest.fixture
def fuzz_client(client, world):
    client.raise_request_exception = False

    def as_(username: str):
        client.logout()
        if username != "anonymous":
            client.force_login(world.users[username])
        return client

    return as_


def _choices(world: World) -> dict[str, list[str]]:
    """Plausible values, and forged ones: other people's and other organisations' ids."""
    from accounts.models import Organisation
    from districts.models import District
    from programs.models import Program

    return {
        "districts": [str(pk) for pk in District.objects.values_list("pk", flat=True)[:4]] + ["0"],
        "users": [str(user.pk) for user in world.users.values()][:8],
        "programs": [str(pk) for pk in Program.objects.values_list("pk", flat=True)],
        "organisations": [str(pk) for pk in Organisation.objects.values_list("pk", flat=True)],
        "referrals": [referral.public_id for referral in world.referrals.values()],
        "referral_pks": [str(referral.pk) for referral in world.referrals.values()],
    }


# --- referrals: the officer's forms ----------------------------------------------------------------------------------
def _filing_fields(world: World, workflow: str) -> dict[str, list[str]]:
    from referrals import workflows

    form = workflows.get(workflow).filing_form
    c = _choices(world)
    plausible = {
        "idempotency_key": [str(uuid.uuid4())],
        "district": c["districts"],
        "urgency": ["now", "hour", "follow_up"],
        "reason_codes": ["suicidal", "psychosis", "youth_in_crisis", "other"],
        "subject_age": ["15", "34", "130"],
        "date_of_birth": ["2011-03-14", "2030-01-01"],
        "consent": ["guardian", "person", "none", "override"],
        "latitude": ["42.33", "91"],
        "longitude": ["-71.08", "181"],
        "weapon_seen": ["on"],
    }
    return {name: plausible.get(name, []) for name in form.base_fields}


@pytest.mark.parametrize(("program", "workflow"), [("co-response", "co_response"), ("youthconnect", "casework")])
def test_fuzz_new_request(fuzz_client, world, program, workflow):
    client = fuzz_client("officer.b2")
    fields = _filing_fields(world, workflow)

    @fuzz(450)
    @given(data=form_data(fields), program_value=st.one_of(st.just(program), SCALARS))
    def run(data, program_value):
        check(client, "post", "/referrals/new/", {**data, "program": program_value})

    run()


def test_fuzz_program_chooser_query(fuzz_client, world):
    client = fuzz_client("officer.d4")
    c = _choices(world)

    @fuzz(450)
    @given(params=form_data({"district": c["districts"], "age": ["15", "200"], "program": ["co-response"]}))
    def run(params):
        check(client, "get", "/referrals/new/", params)
        check(client, "get", "/referrals/new/", params, headers={"HX-Request": "true"})

    run()


def test_fuzz_officer_actions(fuzz_client, world):
    client = fuzz_client("officer.b2")
    c = _choices(world)

    @fuzz(600)
    @given(
        public_id=st.one_of(st.sampled_from(c["referrals"]), SCALARS.filter(lambda s: "/" not in s and s.strip())),
        action=st.sampled_from(["add-information", "cancel"]),
        data=form_data({"text": ["More detail."]}),
    )
    def run(public_id, action, data):
        check(client, "post", f"/referrals/{public_id}/{action}/", data)

    run()


# --- referrals: the partner's case actions ---------------------------------------------------------------------------
def _action_fields(world: World, workflow: str) -> dict[str, dict[str, list[str]]]:
    from referrals import workflows

    c = _choices(world)
    plausible = {
        "eta_minutes": ["12", "0", "600"],
        "disposition": ["stabilised", "section12", "ucc"],
        "section12_by": ["clinician", "physician", "officer"],
        "section12_kind": ["12a", "12b"],
        "kind": ["phone_call", "home_visit"],
        "due_at": ["2030-01-01T10:00", "1999-01-01T00:00"],
        "text": ["A note."],
        "part2": ["on"],
        "reason": ["safety", "other", "A reason."],
        "clinician": c["users"],
        "worker": c["users"],
        "district": c["districts"],
        "program": c["programs"],
        "follow_up": ["1", str(MISSING_ID)],
        "goal": ["1", str(MISSING_ID)],
        "tier": ["1", "2", "3", "4", "5"],
        "given_by": ["person", "guardian"],
        "scope": ["share_identity"],
        "given_at": ["2024-01-01T10:00"],
        "valid_until": ["2099-01-01"],
        "method": ["phone", "visit"],
        "outcome": ["left_message", "reached"],
        "attempted_at": ["2024-01-01T10:00"],
        "declined_by": ["person", "guardian"],
        "area": ["school", "housing"],
        "confirm": ["on", "yes"],
    }
    spec = workflows.get(workflow)
    return {
        name: {field: plausible.get(field, []) for field in (action.form.base_fields if action.form else ())}
        for name, action in spec.actions.items()
        if action.side == "partner"
    }


@pytest.mark.parametrize(
    ("username", "referral", "workflow"),
    [("clinician.supervisor", "co_b2", "co_response"), ("youth.supervisor", "yc_e13", "casework")],
)
def test_fuzz_case_actions(fuzz_client, world, username, referral, workflow):
    from referrals.workflows.casework import services as casework
    from referrals.workflows.co_response import services as co_response

    client = fuzz_client(username)
    # Taken on, so most actions are open: the fuzz reaches the forms and services, not only the refusals.
    target = world.referrals[referral]
    if workflow == "co_response":
        co_response.referral_accept(referral=target, actor=world.users[username])
    else:
        casework.referral_assign(referral=target, actor=world.users[username])
    actions = _action_fields(world, workflow)
    foreign = world.referrals["co_c11" if workflow == "co_response" else "so"].public_id

    @fuzz(300)
    @given(
        # Not a regex of made-up names beside them: hypothesis prefers what it has not tried, it would win most draws.
        action=st.sampled_from([*sorted(actions), "no-such-action", "file"]),
        public_id=st.sampled_from([target.public_id] * 4 + [foreign]),
        data=st.data(),
    )
    def run(action, public_id, data):
        fields = actions.get(action, {"text": []})
        check(client, "post", f"/queue/{public_id}/{action}/", data.draw(form_data(fields)))

    run()


# --- routing: rosters ------------------------------------------------------------------------------------------------
def test_fuzz_roster(fuzz_client, world):
    client = fuzz_client("clinician.supervisor")
    c = _choices(world)
    fields = {
        "user": c["users"],
        "day": ["2026-11-23", "1900-01-01", "9999-12-31"],
        "start": ["07:00", "19:00", "25:00"],
        "end": ["19:00", "07:00"],
        "districts": c["districts"],
        "on_call": ["on"],
        "week": ["2026-11-23", "0001-01-01", "9999-12-31"],
    }

    @fuzz(350)
    @given(data=form_data(fields), week=st.one_of(st.none(), SCALARS), post=st.booleans())
    def run(data, week, post):
        if post:
            check(client, "post", "/rosters/", data)
        else:
            check(client, "get", "/rosters/", {} if week is None else {"week": week})

    run()


def test_fuzz_forged_ids(fuzz_client, world):
    """Someone else's shift or notification, or none, by any id: 404 or "nothing to do", never a change."""
    client = fuzz_client("youth.supervisor")
    ids = st.one_of(
        st.sampled_from([*world.shifts.values(), *world.notifications.values(), MISSING_ID, 0]),
        st.integers(min_value=0, max_value=2**70),
    )

    @fuzz(400)
    @given(identifier=ids, route=st.sampled_from(["rosters/shifts/{}/delete/", "notifications/{}/read"]))
    def run(identifier, route):
        check(client, "post", "/" + route.format(identifier), {})

    run()


# --- hub: situation tables -------------------------------------------------------------------------------------------
def _hub_stage(world: World) -> dict:
    """More of the own table's life on its open meeting (tests/security/conftest.py, _hub_world): a situation on the
    agenda (to decide), one accepted with names shared (to choose for), one concluded (outcome checks), besides the
    one in intervention; and the plausible values of the Hub's forms, forged ones included."""
    from hub.models import AgeBand, ConclusionCode, ProtectiveFactor, RiskFactor, Service, Situation, StudyFlag

    seed = world.hub["seed"]["own"]
    meeting = seed.table.meetings.get(pk=world.hub["meeting"]["own"])
    staged = {"intervention": Situation.objects.get(public_id=world.hub["situation"]["own"])}
    for state, by in (("on_agenda", "housing"), ("accepted", "school"), ("concluded", "housing")):
        proposed = seed.propose(by, agency=seed.agencies[by])
        staged[state] = seed.to_state(proposed, state, meeting=meeting, lead="housing", assisting=("school",))
    foreign_seed = world.hub["seed"]["foreign"]
    agencies = [a.pk for a in seed.agencies.values()] + [a.pk for a in foreign_seed.agencies.values()]
    return {
        "situations": {state: s.public_id for state, s in staged.items()},
        "keys": [str(s.idempotency_key) for s in staged.values()],
        "meetings": [str(world.hub["meeting"]["own"])] * 3 + [str(world.hub["meeting"]["foreign"]), str(MISSING_ID)],
        "items": [str(pk) for pk in meeting.items.values_list("pk", flat=True)]
        + [str(world.hub["item"]["foreign"]), str(MISSING_ID)],
        "agencies": [str(pk) for pk in agencies],
        "risk_factors": [str(pk) for pk in RiskFactor.objects.values_list("pk", flat=True)[:6]],
        "protective_factors": [str(pk) for pk in ProtectiveFactor.objects.values_list("pk", flat=True)[:3]],
        "study_flags": [str(pk) for pk in StudyFlag.objects.values_list("pk", flat=True)[:3]],
        "age_bands": [str(pk) for pk in AgeBand.objects.values_list("pk", flat=True)],
        "codes": [str(pk) for pk in ConclusionCode.objects.values_list("pk", flat=True)[:4]],
        "services": [str(pk) for pk in Service.objects.values_list("pk", flat=True)[:4]],
        "people": [str(pk) for s in staged.values() for pk in s.persons.values_list("pk", flat=True)],
    }


WHEN = ["2030-01-01T10:00", "1999-01-01T00:00", "2026-11-23T09:30", "0001-01-01T00:00"]


@pytest.mark.parametrize("username", ["agency.housing", "officer.b2"])
def test_fuzz_hub_propose(fuzz_client, world, username):
    """Filter 1 as an agency member and as an officer: a fresh idempotency key, one already used (by them, by
    someone else, at another table), or none; someone else's agency, the other table, a referral not theirs."""
    from hub.models import DiscussionType, Gender

    client = fuzz_client(username)
    hub = _hub_stage(world)
    c = _choices(world)
    # Their own agency (and their own referral) most of the time: the others' are refused, the form or the service.
    own = world.hub["seed"]["own"].agencies["police" if username == "officer.b2" else "housing"]
    fields = {
        "idempotency_key": [str(uuid.uuid4()) for _ in range(6)] + hub["keys"],
        "agency": [str(own.pk)] * 4 + hub["agencies"],
        "referral": ["", "", "", str(world.referrals["co_b2"].pk), *c["referral_pks"]],
        "discussion_type": ["person"] * 3 + DiscussionType.values,
        "description": ["Missing school, conflict at home."] * 2 + ["Jordan Example was seen"],
        "risk_factors": hub["risk_factors"],
        "protective_factors": hub["protective_factors"],
        "study_flags": hub["study_flags"],
        "person_0_age_band": hub["age_bands"],
        "person_0_gender": Gender.values,
        "person_0_full_name": ["Jordan Example"],
        "person_0_date_of_birth": ["2008-05-17", "2008-05-17", "2999-01-01"],
        "person_0_address": ["40 Sample Rd"],
    }
    tables = [world.hub["table"]["own"]] * 4 + [world.hub["table"]["foreign"], MISSING_ID]

    @fuzz(200)
    @given(data=nearly_valid(fields), table=st.sampled_from(tables))
    def run(data, table):
        check(client, "post", f"/hub/tables/{table}/propose/", data)

    run()


def test_fuzz_hub_meeting_mode(fuzz_client, world):
    """Meeting mode as the coordinator: attendance, open and close, and each agenda item's decide, reveal, choose
    and conclude, on this meeting, another table's, or none, with any agenda item id and any form."""
    client = fuzz_client("hub.coordinator")
    hub = _hub_stage(world)
    fields = {
        "item": ["1", "2", "0", "-3", "99"],
        "agencies": hub["agencies"],
        "met": ["yes", "no", "maybe"],
        "lead": hub["agencies"],
        "assisting": hub["agencies"],
        "code": hub["codes"],
        "services": hub["services"],
    }
    path = st.one_of(
        st.builds("{}/attendance/".format, st.sampled_from(hub["meetings"])),
        st.builds("{}/{}/".format, st.sampled_from(hub["meetings"]), st.sampled_from(["open", "close", "adjourn"])),
        st.builds(
            "{}/items/{}/{}/".format,
            st.sampled_from(hub["meetings"]),
            st.sampled_from(hub["items"]),
            st.sampled_from(["decide", "reveal", "choose", "conclude", "agenda_add", "no-such-action"]),
        ),
    )

    @fuzz(650)
    @given(path=path, data=nearly_valid(fields), htmx=st.booleans())
    def run(path, data, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        check(client, "post", f"/hub/meetings/{path}", data, headers=headers)

    run()


HUB_ACTION_FIELDS = {
    "agenda_add": ("meeting",),
    "door_knock_plan": ("agencies", "planned_for"),
    "door_knock_log": ("response", "at"),
    "status_update": ("text", "services"),
    "conclude": ("code", "services"),
    "outcome_check": ("days", "still_connected", "new_incidents", "note"),
    "casework_referral_open": ("program", "person", "consent"),
}


@pytest.mark.parametrize("username", ["hub.coordinator", "agency.housing", "officer.b2"])
def test_fuzz_hub_situation_actions(fuzz_client, world, username):
    """A situation's actions as its coordinator, the lead agency and its proposer, on situations at every stage,
    another table's, or none: 302 or a refusal that changes nothing (an identity read is logged)."""
    from hub.models import Response

    client = fuzz_client(username)
    hub = _hub_stage(world)
    c = _choices(world)
    plausible = {
        "meeting": hub["meetings"],
        "agencies": hub["agencies"],
        "planned_for": WHEN,
        "at": WHEN,
        "response": Response.values,
        "text": ["Door knock done.", "Jordan Example moved"],
        "services": hub["services"],
        "code": hub["codes"],
        "days": ["30", "90", "60"],
        "still_connected": ["yes", "no", ""],
        "new_incidents": ["yes", "no", ""],
        "note": ["Doing well."],
        "program": c["programs"],
        "person": hub["people"],
        "consent": ["person", "guardian", ""],
    }
    actions = {name: {f: plausible[f] for f in names} for name, names in HUB_ACTION_FIELDS.items()}
    situations = [*hub["situations"].values()] * 2 + [world.hub["situation"]["foreign"], MISSING_PUBLIC_ID]

    @fuzz(330)
    @given(
        # The actions, and names the page does not serve: policy rules of meeting mode, made-up ones. (A regex of
        # made-up names beside them would win most draws: hypothesis prefers what it has not tried.)
        action=st.sampled_from([*sorted(actions), "threshold_decide", "view", "no-such-action"]),
        public_id=st.sampled_from(situations),
        data=st.data(),
    )
    def run(action, public_id, data):
        fields = actions.get(action, {"text": []})
        check(client, "post", f"/hub/situations/{public_id}/{action}/", data.draw(nearly_valid(fields)))

    run()


def test_fuzz_hub_pages(fuzz_client, world):
    """The coordinator's pages and their queries: a meeting's agenda position, the export's dates, scheduling a
    meeting on any date, htmx partials; any table or meeting id."""
    client = fuzz_client("hub.coordinator")
    tables = [str(world.hub["table"]["own"])] * 3 + [str(world.hub["table"]["foreign"]), str(MISSING_ID)]
    meetings = [str(world.hub["meeting"]["own"])] * 3 + [str(world.hub["meeting"]["foreign"]), str(MISSING_ID)]
    dates = ["2026-11-23", "1900-01-01", "9999-12-31", "2026-02-30"]
    meeting, table = st.sampled_from(meetings), st.sampled_from(tables)
    request = st.one_of(
        st.tuples(st.just("get"), st.builds("/hub/meetings/{}/".format, meeting)),
        st.tuples(st.just("get"), st.builds("/hub/tables/{}/export.csv".format, table)),
        st.tuples(st.just("post"), st.builds("/hub/tables/{}/meetings/".format, table)),
        st.tuples(st.just("get"), st.builds("/hub/tables/{}/".format, table)),
        st.tuples(st.just("get"), st.sampled_from(["/hub/", "/hub/escalations/"])),
    )
    fields = {"item": ["1", "2", "0", "-1"], "part": ["agenda"], "start": dates, "end": dates, "held_on": dates}

    @fuzz(650)
    @given(request=request, data=form_data(fields), htmx=st.booleans())
    def run(request, data, htmx):
        method, url = request
        check(client, method, url, data, headers={"HX-Request": "true"} if htmx else {})

    run()


def test_fuzz_part2_consents(fuzz_client, world):
    """A referral's Part 2 page as its organisation's supervisor: record, revoke and disclose with any values (no
    Part 2 note exists, so a disclosure never passes its form); a 400, 409 or 422 changes nothing but the read's
    access-log row."""
    from referrals import part2

    referral = world.referrals["co_b2"]
    supervisor = world.users["clinician.supervisor"]
    consent = part2.part2_consent_record(
        referral=referral, actor=supervisor, giver_name="G", recipient="Dr Roe", purpose="care", information="all"
    )
    client = fuzz_client("clinician.supervisor")
    url = f"/queue/{referral.public_id}/part2/"
    dates = ["2099-01-01", "2000-01-01", "2026-02-30", "tomorrow"]
    fields = {
        "do": ["record", "revoke", "disclose", "delete"],
        "giver_name": ["The person", " "],
        "recipient": ["Dr Roe", "dr roe", "Someone else"],
        "purpose": ["Care coordination"],
        "information": ["Medication"],
        "expires_on": dates,
        "consent": [str(consent.pk), str(MISSING_ID), "0"],
        "note": [str(MISSING_ID), "1"],
    }

    @fuzz(250)
    @given(data=nearly_valid(fields))
    def run(data):
        check(client, "post", url, data)

    run()


# --- privacy: the privacy officer's filters ---------------------------------------------------------------------------
def test_fuzz_privacy_filters(fuzz_client, world):
    """The access log's and the accounting's filters (GET), on the pages and their CSV exports: any value, a clear
    400 or the rows, never a 500, nothing written."""
    client = fuzz_client("privacy.officer")
    references = [world.referrals["co_b2"].public_id, world.hub["situation"]["own"], MISSING_PUBLIC_ID, "r-1"]
    users = ["clinician.b2", "CLINICIAN.B2", "nobody", "-evil", "=1+1"]
    dates = ["2026-11-23", "1900-01-01", "9999-12-31", "2026-02-30", "23/11/2026"]
    fields = {
        "person": references,
        "record": references,
        "user": users,
        "date_from": dates,
        "date_to": dates,
        "outcome": ["", "read", "refused", "break_glass", "deleted"],
        "page": ["1", "2", "0", "-1", "last", "99999999999999999999"],
    }
    urls = st.sampled_from(
        ["/privacy/access-log/", "/privacy/access-log.csv", "/privacy/disclosures/", "/privacy/disclosures.csv"]
    )

    @fuzz(400)
    @given(url=urls, data=nearly_valid(fields))
    def run(url, data):
        check(client, "get", url, data)

    run()


# --- notifications ---------------------------------------------------------------------------------------------------
def test_fuzz_notification_preferences(fuzz_client, world):
    from notifications.models import Kind

    client = fuzz_client("officer.d4")
    fields = {"mobile": ["+16175550100", "+1 617 555 0100", "٠١٢٣٤٥٦٧٨"]}
    fields |= {f"{kind}-{channel}": ["on", "off"] for kind in Kind.values for channel in ("email", "sms")}

    @fuzz(500)
    @given(data=form_data(fields))
    def run(data):
        check(client, "post", "/notifications/preferences", data)

    run()


JSON = st.recursive(
    st.one_of(
        st.none(), st.booleans(), NUMBERS.filter(lambda n: n == n and n not in (float("inf"), float("-inf"))), SCALARS
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)


DUPLICATE_KEYS = '{"groups": GROUPS, "groups": "x", "message": {"type": "hint"}}'
REPLAYED = "a-number-already-used-once-0001"


def test_fuzz_hint_relay(client, db, settings):
    """The relay: any body, signed or not, JSON or not, fresh or stale, a one-time number new or replayed, duplicate
    keys, a wrong content type: 204, 403 or 415, never a 500. A post it took (204) is refused when sent again."""
    from notifications import relay

    settings.REDIS_URL = ""
    client.raise_request_exception = False
    assert relay.nonce_claim(REPLAYED)  # a post carrying this number was taken before
    groups = st.one_of(st.lists(st.from_regex(r"[a-z0-9_.-]{1,20}", fullmatch=True), max_size=3), JSON)
    message = st.one_of(st.fixed_dictionaries({"type": st.sampled_from(["hint", "session.end", "x"])}), JSON)
    window = settings.HINT_RELAY_WINDOW_SECONDS
    sent = st.one_of(
        st.integers(min_value=-window + 5, max_value=window - 5).map(lambda lag: int(time.time()) - lag),
        st.sampled_from([-(window + 5), window + 5, 10**12]).map(lambda lag: int(time.time()) - lag),
        JSON,
    )
    nonce = st.one_of(st.uuids().map(lambda u: u.hex), st.just(REPLAYED), JSON)

    def body(g, m, ts, n, drop):
        payload = {"groups": g, "message": m, "ts": ts, "nonce": n}
        return json.dumps({k: v for k, v in payload.items() if k not in drop})

    @fuzz(2000)
    @given(
        payload=st.one_of(
            st.builds(body, groups, message, sent, nonce, st.sets(st.sampled_from(["ts", "nonce", "groups"]))),
            st.builds(lambda g: DUPLICATE_KEYS.replace("GROUPS", json.dumps(g)), groups),
            st.text(max_size=200),
            st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
        ),
        signed=st.booleans(),
        content_type=st.sampled_from(["application/json"] * 3 + ["text/plain", "application/x-www-form-urlencoded"]),
    )
    def run(payload, signed, content_type):
        body = payload.encode("utf-8", "surrogatepass")
        headers = {"X-Handoff-Signature": relay.signature(body) if signed else "0" * 64}

        def twice():
            first = client.post("/internal/hints", body, content_type=content_type, headers=headers)
            again = client.post("/internal/hints", body, content_type=content_type, headers=headers)
            return first.status_code, again.status_code

        status = check(client, "post", "/internal/hints", body, content_type=content_type, headers=headers)
        assert status in (204, 400, 403, 415)  # 400: a NUL byte in a form body (config.middleware)
        if status == 204:
            assert in_savepoint(twice) == (204, 403), "a relay post was taken twice"

    run()


# --- django.contrib.auth's forms and the admin's lists ---------------------------------------------------------------
def test_fuzz_sign_in_and_passwords(fuzz_client, world):
    from django.test import Client

    # Two clients signed in once: signing in inside an example would write (sessions, the security log) outside
    # its savepoint, and every later example would start from other rows.
    anonymous = Client(raise_request_exception=False)
    analyst = fuzz_client("analyst")

    @fuzz(800)
    @given(
        route=st.sampled_from(["/accounts/login/", "/accounts/password_change/", "/accounts/password_reset/"]),
        data=form_data(
            {
                "username": ["officer.b2", "admin"],
                "password": ["persona-password-1"],
                "old_password": ["persona-password-1"],
                "new_password1": ["a-new-long-password-7"],
                "new_password2": ["a-new-long-password-7"],
                "email": ["officer.b2@handoff.invalid"],
                "shared_device": ["1", "on"],
            }
        ),
    )
    def run(route, data):
        check(analyst if "password_change" in route else anonymous, "post", route, data)

    run()


def test_fuzz_single_sign_on(fuzz_client, world):
    """The provider's answer is whatever the browser brings back: hostile state, code, error and next values, to
    the world's providers (enabled, disabled, unknown), as someone signed out and someone signed in."""
    from django.test import Client

    anonymous = Client(raise_request_exception=False)
    officer = fuzz_client("officer.b2")

    @fuzz(400)
    @given(
        provider=st.sampled_from(["police", "disabled-provider", "no-such-provider"]),
        callback=st.booleans(),
        signed_in=st.booleans(),
        params=form_data(
            {
                "state": ["", "x" * 32],
                "code": ["a-code", ""],
                "error": ["access_denied", ""],
                "next": ["/referrals/new/", "https://elsewhere.invalid/", "//elsewhere.invalid", "javascript:x"],
            }
        ),
    )
    def run(provider, callback, signed_in, params):
        url = f"/accounts/sso/{provider}/" + ("callback/" if callback else "")
        status = check(officer if signed_in else anonymous, "get", url, params)
        assert status in ((400, 403, 404) if callback else (302, 400, 404))  # 400: a NUL byte, refused at the door

    run()


def test_fuzz_identity_provider_admin(fuzz_client, world):
    """The administrator's forms for identity providers and links. Addresses are loopback ones that refuse at once
    (port 9), so a form that reaches the discovery document fails fast instead of waiting on DNS."""
    from accounts.models import IdentityProvider, Organisation

    client = fuzz_client("admin")
    police = IdentityProvider.objects.get(slug="police")
    nowhere = "http://127.0.0.1:9"

    @fuzz(250)
    @given(
        route=st.sampled_from(["identityprovider/add/", f"identityprovider/{police.pk}/change/", "identitylink/add/"]),
        data=nearly_valid(
            {
                "name": ["Hospital sign-in"],
                "slug": ["hospital", "police", "Not A Slug"],
                "organisation": [str(Organisation.objects.get(short_name="BEST").pk), str(MISSING_ID)],
                "issuer": [nowhere, "not a url"],
                "client_id": ["handoff"],
                "client_secret": ["a-secret", ""],
                "signing_algorithm": ["RS256", "ES256", "HS256", "none"],
                "authorization_endpoint": [f"{nowhere}/authorize", ""],
                "token_endpoint": [f"{nowhere}/token", ""],
                "jwks_uri": [f"{nowhere}/jwks", ""],
                "provider": [str(police.pk), str(MISSING_ID)],
                "subject": ["sub-1", "matrix-subject", ""],
                "user": [str(world.users["officer.d4"].pk), str(world.users["officer.b2"].pk), str(MISSING_ID)],
            }
        ),
    )
    def run(route, data):
        check(client, "post", f"/admin/accounts/{route}", data)

    run()


def test_fuzz_session_ends_and_activity_headers(fuzz_client, world):
    """Log out everywhere, log out and a live page, with any body and any value of the headers the session limits
    read (X-Handoff-Background, HX-Request): never a 500. Each example starts signed in (the savepoint puts the
    session row back; the cookie is put back here)."""
    from django.conf import settings as django_settings

    client = fuzz_client("clinician.b2")
    cookie = django_settings.SESSION_COOKIE_NAME
    key = client.cookies[cookie].value

    @fuzz(200)
    @given(
        route=st.sampled_from(["/accounts/me/logout-everywhere/", "/accounts/logout/", "/queue/", "/accounts/me/"]),
        method=st.sampled_from(["get", "post"]),
        data=form_data({"next": ["/queue/", "//evil.example/"], "shared_device": ["1"]}),
        background=st.one_of(TEXTS, st.just("1")),
        htmx=st.sampled_from(["true", "false", "", "1"]),
    )
    def run(route, method, data, background, htmx):
        client.cookies[cookie] = key
        check(client, method, route, data, headers={"X-Handoff-Background": background, "HX-Request": htmx})

    run()


def test_fuzz_two_step_sign_in(fuzz_client, world):
    """The code forms of the second step: a session that still owes its code (verify), one setting up an app
    (enrol), and a verified one making new recovery codes. A wrong code is the form again (200) and is recorded."""
    from django.test import Client

    from tests.conftest import password_only_login, totp_device_for

    clinician = world.users["clinician.b2"]
    totp_device_for(clinician)
    pending = Client(raise_request_exception=False)
    password_only_login(pending, clinician)
    enrolling = Client(raise_request_exception=False)
    password_only_login(enrolling, world.users["analyst"])
    enrolling.get("/accounts/two-step/enroll/")  # the page shows (and makes) the key to confirm
    verified = fuzz_client("clinician.c11")
    clients = {
        "/accounts/two-step/verify/": pending,
        "/accounts/two-step/enroll/": enrolling,
        "/accounts/two-step/": verified,
    }

    @fuzz(300)
    @given(
        route=st.sampled_from(sorted(clients)),
        data=form_data(
            {
                "code": ["123456", "000000", "1234567", "abcd-efgh", "abcdefgh", " 12 34 56 "],
                "next": ["/queue/", "https://evil.example/", "//evil.example", "/accounts/logout/"],
            }
        ),
    )
    def run(route, data):
        status = check(clients[route], "post", route, data)
        assert status in (200, 302, 400, 429)

    run()


def test_fuzz_admin_changelist_queries(fuzz_client, world):
    from django.contrib import admin

    client = fuzz_client("admin")
    models = sorted(f"{m._meta.app_label}/{m._meta.model_name}" for m in admin.site._registry)
    lookups = ["q", "o", "p", "e", "all", "_to_field", "_popup", "id__exact", "created_at__gte", "starts_at__year"]
    lookups += ["district__id__exact", "status__exact", "is_active__exact", "program__id__exact", "user__id__exact"]

    @fuzz(600)
    @given(model=st.sampled_from(models), params=form_data({key: ["1", "-1", "0", "2"] for key in lookups}))
    def run(model, params):
        check(client, "get", f"/admin/{model}/", params)

    run()


# --- dashboards: the filters (page, partial, print view, CSV) and Community CompStat's action plans -------------------
def test_fuzz_dashboard_filters(fuzz_client, world):
    from django.utils import timezone

    client = fuzz_client("sergeant.b2")
    this_year = str(timezone.localdate().year)

    @fuzz(150)
    @given(
        route=st.sampled_from(["/dashboards/", "/dashboards/print/", "/dashboards/open-data.csv"]),
        htmx=st.booleans(),
        params=form_data(
            {
                "program": ["co-response", "youthconnect", "hub-table", "no-such"],
                "year": [this_year, "1999", "2000"],
                "district": ["B2", "E13", "", "Z9"],
            }
        ),
    )
    def run(route, htmx, params):
        check(client, "get", route, params, **({"headers": {"HX-Request": "true"}} if htmx else {}))

    run()


def test_fuzz_compstat_plans(fuzz_client, world):
    from django.utils import timezone

    from dashboards.models import ActionPlan
    from districts.models import District

    client = fuzz_client("sergeant.b2")
    plan = ActionPlan.objects.create(
        district=District.objects.get(code="B2"),
        issue="Repeat calls",
        action="Joint visit",
        owner="CSO",
        due_on=timezone.localdate(),
        created_by=world.users["sergeant.b2"],
    )
    fields = {
        "issue": ["Repeat calls at the shelter"],
        "action": ["Weekly joint visit"],
        "owner": ["B2 CSO"],
        "due_on": [timezone.localdate().isoformat(), "3000-01-01", "2024-02-30"],
    }

    @fuzz(150)
    @given(
        target=st.sampled_from(["plan", "status"]),
        district=st.one_of(st.sampled_from(["B2", "D4"]), TEXTS),
        plan_id=st.one_of(st.just(str(plan.pk)), st.sampled_from([str(MISSING_ID), "0"])),
        data=nearly_valid({**fields, "status": ["open", "done", "in_progress", "closed"]}),
    )
    def run(target, district, plan_id, data):
        if target == "plan":
            check(client, "post", f"/dashboards/compstat/?{urlencode({'district': district})}", data)
        else:
            check(client, "post", f"/dashboards/compstat/plans/{plan_id}/status/", data)

    run()
