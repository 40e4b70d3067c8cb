"""One seeded world for the security tests: the demo's people, an inactive account, and for each kind of object a
route can name (referral, notification, shift, Hub table, meeting, agenda item, situation) one that a persona may
reach and one that belongs to someone else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

MISSING_ID = 987654321
MISSING_PUBLIC_ID = "ZZZ-NO-SUCH-REQUEST"


@dataclass
class World:
    users: dict  # username -> User; "inactive" is a deactivated officer of B2
    referrals: dict = field(default_factory=dict)  # key -> Referral (see `world`)
    notifications: dict = field(default_factory=dict)  # username -> that persona's own notification id
    shifts: dict = field(default_factory=dict)  # organisation short name -> a shift id of that organisation
    # "table", "meeting", "item" (ids), "situation" (public id), "seed" -> {"own": ..., "foreign": ...} (`_hub_world`)
    hub: dict = field(default_factory=dict)


@pytest.fixture
def world(personas) -> World:
    from accounts.models import Organisation
    from districts.models import District
    from notifications.models import Channel, Kind, OutboxMessage
    from notifications.services import notify, preferences_save
    from referrals.services import clinical_record_read
    from routing.models import Shift
    from routing.services import shift_create, shift_span
    from tests.referrals.factories import file_casework, file_referral

    users = dict(personas)
    inactive = get_user_model().objects.create_user(username="inactive", password="x", is_active=False)
    users["inactive"] = inactive
    w = World(users=users)
    # co_b2: filed in B2 by officer.b2 (B2's clinician holds it); co_c11: filed in C11 by officer.d4.
    w.referrals["co_b2"] = file_referral(users["officer.b2"], "B2", location_text="Dudley Sq")
    w.referrals["co_c11"] = file_referral(users["officer.d4"], "C11", location_text="Fields Corner")
    w.referrals["yc_e13"] = file_casework(users["officer.d4"], "E13")
    for program, key in (("street-outreach", "so"), ("dv-advocacy", "dv"), ("trauma-callback", "tc")):
        w.referrals[key] = file_casework(users["officer.d4"], "D4", program=program, subject_age=30)
    for username, user in users.items():
        [note] = notify(user_ids=[user.pk], kind=Kind.STATUS_CHANGED, text=f"For {username}.", path="/")
        w.notifications[username] = note.pk
    # The demo rosters BEST's and YouthConnect's front line day and night; the trauma line gets a shift here.
    tomorrow = timezone.localdate() + timedelta(days=1)
    starts_at, ends_at = shift_span(day=tomorrow, start=time(8), end=time(9))
    trauma = shift_create(
        organisation=Organisation.objects.get(short_name="Trauma line"),
        user=users["trauma.line"],
        starts_at=starts_at,
        ends_at=ends_at,
        districts=list(District.objects.filter(code="D4")),
        on_call=False,
    )
    w.shifts["Trauma line"] = trauma.pk
    for short_name in ("BEST", "YouthConnect"):
        w.shifts[short_name] = Shift.objects.filter(organisation__short_name=short_name).order_by("pk")[0].pk
    # A row for every admin model's object pages: a read of a clinical record, a delivery preference, an email.
    clinical_record_read(user=users["clinician.b2"], referral=w.referrals["co_b2"], view="tests", reason="matrix")
    preferences_save(user=users["officer.b2"], choices={Kind.STATUS_CHANGED: (True, False)}, mobile="")
    OutboxMessage.objects.create(
        notification_id=w.notifications["officer.b2"],
        channel=Channel.EMAIL,
        recipient="officer.b2@handoff.invalid",
        subject="Handoff",
        body="A request changed.",
        status=OutboxMessage.Status.FAILED,
        next_attempt_at=timezone.now(),
    )
    _hub_world(w, personas)
    _security_rows(users)
    _identity_providers(users)
    return w


def _identity_providers(users) -> None:
    """Single sign-on: the police's provider ("own", enabled), a disabled one ("foreign": for everyone it is as
    missing), and a link for the admin's object pages. Their endpoints are never called by the matrix."""
    from accounts.models import IdentityLink, IdentityProvider, Organisation

    endpoints = {
        "issuer": "https://idp.example.invalid",
        "authorization_endpoint": "https://idp.example.invalid/authorize",
        "token_endpoint": "https://idp.example.invalid/token",
        "jwks_uri": "https://idp.example.invalid/jwks",
        "client_id": "handoff",
        "client_secret": "matrix-client-secret",
    }
    police = IdentityProvider.objects.create(
        name="BPD sign-in", slug="police", organisation=Organisation.objects.get(short_name="BPD"), **endpoints
    )
    IdentityProvider.objects.create(
        name="Closed sign-in",
        slug="disabled-provider",
        organisation=Organisation.objects.get(short_name="BEST"),
        is_enabled=False,
        **endpoints,
    )
    IdentityLink.objects.create(provider=police, subject="matrix-subject", user=users["officer.b2"])


