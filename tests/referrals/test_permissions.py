"""Every view of the co-response issue against every persona: own district, other district, other organisation,
police role, no role. 404 for what is not yours (the same as for what does not exist), 403 for the wrong role or a
write the user may not make."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from districts.models import District
from programs.models import Program
from referrals.errors import ReferralError
from referrals.workflows.co_response import services as co_response
from routing.models import Route, RouteStep
from tests.referrals.factories import add_follow_up, advance, file_referral, form_datetime

PERSONAS = (
    "officer.b2",  # files the B2 requests
    "officer.d4",  # an officer of another district, files the D4 request
    "sergeant.b2",  # police supervisor of B2
    "clinician.b2",  # BEST, B2 team
    "clinician.c11",  # BEST, another district's team
    "clinician.supervisor",  # BEST clinical supervisor, every BEST request
    "youth.e13",  # a partner of another organisation (YouthConnect)
    "agency.school",  # Hub agency member: neither police nor partner
    "analyst",  # police department analyst: neither police role nor partner
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


SCENARIOS: dict[str, Scenario] = {
    "mine": lambda personas: ("GET", reverse("referrals:mine"), {}),
    "new GET": lambda personas: ("GET", reverse("referrals:new"), {}),
    "new POST": lambda personas: ("POST", reverse("referrals:new"), _new_request_data()),
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
}

POLICE_ONLY = (200, 200, 200, 403, 403, 403, 403, 403, 403)
NOBODY_BUT_SUPERVISOR = (403, 403, 403, 403, 404, 302, 404, 403, 403)

# Statuses in PERSONAS order. 302 is the action done; 403 a page of another role, or an action that is not this
# user's to take on a request they may read (``referrals.policy`` refuses: ``Refused``); 404 a request they may not
# read; 409 an action that is theirs but not in this state.
EXPECTED: dict[str, tuple[int, ...]] = {
    "mine": POLICE_ONLY,
    "new GET": POLICE_ONLY,
    "new POST": (302, 302, 302, 403, 403, 403, 403, 403, 403),
    "police_detail of officer.b2's B2 request": (200, 404, 200, 403, 403, 403, 403, 403, 403),
    "police_detail of officer.d4's D4 request": (404, 200, 404, 403, 403, 403, 403, 403, 403),
    # The sergeant sees the officer's request but may not change it: 403 (referrals.policy refuses).
    "cancel officer.b2's B2 request": (302, 404, 403, 403, 403, 403, 403, 403, 403),
    "cancel officer.d4's D4 request": (404, 302, 404, 403, 403, 403, 403, 403, 403),
    "add_information to officer.b2's B2 request": (302, 404, 403, 403, 403, 403, 403, 403, 403),
    "add_information to officer.d4's D4 request": (404, 302, 404, 403, 403, 403, 403, 403, 403),
    "queue": (403, 403, 403, 200, 200, 200, 200, 403, 403),
    "case of a B2 request": (403, 403, 403, 200, 404, 200, 404, 403, 403),
    "case of a C11 request": (403, 403, 403, 404, 200, 200, 404, 403, 403),
    "accept a B2 request": (403, 403, 403, 302, 404, 302, 404, 403, 403),
    "accept a C11 request": (403, 403, 403, 404, 302, 302, 404, 403, 403),
    "decline a B2 request": (403, 403, 403, 302, 404, 302, 404, 403, 403),
    # clinician.b2 sees the supervisor's call but did not accept it: clinical writes are 403.
    **{
        f"{action} on a B2 request held by clinician.supervisor": NOBODY_BUT_SUPERVISOR
        for action in ("depart", "arrive", "disposition", "note", "follow_up", "follow_up_done", "finish")
    },
    # The supervisor may write on clinician.b2's call, but the call's own steps stay with the clinician who has it.
    **{
        f"{action} on a B2 request held by clinician.b2": (403, 403, 403, 302, 404, 403, 404, 403, 403)
        for action in ("depart", "arrive", "disposition", "finish")
    },
    **{
        f"{action} on a B2 request held by clinician.b2": (403, 403, 403, 302, 404, 302, 404, 403, 403)
        for action in ("note", "follow_up", "follow_up_done")
    },
    **{
        f"{action} on a B2 request held by {holder}": NOBODY_BUT_SUPERVISOR
        for action in ("reassign", "transfer")
        for holder in ("clinician.supervisor", "clinician.b2")
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
