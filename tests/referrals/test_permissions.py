"""Every view of the co-response and casework workflows against every persona: own district, other district, other
organisation, police role, no role. 404 for what is not yours (the same as for what does not exist), 403 for the
wrong role or a write the user may not make."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from districts.models import District
from programs.models import Program
from referrals.errors import ReferralError
from referrals.workflows.casework import services as casework
from referrals.workflows.co_response import services as co_response
from routing.models import Route, RouteStep
from tests.referrals.factories import (
    add_follow_up,
    advance,
    advance_casework,
    file_casework,
    file_referral,
    form_datetime,
    second_youth_worker,
)

PERSONAS = (
    # police
    "officer.b2",  # files the B2 requests, and the casework referrals from B2
    "officer.d4",  # an officer of another district, files the D4 request
    "sergeant.b2",  # police supervisor of B2 (the incident's district, or the filer's)
    # BEST (co-response)
    "clinician.b2",  # B2 team
    "clinician.c11",  # another district's team
    "clinician.supervisor",  # every BEST request
    # YouthConnect (casework)
    "youth.e13",  # a worker of the E13 station team (and the YVSF)
    "youth.supervisor",  # every YouthConnect referral; holds "override consent"
    # other casework partners
    "outreach.roca",  # Roca street outreach worker, every district
    "advocate.fjc",  # Family Justice Center advocate, every district
    "trauma.supervisor",  # a supervisor, but of the trauma line
    # neither police nor partner
    "agency.school",  # Hub agency member
    "analyst",  # police department analyst
    "admin",  # superuser without a membership: no role, so no pages (the admin site is elsewhere)
)

# A scenario sets up what the request needs and returns (method, path, POST data).
Scenario = Callable[[dict], tuple[str, str, dict]]


def _new_request_data() -> dict:
    return {
        "program": "co-response",
        "idempotency_key": str(uuid.uuid4()),
        "district": District.objects.get(code="B2").pk,
        "urgency": "now",
        "subject_name": "Pat Doe",
    }


def _new_casework_data() -> dict:
    return {
        "program": "youthconnect",
        "idempotency_key": str(uuid.uuid4()),
        "district": District.objects.get(code="E13").pk,
        "reason_codes": ["truancy"],
        "subject_name": "Jamie Example",
        "subject_age": 15,
        "consent": "guardian",
        "guardian_name": "Ana Example",
        "guardian_phone": "617-555-0189",
    }


def _police(view: str, officer: str, district: str, method: str = "GET", data: dict | None = None) -> Scenario:
    def scenario(personas):
        referral = file_referral(personas[officer], district)
        return method, reverse(f"referrals:{view}", args=[referral.public_id]), data or {}

    return scenario


def _case(district: str) -> Scenario:
    def scenario(personas):
        referral = file_referral(personas["officer.b2"], district)
        return "GET", reverse("referrals:case", args=[referral.public_id]), {}

    return scenario


def _waiting_action(action: str, district: str, data: dict) -> Scenario:
    def scenario(personas):
        referral = file_referral(personas["officer.b2"], district)
        return "POST", reverse("referrals:case_action", args=[referral.public_id, action]), data

    return scenario


def _held_action(action: str, holder: str) -> Scenario:
    """`action` on a B2 request that `holder` accepted and took as far as the action needs."""
    step = {"disposition": "on_scene", "finish": "disposed"}.get(action, "accepted")

    def scenario(personas):
        referral = advance(file_referral(personas["officer.b2"], "B2"), personas[holder], step)
        data = {
            "depart": {"eta_minutes": 10},
            "disposition": {"disposition": "stabilised"},
            "note": {"text": "Calm now, talking."},
            "follow_up": {"kind": "phone_call", "due_at": form_datetime(timezone.now() + timedelta(days=1))},
            "reassign": {"clinician": personas["clinician.c11"].pk, "reason": "Shift change"},
            "transfer": {"district": District.objects.get(code="C11").pk, "reason": "The person moved"},
        }.get(action, {})
        if action == "follow_up_done":
            data = {"follow_up": add_follow_up(referral, personas[holder]).pk, "outcome": "reached"}
        return "POST", reverse("referrals:case_action", args=[referral.public_id, action]), data

    return scenario


# --- casework: YouthConnect referrals (E13: youth.e13's station team; B2: a team with nobody of the demo in it),
# a Roca and an FJC referral. officer.b2 files them from B2, so sergeant.b2 oversees them wherever they happened.

CASEWORK = {
    # name: (program, incident district, age)
    "YouthConnect": ("youthconnect", "E13", 15),
    "street outreach": ("street-outreach", "B2", 19),
    "DV advocacy": ("dv-advocacy", "E13", 30),
}


def _file_casework(personas, program: str, district: str, officer: str = "officer.b2", consent: str = "guardian"):
    slug, _, age = CASEWORK[program]
    born = date(timezone.localdate().year - age - 1, 6, 1)
    consent = "person" if age >= 18 and consent == "guardian" else consent
    return file_casework(personas[officer], district, slug, subject_age=age, date_of_birth=born, consent=consent)


def _casework_police(view: str, officer: str, method: str = "GET", data: dict | None = None) -> Scenario:
    def scenario(personas):
        referral = _file_casework(personas, "YouthConnect", "E13", officer=officer)
        return method, reverse(f"referrals:{view}", args=[referral.public_id]), data or {}

    return scenario


def _casework_case(program: str, district: str) -> Scenario:
    def scenario(personas):
        referral = _file_casework(personas, program, district)
        return "GET", reverse("referrals:case", args=[referral.public_id]), {}

    return scenario


def _casework_data(action: str, personas, referral, holder: str) -> dict:
    """Valid form data for each casework action (the reassignment goes to a worker who does not hold it)."""
    if action == "reassign":
        worker = personas["youth.e13"] if holder != "youth.e13" else second_youth_worker()
        return {"worker": worker.pk, "reason": "Caseload"}
    if action == "goal_met":
        goal = casework.goal_add(referral=referral, actor=personas[holder], area="safety")
        return {"goal": goal.pk}
    return {
        "contact_attempt": {"method": "phone", "outcome": "no_answer"},
        "engage": {"tier": "2"},
        "decline": {"declined_by": "guardian"},
        "goal": {"area": "school", "text": "Back at school by March"},
        "note": {"text": "Met at the club; talking."},
        "close": {"reason": "goals_met"},
        "consent_record": {"given_by": "guardian", "giver_name": "Ana Example", "scope": "services"},
        "consent_override": {"reason": "Imminent risk of retaliation"},
        "consent_revoke": {"confirm": "on"},
        "reroute": {"program": Program.objects.get(slug="dv-advocacy").pk, "reason": "A matter for an advocate"},
    }.get(action, {})


def _casework_waiting_action(action: str, program: str, district: str) -> Scenario:
    """`action` on a submitted referral nobody has taken yet (filed without consent for an override)."""

    def scenario(personas):
        on_scene = "not_yet" if action == "consent_override" else "guardian"
        referral = _file_casework(personas, program, district, consent=on_scene)
        data = _casework_data(action, personas, referral, "youth.supervisor")
        return "POST", reverse("referrals:case_action", args=[referral.public_id, action]), data

    return scenario


# The state each casework action is taken in: the furthest the action needs.
CASEWORK_ACTION_STEP = {
    "unable_to_reach": "contact_attempted",
    "interim_update": "engaged",
    "goal": "engaged",
    "goal_met": "engaged",
    "close": "engaged",
}
CASEWORK_HELD_ACTIONS = (
    "contact_attempt",
    "engage",
    "decline",
    "unable_to_reach",
    "interim_update",
    "goal",
    "goal_met",
    "note",
    "close",
    "reassign",
    "consent_record",
    "consent_override",
    "consent_revoke",
    "reroute",
)


def _casework_held_action(action: str, holder: str) -> Scenario:
    """`action` on an E13 YouthConnect referral `holder` took, as far as the action needs. An override needs a
    referral without consent: the on-scene answer was "not yet" and the override holder gives one to engage."""

    def scenario(personas):
        if action == "consent_override":
            referral = _file_casework(personas, "YouthConnect", "E13", consent="not_yet")
            referral = advance_casework(referral, personas[holder], "assigned")
        else:
            referral = _file_casework(personas, "YouthConnect", "E13")
            referral = advance_casework(referral, personas[holder], CASEWORK_ACTION_STEP.get(action, "assigned"))
        data = _casework_data(action, personas, referral, holder)
        return "POST", reverse("referrals:case_action", args=[referral.public_id, action]), data

    return scenario


SCENARIOS: dict[str, Scenario] = {
    "mine": lambda personas: ("GET", reverse("referrals:mine"), {}),
    "new GET": lambda personas: ("GET", reverse("referrals:new"), {}),
    "new POST": lambda personas: ("POST", reverse("referrals:new"), _new_request_data()),
    "new GET of the YouthConnect form": lambda personas: (
        "GET",
        f"{reverse('referrals:new')}?program=youthconnect",
        {},
    ),
    "new POST of a YouthConnect referral": lambda personas: ("POST", reverse("referrals:new"), _new_casework_data()),
    "police_detail of officer.b2's B2 request": _police("police_detail", "officer.b2", "B2"),
    "police_detail of officer.d4's D4 request": _police("police_detail", "officer.d4", "D4"),
    "cancel officer.b2's B2 request": _police("cancel", "officer.b2", "B2", "POST"),
    "cancel officer.d4's D4 request": _police("cancel", "officer.d4", "D4", "POST"),
    "add_information to officer.b2's B2 request": _police(
        "add_information", "officer.b2", "B2", "POST", {"text": "He has a dog."}
    ),
    "add_information to officer.d4's D4 request": _police(
        "add_information", "officer.d4", "D4", "POST", {"text": "He has a dog."}
    ),
    "queue": lambda personas: ("GET", reverse("referrals:queue"), {}),
    "overdue": lambda personas: ("GET", reverse("referrals:overdue"), {}),
    "case of a B2 request": _case("B2"),
    "case of a C11 request": _case("C11"),
    "accept a B2 request": _waiting_action("accept", "B2", {}),
    "accept a C11 request": _waiting_action("accept", "C11", {}),
    "decline a B2 request": _waiting_action("decline", "B2", {"reason": "safety"}),
    **{
        f"{action} on a B2 request held by {holder}": _held_action(action, holder)
        for action in (
            "depart",
            "arrive",
            "disposition",
            "note",
            "follow_up",
            "follow_up_done",
            "finish",
            "reassign",
            "transfer",
        )
        for holder in ("clinician.supervisor", "clinician.b2")
    },
    # casework, police side
    "police_detail of officer.b2's YouthConnect referral": _casework_police("police_detail", "officer.b2"),
    "police_detail of officer.d4's YouthConnect referral": _casework_police("police_detail", "officer.d4"),
    "cancel officer.b2's YouthConnect referral": _casework_police("cancel", "officer.b2", "POST"),
    "add_information to officer.b2's YouthConnect referral": _casework_police(
        "add_information", "officer.b2", "POST", {"text": "Her brother is at the same school."}
    ),
    "add_information to officer.d4's YouthConnect referral": _casework_police(
        "add_information", "officer.d4", "POST", {"text": "Her brother is at the same school."}
    ),
    # casework, partner side
    "case of an E13 YouthConnect referral": _casework_case("YouthConnect", "E13"),
    "case of a B2 YouthConnect referral": _casework_case("YouthConnect", "B2"),
    "case of a street outreach referral": _casework_case("street outreach", "B2"),
    "case of a DV advocacy referral": _casework_case("DV advocacy", "E13"),
    "assign an E13 YouthConnect referral": _casework_waiting_action("assign", "YouthConnect", "E13"),
    "assign a B2 YouthConnect referral": _casework_waiting_action("assign", "YouthConnect", "B2"),
    "assign a street outreach referral": _casework_waiting_action("assign", "street outreach", "B2"),
    # One workflow's action on the other's referral is no route at all.
    "accept an E13 YouthConnect referral": _casework_waiting_action("accept", "YouthConnect", "E13"),
    "engage on a B2 request": _waiting_action("engage", "B2", {"tier": "2"}),
    **{
        f"{action} on a waiting E13 YouthConnect referral": _casework_waiting_action(action, "YouthConnect", "E13")
        for action in ("contact_attempt", "note", "consent_record", "consent_override", "consent_revoke", "reroute")
    },
    **{
        f"{action} on an E13 YouthConnect referral held by {holder}": _casework_held_action(action, holder)
        for action in CASEWORK_HELD_ACTIONS
        for holder in ("youth.supervisor", "youth.e13")
    },
}


def _row(police, best, youthconnect, other_partners, neither=(403, 403, 403)) -> tuple[int, ...]:
    """Statuses in PERSONAS order, by group: police (officer.b2, officer.d4, sergeant.b2), BEST (clinician.b2,
    clinician.c11, clinician.supervisor), YouthConnect (youth.e13, youth.supervisor), other casework partners
    (outreach.roca, advocate.fjc, trauma.supervisor), neither (agency.school, analyst, admin)."""
    return (*police, *best, *youthconnect, *other_partners, *neither)


PARTNERS_ONLY = (403, 403, 403)  # police on a partner page: the wrong role
NOT_THEIRS = (404, 404, 404)  # a referral of another organisation, or another district's team
POLICE_ONLY = _row((200, 200, 200), (403, 403, 403), (403, 403), (403, 403, 403))
BEST_SUPERVISOR_ONLY = _row(PARTNERS_ONLY, (403, 404, 302), (404, 404), NOT_THEIRS)
YOUTHCONNECT_ONLY = _row(PARTNERS_ONLY, NOT_THEIRS, (302, 302), NOT_THEIRS)


def _youthconnect(e13: int, supervisor: int) -> tuple[int, ...]:
    """A YouthConnect referral's partner route: only YouthConnect reads it, the others get 404."""
    return _row(PARTNERS_ONLY, NOT_THEIRS, (e13, supervisor), NOT_THEIRS)


