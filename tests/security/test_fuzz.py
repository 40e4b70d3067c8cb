"""Every form and JSON endpoint, fed hostile input by hypothesis as a persona allowed to use it: never a 500, and a
refusal (4xx) changes nothing: no row added or removed anywhere, no field of the objects in play changed.

Each test seeds one database and runs every example in a rolled-back savepoint of it. The normal run asks about
3,000 requests in all (the machines are shared); ``make fuzz`` asks 107,000, ``FUZZ_EXAMPLES=n make fuzz`` n.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.conftest import MISSING_ID, World, in_savepoint, row_counts

pytestmark = pytest.mark.django_db

BASE_TOTAL = 10_700  # the examples the budgets below add up to
# The normal run asks a share of them (about 3,000 requests); `make fuzz` asks FUZZ_EXAMPLES in all.
TOTAL = int(os.environ.get("FUZZ_EXAMPLES") or 3_000)


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
SCALARS = st.one_of(
    st.text(max_size=40),  # any unicode, surrogates excluded by the client's encoding
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20).map(lambda s: s + "\x00"),
    st.sampled_from(["", " ", "\x00", "null", "None", "true", "[]", "{}", "' OR 1=1 --", "<script>", "../../etc"]),
    st.sampled_from(["2024-02-30", "9999-12-31", "0001-01-01", "24:00", "-1", "1e309", "NaN", "٣", "²", "１２"]),
    st.builds(lambda n: "x" * n, st.sampled_from([2001, 5000, 100_000])),
    NUMBERS.map(str),
    st.uuids().map(str),
    st.sampled_from(["not-a-uuid", "00000000-0000-0000-0000-000000000000", str(MISSING_ID)]),
)


def values(choices: list[str]):
    """A field's value: hostile, or one of its plausible values (so deeper code paths run), once or repeated."""
    one = st.one_of(SCALARS, st.sampled_from(choices)) if choices else SCALARS
    return st.one_of(one, st.lists(one, min_size=2, max_size=3))


def form_data(fields: dict[str, list[str]]):
    """Some of ``fields`` (each missing or not), each with a hostile or plausible value, and stray extra keys."""
    known = st.fixed_dictionaries({}, optional={name: values(choices) for name, choices in fields.items()})
    extra = st.dictionaries(st.text(min_size=1, max_size=10), SCALARS, max_size=2)
    return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})


# --- the check around each request --------------------------------------------------------------------------------
ASKED = {"count": 0}


def fingerprint() -> tuple:
    """Row counts everywhere, and every field of the rows the endpoints under test can change."""
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
        )
    )
    return row_counts(), rows


BASELINE: dict = {}  # the world as every example of the running test starts from (each one is rolled back)


@pytest.fixture(autouse=True)
def _fresh_baseline():
    BASELINE.clear()
    yield
    BASELINE.clear()


def check(client, method: str, url: str, data=None, **extra) -> int:
    """One request in a rolled-back savepoint: never a 500; a 4xx leaves every row as it was.

    Every example starts from the same rows (the savepoint), so the "before" is taken once per test and the
    "after" only for a refusal: the fingerprint would otherwise cost more than the request."""

    def run():
        response = getattr(client, method)(url, data, **extra)
        return response.status_code, (fingerprint() if 400 <= response.status_code < 500 else None)

    if "before" not in BASELINE:
        BASELINE["before"] = fingerprint()
    before = BASELINE["before"]
    status, after = in_savepoint(run)
    ASKED["count"] += 1
    assert status < 500, f"{method.upper()} {url} {data!r} -> {status}"
    if 400 <= status < 500:
        if status in (409, 422) and url.startswith("/queue/"):
            # The case page comes back with the form's errors: showing the record is a read, and every read of a
            # clinical record writes its access-log row (DESIGN: the privacy boundary, 3). Nothing else may change.
            logged = "referrals_clinicalaccesslog"
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

    @fuzz(1200)
    @given(data=form_data(fields), program_value=st.one_of(st.just(program), SCALARS))
    def run(data, program_value):
        check(client, "post", "/referrals/new/", {**data, "program": program_value})

    run()


def test_fuzz_program_chooser_query(fuzz_client, world):
    client = fuzz_client("officer.d4")
    c = _choices(world)

    @fuzz(800)
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

    @fuzz(1500)
    @given(
        action=st.one_of(st.sampled_from(sorted(actions)), st.from_regex(r"[a-z_-]{1,12}", fullmatch=True)),
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

    @fuzz(1000)
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

    @fuzz(300)
    @given(identifier=ids, route=st.sampled_from(["rosters/shifts/{}/delete/", "notifications/{}/read"]))
    def run(identifier, route):
        check(client, "post", "/" + route.format(identifier), {})

    run()


# --- notifications ---------------------------------------------------------------------------------------------------
def test_fuzz_notification_preferences(fuzz_client, world):
    from notifications.models import Kind

    client = fuzz_client("officer.d4")
    fields = {"mobile": ["+16175550100", "+1 617 555 0100", "٠١٢٣٤٥٦٧٨"]}
    fields |= {f"{kind}-{channel}": ["on", "off"] for kind in Kind.values for channel in ("email", "sms")}

    @fuzz(600)
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


def test_fuzz_hint_relay(client, db, settings):
    """The relay: any body, signed or not, JSON or not, duplicate keys, a wrong content type: 204, 403, 415."""
    from notifications import relay

    settings.REDIS_URL = ""
    client.raise_request_exception = False
    groups = st.one_of(st.lists(st.text(max_size=120), max_size=3), JSON)
    message = st.one_of(st.fixed_dictionaries({"type": st.sampled_from(["hint", "session.end", "x"])}), JSON)

    @fuzz(800)
    @given(
        payload=st.one_of(
            st.builds(lambda g, m: json.dumps({"groups": g, "message": m}), groups, message),
            st.builds(lambda g: DUPLICATE_KEYS.replace("GROUPS", json.dumps(g)), groups),
            st.text(max_size=200),
            st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
        ),
        signed=st.booleans(),
        content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
    )
    def run(payload, signed, content_type):
        body = payload.encode("utf-8", "surrogatepass")
        signature = relay.signature(body) if signed else "0" * 64
        status = check(
            client,
            "post",
            "/internal/hints",
            body,
            content_type=content_type,
            headers={"X-Handoff-Signature": signature},
        )
        assert status in (204, 400, 403, 415)

    run()


# --- django.contrib.auth's forms and the admin's lists ---------------------------------------------------------------
def test_fuzz_sign_in_and_passwords(fuzz_client, world):
    @fuzz(600)
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
            }
        ),
    )
    def run(route, data):
        check(fuzz_client("anonymous" if "password_change" not in route else "analyst"), "post", route, data)

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