def _hub_world(w: World, personas) -> None:
    """Two Hub tables, each with an open meeting of today and a situation in intervention on its agenda.

    "own": tests/hub's B2 table (Boston Hub: hub.coordinator coordinates it; police, housing, school and a health
    agency sit at it). Its situation was proposed by officer.b2 for the police, BHA (agency.housing) leads and BPS
    (agency.school) assists: coordinator, officer.b2, agency.housing and agency.school see it; nobody else does.
    "foreign": a table of another Hub office (Dorchester Hub) where only a family-services agency sits, its situation
    proposed by that agency: none of the personas sits there, so for every one of them it is "not yours"."""
    from accounts.models import Organisation, Role
    from accounts.services import membership_create
    from districts.models import District
    from hub import services
    from hub.models import Sector
    from hub.selectors import identity_for
    from tests.hub import HubSeed, build_hub_seed

    own = build_hub_seed(personas)
    situation = own.propose("officer", agency=own.agencies["police"])
    meeting = own.meeting()
    situation = own.to_state(situation, "intervention", meeting=meeting, lead="housing", assisting=("school",))
    identity_for(personas["officer.b2"], situation, view="tests", reason="matrix")  # a row for the access log

    kind = Organisation.Kind.HUB_AGENCY
    office = Organisation.objects.create(name="Dorchester Hub", short_name="Dorchester Hub", kind=kind)
    family = Organisation.objects.create(name="Dorchester Family Services", short_name="DFS", kind=kind)
    User = get_user_model()
    coordinator = User.objects.create_user(username="hub.dorchester", password=None)
    member = User.objects.create_user(username="agency.dfs", password=None)
    membership_create(user=coordinator, organisation=office, role=Role.HUB_COORDINATOR)
    membership_create(user=member, organisation=family, role=Role.HUB_MEMBER)
    table = services.table_create(
        name="C11 situation table",
        organisation=office,
        district=District.objects.get(code="C11"),
        reveal="present",
        door_knock_hours=24,
        outcome_checks=False,
    )
    agency = services.table_agency_add(
        table=table,
        organisation=family,
        sector=Sector.objects.get(code="social-services"),
        sharing_agreement_on=timezone.localdate(),
    )
    other = HubSeed(
        table=table,
        agencies={"dfs": agency},
        users={"coordinator": User.objects.get(pk=coordinator.pk), "dfs": User.objects.get(pk=member.pk)},
    )
    foreign = other.propose("dfs", agency=agency)
    foreign_meeting = other.meeting(present=("dfs",))
    foreign = other.to_state(foreign, "intervention", meeting=foreign_meeting, lead="dfs", assisting=())
    w.hub = {
        "seed": {"own": own, "foreign": other},  # tests.hub.HubSeed: to take more situations along (the fuzz)
        "meeting": {"own": meeting.pk, "foreign": foreign_meeting.pk},
        "item": {
            "own": meeting.items.get(situation=situation).pk,
            "foreign": foreign_meeting.items.get(situation=foreign).pk,
        },
        "table": {"own": own.table.pk, "foreign": table.pk},
        "situation": {"own": situation.public_id, "foreign": foreign.public_id},
    }


def _security_rows(users) -> None:
    """A row for the admin pages of the sign-in lockout (axes) and the security log."""
    from axes.models import AccessAttempt

    from accounts.audit import security_event_record
    from accounts.models import SecurityEvent

    # Not a persona's username: axes forgets a username's failures when it signs in (every persona does, here).
    AccessAttempt.objects.create(
        username="nobody.here",
        ip_address="192.0.2.1",
        user_agent="tests",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        http_accept="*/*",
        failures_since_start=1,
    )
    security_event_record(kind=SecurityEvent.Kind.LOGIN_FAILED, username="officer.b2", detail="matrix")


def _tables() -> list[str]:
    return sorted(model._meta.db_table for model in apps.get_models(include_auto_created=True) if model._meta.managed)


def row_counts() -> dict[str, int]:
    """Rows in every table the project's models own, in one query (cheap enough to take around every request)."""
    # A login writes a session row: not data.
    tables = [table for table in _tables() if table not in {"django_session", "accounts_accountsession"}]
    quote = connection.ops.quote_name
    # Table names come from the models, not from input.
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


class Rollback(Exception):
    pass


def in_savepoint(run):
    """Run ``run()`` in a savepoint that is always rolled back, so each request sees the same seeded world."""
    result = None
    try:
        with transaction.atomic():
            result = run()
            raise Rollback
    except Rollback:
        pass
    return result


def pytest_terminal_summary(terminalreporter):
    """How many requests the fuzz asked in this process, and how fast (with xdist, each worker keeps its own)."""
    import sys

    fuzz = sys.modules.get("tests.security.test_fuzz")
    if fuzz is None or not fuzz.ASKED["count"]:
        return
    tests = fuzz.ASKED["tests"]
    seconds = sum(taken for _, taken, _ in tests.values())
    terminalreporter.write_sep("-", f"fuzz: {fuzz.ASKED['count']} requests in {seconds:.0f}s")
    for name, (asked, taken, statuses) in sorted(tests.items(), key=lambda item: -item[1][1]):
        per = 1000 * taken / asked if asked else 0
        answers = " ".join(f"{status}:{n}" for status, n in sorted(statuses.items()))
        terminalreporter.write_line(f"{asked:6d} requests {taken:5.1f}s {per:4.1f}ms  {name}  [{answers}]")