# 302 is the action done; 403 a page of another role, or an action that is not this user's to take on a request
# they may read (``referrals.policy`` refuses: ``Refused``); 404 a request they may not read; 409 an action that is
# theirs but not in this state.
EXPECTED: dict[str, tuple[int, ...]] = {
    "mine": POLICE_ONLY,
    "new GET": POLICE_ONLY,
    "new POST": _row((302, 302, 302), (403, 403, 403), (403, 403), (403, 403, 403)),
    "new GET of the YouthConnect form": POLICE_ONLY,
    "new POST of a YouthConnect referral": _row((302, 302, 302), (403, 403, 403), (403, 403), (403, 403, 403)),
    "police_detail of officer.b2's B2 request": _row((200, 404, 200), (403, 403, 403), (403, 403), (403, 403, 403)),
    "police_detail of officer.d4's D4 request": _row((404, 200, 404), (403, 403, 403), (403, 403), (403, 403, 403)),
    # The sergeant sees the officer's request but may not change it: 403 (referrals.policy refuses).
    "cancel officer.b2's B2 request": _row((302, 404, 403), (403, 403, 403), (403, 403), (403, 403, 403)),
    "cancel officer.d4's D4 request": _row((404, 302, 404), (403, 403, 403), (403, 403), (403, 403, 403)),
    "add_information to officer.b2's B2 request": _row((302, 404, 403), (403, 403, 403), (403, 403), (403, 403, 403)),
    "add_information to officer.d4's D4 request": _row((404, 302, 404), (403, 403, 403), (403, 403), (403, 403, 403)),
    "queue": _row((403, 403, 403), (200, 200, 200), (200, 200), (200, 200, 200)),
    "overdue": _row((403, 403, 403), (403, 403, 200), (403, 200), (403, 403, 200)),
    "case of a B2 request": _row(PARTNERS_ONLY, (200, 404, 200), (404, 404), NOT_THEIRS),
    "case of a C11 request": _row(PARTNERS_ONLY, (404, 200, 200), (404, 404), NOT_THEIRS),
    "accept a B2 request": _row(PARTNERS_ONLY, (302, 404, 302), (404, 404), NOT_THEIRS),
    "accept a C11 request": _row(PARTNERS_ONLY, (404, 302, 302), (404, 404), NOT_THEIRS),
    "decline a B2 request": _row(PARTNERS_ONLY, (302, 404, 302), (404, 404), NOT_THEIRS),
    # clinician.b2 sees the supervisor's call but did not accept it: clinical writes are 403.
    **{
        f"{action} on a B2 request held by clinician.supervisor": BEST_SUPERVISOR_ONLY
        for action in ("depart", "arrive", "disposition", "note", "follow_up", "follow_up_done", "finish")
    },
    # The supervisor may write on clinician.b2's call, but the call's own steps stay with the clinician who has it.
    **{
        f"{action} on a B2 request held by clinician.b2": _row(PARTNERS_ONLY, (302, 404, 403), (404, 404), NOT_THEIRS)
        for action in ("depart", "arrive", "disposition", "finish")
    },
    **{
        f"{action} on a B2 request held by clinician.b2": _row(PARTNERS_ONLY, (302, 404, 302), (404, 404), NOT_THEIRS)
        for action in ("note", "follow_up", "follow_up_done")
    },
    **{
        f"{action} on a B2 request held by {holder}": BEST_SUPERVISOR_ONLY
        for action in ("reassign", "transfer")
        for holder in ("clinician.supervisor", "clinician.b2")
    },
    # --- casework. Police pages answer as for a co-response request: the filer and the sergeant of the filer's
    # district read it (officer.b2 files from B2 for an E13 incident), nobody else; only the filer adds to it, and
    # nobody cancels a casework referral (the worker closes it).
    "police_detail of officer.b2's YouthConnect referral": _row(
        (200, 404, 200), (403, 403, 403), (403, 403), (403, 403, 403)
    ),
    "police_detail of officer.d4's YouthConnect referral": _row(
        (404, 200, 404), (403, 403, 403), (403, 403), (403, 403, 403)
    ),
    "cancel officer.b2's YouthConnect referral": _row((403, 404, 403), (403, 403, 403), (403, 403), (403, 403, 403)),
    "add_information to officer.b2's YouthConnect referral": _row(
        (302, 404, 403), (403, 403, 403), (403, 403), (403, 403, 403)
    ),
    "add_information to officer.d4's YouthConnect referral": _row(
        (404, 302, 404), (403, 403, 403), (403, 403), (403, 403, 403)
    ),
    # A partner reads its own organisation's referrals (its district team's, or all of them as a supervisor) and
    # gets 404 for anyone else's, whatever its role there: BEST, Roca, FJC and the trauma line's supervisor alike.
    "case of an E13 YouthConnect referral": _youthconnect(200, 200),
    "case of a B2 YouthConnect referral": _youthconnect(404, 200),
    "case of a street outreach referral": _row(PARTNERS_ONLY, NOT_THEIRS, (404, 404), (200, 404, 404)),
    "case of a DV advocacy referral": _row(PARTNERS_ONLY, NOT_THEIRS, (404, 404), (404, 200, 404)),
    "assign an E13 YouthConnect referral": _youthconnect(302, 302),
    "assign a B2 YouthConnect referral": _youthconnect(404, 302),
    "assign a street outreach referral": _row(PARTNERS_ONLY, NOT_THEIRS, (404, 404), (302, 404, 404)),
    "accept an E13 YouthConnect referral": _youthconnect(404, 404),
    "engage on a B2 request": _row(PARTNERS_ONLY, (404, 404, 404), (404, 404), NOT_THEIRS),
    # Waiting: the team records consent or its withdrawal, or sends it on; the worker's steps wait for someone to
    # take it; notes are the assignee's and the supervisors'; an override needs the permission.
    "contact_attempt on a waiting E13 YouthConnect referral": _youthconnect(403, 403),
    "note on a waiting E13 YouthConnect referral": _youthconnect(403, 302),
    "consent_record on a waiting E13 YouthConnect referral": _youthconnect(302, 302),
    "consent_override on a waiting E13 YouthConnect referral": _youthconnect(403, 302),
    "consent_revoke on a waiting E13 YouthConnect referral": _youthconnect(302, 302),
    "reroute on a waiting E13 YouthConnect referral": _youthconnect(302, 302),
    # Taken: reaching the person and its outcome are the assignee's; the supervisor writes, closes, reassigns and
    # overrides; the station team (youth.e13 on the supervisor's case) still records consent and re-routes.
    **{
        f"{action} on an E13 YouthConnect referral held by {holder}": _youthconnect(
            302 if holder == "youth.e13" else 403, 302 if holder == "youth.supervisor" else 403
        )
        for action in ("contact_attempt", "engage", "decline", "unable_to_reach")
        for holder in ("youth.supervisor", "youth.e13")
    },
    **{
        f"{action} on an E13 YouthConnect referral held by {holder}": _youthconnect(
            302 if holder == "youth.e13" else 403, 302
        )
        for action in ("interim_update", "goal", "goal_met", "note", "close")
        for holder in ("youth.supervisor", "youth.e13")
    },
    **{
        f"{action} on an E13 YouthConnect referral held by {holder}": _youthconnect(403, 302)
        for action in ("reassign", "consent_override")
        for holder in ("youth.supervisor", "youth.e13")
    },
    **{
        f"{action} on an E13 YouthConnect referral held by {holder}": _youthconnect(302, 302)
        for action in ("consent_record", "consent_revoke", "reroute")
        for holder in ("youth.supervisor", "youth.e13")
    },
}


def test_the_table_covers_every_scenario():
    assert set(EXPECTED) == set(SCENARIOS)


@pytest.mark.parametrize("view", list(EXPECTED))
def test_view_answers_each_persona_with_its_expected_status(client, personas, view):
    # One test per row of the table; every persona gets a fresh request, so one persona's action cannot change
    # what the next one finds.
    actual = {}
    for persona in PERSONAS:
        method, path, data = SCENARIOS[view](personas)
        client.force_login(personas[persona])
        response = client.get(path) if method == "GET" else client.post(path, data)
        actual[persona] = response.status_code
        if response.status_code == 302:
            assert not response["Location"].startswith(reverse("login")), persona
    assert actual == dict(zip(PERSONAS, EXPECTED[view], strict=True))


def test_every_view_sends_a_signed_out_visitor_to_login(client, personas):
    not_sent_to_login = []
    for view, scenario in SCENARIOS.items():
        method, path, data = scenario(personas)
        response = client.get(path) if method == "GET" else client.post(path, data)
        if response.status_code != 302 or not response["Location"].startswith(reverse("login") + "?next="):
            not_sent_to_login.append(view)
    assert not_sent_to_login == []


@pytest.mark.parametrize(
    ("persona", "url_name"),
    [
        ("officer.b2", "referrals:police_detail"),
        ("sergeant.b2", "referrals:police_detail"),
        ("clinician.b2", "referrals:case"),
        ("clinician.supervisor", "referrals:case"),
    ],
)
def test_unknown_request_is_the_same_404_as_someone_elses(client, login, persona, url_name):
    login(persona)
    assert client.get(reverse(url_name, args=["R-NOPE234"])).status_code == 404


def test_unknown_case_action_is_404(client, personas, login):
    referral = file_referral(personas["officer.b2"], "B2")
    login("clinician.b2")
    response = client.post(reverse("referrals:case_action", args=[referral.public_id, "delete"]))
    assert response.status_code == 404


def test_youth_worker_queue_is_200_and_holds_no_best_request(client, personas, login):
    # E13 is the youth worker's own district: a BEST request there is still another organisation's.
    best_requests = [file_referral(personas["officer.b2"], code) for code in ("B2", "E13")]
    login("youth.e13")
    response = client.get(reverse("referrals:queue"))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["waiting"] == []
    assert response.context["mine"] == []
    for referral in best_requests:
        assert referral.public_id not in html


def test_best_supervisor_queue_holds_every_best_request(client, personas, login):
    best_requests = [file_referral(personas["officer.b2"], code) for code in ("B2", "C11", "E13")]
    login("clinician.supervisor")
    response = client.get(reverse("referrals:queue"))
    assert {r.public_id for r in response.context["waiting"]} == {r.public_id for r in best_requests}


def test_clinician_queue_holds_only_the_own_district_requests(client, personas, login):
    own = file_referral(personas["officer.b2"], "B2")
    file_referral(personas["officer.b2"], "C11")
    login("clinician.b2")
    response = client.get(reverse("referrals:queue"))
    assert [r.public_id for r in response.context["waiting"]] == [own.public_id]


# --- access narrows as work is taken --------------------------------------------------------------------------


def _route_b2_then_c11() -> None:
    """co-response in B2: the B2 team, then the C11 team (the demo roster has both on shift), then supervisors."""
    program = Program.objects.get(slug="co-response")
    route = Route.objects.create(program=program, district=District.objects.get(code="B2"))
    for position, code in enumerate(("B2", "C11")):
        RouteStep.objects.create(
            route=route, position=position, kind=RouteStep.Kind.DISTRICT_TEAM, district=District.objects.get(code=code)
        )


def _case_statuses(client, personas, referral) -> dict[str, int]:
    statuses = {}
    for username in ("clinician.b2", "clinician.c11", "clinician.supervisor"):
        client.force_login(personas[username])
        statuses[username] = client.get(reverse("referrals:case", args=[referral.public_id])).status_code
    return statuses


def test_once_accepted_the_queues_it_passed_through_no_longer_read_it(client, personas):
    _route_b2_then_c11()
    referral = file_referral(personas["officer.b2"], "B2")
    assert co_response.referral_escalate_if_due(referral_id=referral.pk, now=referral.due_at + timedelta(seconds=1))
    referral.refresh_from_db()
    assert referral.team.district.code == "C11"
    # Waiting: every queue of the chain it has reached reads it.
    assert _case_statuses(client, personas, referral) == {
        "clinician.b2": 200,
        "clinician.c11": 200,
        "clinician.supervisor": 200,
    }

    client.force_login(personas["clinician.c11"])
    assert client.post(reverse("referrals:case_action", args=[referral.public_id, "accept"])).status_code == 302

    # Taken: the holding team (C11), the assignee and the supervisors read it; the B2 queue no longer does.
    assert _case_statuses(client, personas, referral) == {
        "clinician.b2": 404,
        "clinician.c11": 200,
        "clinician.supervisor": 200,
    }
    client.force_login(personas["clinician.b2"])
    assert referral.public_id not in client.get(reverse("referrals:queue")).content.decode()


def test_a_case_cannot_be_reassigned_to_a_police_user(client, personas, login):
    referral = advance(file_referral(personas["officer.b2"], "B2"), personas["clinician.b2"], "accepted")
    login("clinician.supervisor")
    for username in ("officer.b2", "sergeant.b2"):
        data = {"clinician": personas[username].pk, "reason": "Shift change"}
        response = client.post(reverse("referrals:case_action", args=[referral.public_id, "reassign"]), data)
        assert response.status_code == 422
    referral.refresh_from_db()
    assert referral.assignee == personas["clinician.b2"]
    with pytest.raises(ReferralError, match="is not a clinician of"):
        co_response.referral_reassign(
            referral=referral,
            actor=personas["clinician.supervisor"],
            clinician=personas["officer.b2"],
            reason="Shift change",
        )
    referral.refresh_from_db()
    assert referral.assignee == personas["clinician.b2"]


def test_a_casework_case_is_reassigned_only_to_a_worker_of_its_partner(client, personas, login):
    referral = advance_casework(_file_casework(personas, "YouthConnect", "E13"), personas["youth.e13"], "assigned")
    login("youth.supervisor")
    # A police user, another organisation's worker, and a supervisor (not a worker) are not in the form's list.
    for username in ("officer.b2", "outreach.roca", "youth.supervisor"):
        data = {"worker": personas[username].pk, "reason": "Caseload"}
        response = client.post(reverse("referrals:case_action", args=[referral.public_id, "reassign"]), data)
        assert response.status_code == 422, username
    with pytest.raises(ReferralError, match="is not a worker of"):
        casework.referral_reassign(
            referral=referral, actor=personas["youth.supervisor"], worker=personas["outreach.roca"], reason="Caseload"
        )
    referral.refresh_from_db()
    assert referral.assignee == personas["youth.e13"]
