"""Unit teams in the chain, and programs whose teams keep no rosters.

A request from a police unit goes first to the partner's team for that unit when someone of the partner works with
it; a casework program without rosters keeps a request with its team queue at any hour, where a co-response program
passes it on to the supervisors for want of someone on shift."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from accounts.models import Membership, Organisation, Role, Team
from accounts.services import membership_create, team_get_or_create
from districts.models import Unit
from programs.deadlines import local_datetime
from programs.models import Program
from routing.models import Route, RouteStep
from routing.services import route_chain, route_choose, route_position_of, shift_create
from tests.routing import HOUR, clear_shifts, district

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nobody_on_shift(personas):
    clear_shifts()
    Route.objects.all().delete()  # the demo's YouthConnect routes: each test here lays out its own


@pytest.fixture
def night() -> datetime:
    """02:00 on a Wednesday, Boston time: no casework office is open."""
    return local_datetime(date(2026, 1, 14), time(2))


def youthconnect_program(*, uses_rosters: bool = False) -> Program:
    program = Program.objects.get(slug="youthconnect")
    program.uses_rosters = uses_rosters
    program.save(update_fields=["uses_rosters"])
    return program


def youthconnect() -> Organisation:
    return Organisation.objects.get(short_name="YouthConnect")


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def yc_team(code: str) -> Team:
    """YouthConnect's queue: a district code, a unit code or a kind."""
    if code in (Team.Kind.ON_CALL, Team.Kind.SUPERVISORS):
        return team_get_or_create(organisation=youthconnect(), kind=code)
    if Unit.objects.filter(code=code).exists():
        return team_get_or_create(organisation=youthconnect(), unit=unit(code))
    return team_get_or_create(organisation=youthconnect(), district=district(code))


def yc_route(district_code: str, *steps: str) -> Route:
    """A YouthConnect route: yc_route("E13", "SPU", "E13") (unit codes, district codes, on_call, supervisors)."""
    made = Route.objects.create(program=Program.objects.get(slug="youthconnect"), district=district(district_code))
    for position, step in enumerate(steps, start=1):
        if step in (RouteStep.Kind.ON_CALL, RouteStep.Kind.SUPERVISORS):
            RouteStep.objects.create(route=made, position=position, kind=step)
        elif Unit.objects.filter(code=step).exists():
            RouteStep.objects.create(route=made, position=position, kind=RouteStep.Kind.UNIT, unit=unit(step))
        else:
            RouteStep.objects.create(
                route=made, position=position, kind=RouteStep.Kind.DISTRICT_TEAM, district=district(step)
            )
    return made


def described(chain) -> list[str]:
    return [step.describe() for step in chain]


def yc_worker(username: str, *, districts=(), units=()):
    user = get_user_model().objects.create_user(username=username)
    membership_create(
        user=user,
        organisation=youthconnect(),
        role=Role.WORKER,
        districts=[district(code) for code in districts],
        units=[unit(code) for code in units],
    )
    return user


# --- the chain -----------------------------------------------------------------------------------------------------


def test_a_request_from_a_unit_someone_works_with_goes_first_to_that_unit_team(personas):
    # youth.e13 works with the Youth Violence Strike Force.
    chain = route_chain(program=youthconnect_program(), district=district("E13"), unit=unit("YVSF"))

    assert described(chain) == ["YVSF", "E13", "supervisors"]
    assert chain[0].kind == RouteStep.Kind.UNIT


def test_a_unit_nobody_of_the_partner_works_with_adds_nothing_to_the_chain(personas):
    chain = route_chain(program=youthconnect_program(), district=district("E13"), unit=unit("SPU"))

    assert described(chain) == ["E13", "supervisors"]


@pytest.mark.parametrize(
    "change",
    ["membership_ended", "user_deactivated", "only_a_supervisor", "unit_inactive", "another_partner"],
)
def test_a_unit_counts_only_with_an_active_front_line_member_of_the_programs_partner(personas, change):
    worker = personas["youth.e13"]
    if change == "membership_ended":
        Membership.objects.filter(user=worker).update(is_active=False)
    elif change == "user_deactivated":
        get_user_model().objects.filter(pk=worker.pk).update(is_active=False)
    elif change == "only_a_supervisor":
        Membership.objects.filter(user=worker).update(role=Role.WORKER_SUPERVISOR)
    elif change == "unit_inactive":
        Unit.objects.filter(code="YVSF").update(is_active=False)
    elif change == "another_partner":
        Membership.objects.filter(user=worker).update(organisation=Organisation.objects.get(short_name="Roca"))

    chain = route_chain(program=youthconnect_program(), district=district("E13"), unit=unit("YVSF"))

    assert described(chain) == ["E13", "supervisors"]


def test_a_routes_own_unit_steps_stay_where_the_route_puts_them(personas):
    yc_route("E13", "E13", "SPU", "on_call")

    chain = route_chain(program=youthconnect_program(), district=district("E13"))

    assert described(chain) == ["E13", "SPU", "citywide on-call", "supervisors"]


def test_the_requests_unit_comes_first_once_even_when_the_route_names_it_later(personas):
    yc_route("E13", "E13", "YVSF", "SPU")

    chain = route_chain(program=youthconnect_program(), district=district("E13"), unit=unit("YVSF"))

    assert described(chain) == ["YVSF", "E13", "SPU", "supervisors"]


# --- choosing: a program without rosters ----------------------------------------------------------------------------


def test_a_casework_request_filed_at_night_stays_with_its_district_team(personas, night):
    decision = route_choose(program=youthconnect_program(), district=district("E13"), at=night)

    assert (decision.team, decision.position, decision.final) == (yc_team("E13"), 0, False)
    assert decision.reason == "Routed to YouthConnect E13"


def test_a_casework_request_from_a_unit_at_night_stays_with_the_unit_team(personas, night):
    decision = route_choose(program=youthconnect_program(), district=district("E13"), at=night, unit=unit("YVSF"))

    assert (decision.team, decision.position, decision.final) == (yc_team("YVSF"), 0, False)
    assert decision.reason == "Routed to YouthConnect YVSF"


def test_the_same_program_with_rosters_would_pass_it_to_the_supervisors_at_night(personas, night):
    decision = route_choose(
        program=youthconnect_program(uses_rosters=True), district=district("E13"), at=night, unit=unit("YVSF")
    )

    assert (decision.team, decision.position, decision.final) == (yc_team(Team.Kind.SUPERVISORS), 2, True)
    assert decision.reason == "Routed to YouthConnect supervisors: nobody on shift in YVSF, E13"


def test_without_rosters_a_routes_first_team_holds_it_even_if_its_district_differs(personas, night):
    yc_route("E13", "B2", "on_call")

    decision = route_choose(program=youthconnect_program(), district=district("E13"), at=night)

    assert (decision.team, decision.reason) == (yc_team("B2"), "Routed to YouthConnect B2")


@pytest.mark.parametrize(
    ("after", "expected", "position", "final"),
    [(-1, "YVSF", 0, False), (0, "E13", 1, False), (1, "on_call", 2, False), (2, "supervisors", 3, True)],
)
def test_without_rosters_each_escalation_moves_one_queue_along(personas, night, after, expected, position, final):
    yc_route("E13", "E13", "on_call")

    decision = route_choose(
        program=youthconnect_program(), district=district("E13"), at=night, after=after, unit=unit("YVSF")
    )

    assert (decision.team, decision.position, decision.final) == (yc_team(expected), position, final)


# --- choosing: a unit step with rosters -----------------------------------------------------------------------------


def _on_shift(user, *codes: str, at: datetime) -> None:
    shift_create(
        organisation=youthconnect(),
        user=user,
        starts_at=at - HOUR,
        ends_at=at + HOUR,
        districts=[district(code) for code in codes],
    )


def test_with_rosters_a_unit_is_staffed_while_someone_who_works_with_it_is_on_shift(personas, night):
    _on_shift(personas["youth.e13"], "E13", at=night)  # works E13 and the YVSF

    decision = route_choose(
        program=youthconnect_program(uses_rosters=True), district=district("E13"), at=night, unit=unit("YVSF")
    )

    assert (decision.team, decision.reason) == (yc_team("YVSF"), "Routed to YouthConnect YVSF")


def test_with_rosters_a_unit_without_its_people_on_shift_is_skipped_for_the_district(personas, night):
    _on_shift(yc_worker("yc.e13.only", districts=["E13"]), "E13", at=night)

    decision = route_choose(
        program=youthconnect_program(uses_rosters=True), district=district("E13"), at=night, unit=unit("YVSF")
    )

    assert (decision.team, decision.position) == (yc_team("E13"), 1)
    assert decision.reason == "Routed to YouthConnect E13: nobody on shift in YVSF"


# --- where a unit team stands in the chain ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route_steps", "holder", "unit_code", "position"),
    [
        ((), "YVSF", "YVSF", 0),  # routed there from the unit
        ((), "E13", "YVSF", 1),
        ((), "supervisors", "YVSF", 2),
        ((), "YVSF", None, 0),  # the unit not passed: a unit team outside the route starts the chain
        (("E13", "YVSF"), "YVSF", None, 1),  # the route's own unit step keeps its place
        (("E13", "YVSF"), "YVSF", "YVSF", 0),
        ((), "SPU", None, -1),  # nobody works with the SPU: not in the chain
    ],
)
def test_route_position_of_a_unit_team(personas, route_steps, holder, unit_code, position):
    if route_steps:
        yc_route("E13", *route_steps)

    found = route_position_of(
        program=youthconnect_program(),
        district=district("E13"),
        team=yc_team(holder),
        unit=unit(unit_code) if unit_code else None,
    )

    assert found == position


# --- route steps naming a unit -------------------------------------------------------------------------------------


@pytest.fixture
def saved_route(personas):
    return Route.objects.create(program=Program.objects.get(slug="youthconnect"), district=district("E13"))


@pytest.mark.parametrize(
    ("kind", "district_code", "unit_code", "errors"),
    [
        (RouteStep.Kind.UNIT, None, None, {"unit": ["A unit-team step must name its unit."]}),
        (RouteStep.Kind.UNIT, "E13", "SPU", {"district": ["Only a district-team step names a district."]}),
        (RouteStep.Kind.DISTRICT_TEAM, "E13", "SPU", {"unit": ["Only a unit-team step names a unit."]}),
        (RouteStep.Kind.ON_CALL, None, "SPU", {"unit": ["Only a unit-team step names a unit."]}),
        (RouteStep.Kind.SUPERVISORS, None, "SPU", {"unit": ["Only a unit-team step names a unit."]}),
    ],
)
def test_a_unit_step_names_its_unit_and_no_other_step_does(saved_route, kind, district_code, unit_code, errors):
    step = RouteStep(
        route=saved_route,
        position=1,
        kind=kind,
        district=district(district_code) if district_code else None,
        unit=unit(unit_code) if unit_code else None,
    )

    with pytest.raises(ValidationError) as refused:
        step.full_clean()

    assert refused.value.message_dict == errors


def test_a_step_to_an_inactive_unit_is_refused(saved_route):
    Unit.objects.filter(code="SPU").update(is_active=False)
    step = RouteStep(route=saved_route, position=1, kind=RouteStep.Kind.UNIT, unit=unit("SPU"))

    with pytest.raises(ValidationError) as refused:
        step.full_clean()

    assert refused.value.message_dict == {"unit": ["SPU is not an active unit."]}


def test_a_unit_step_reads_as_its_unit_code(saved_route):
    step = RouteStep.objects.create(route=saved_route, position=1, kind=RouteStep.Kind.UNIT, unit=unit("SPU"))

    step.full_clean()
    assert str(step) == "SPU"


def _admin_route_form(*steps: tuple[str, str, str, str]) -> dict:
    data = {
        "program": str(Program.objects.get(slug="youthconnect").pk),
        "district": str(district("E13").pk),
        "is_active": "on",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for index, (position, kind, district_code, unit_code) in enumerate(steps):
        data[f"steps-{index}-position"] = position
        data[f"steps-{index}-kind"] = kind
        data[f"steps-{index}-district"] = str(district(district_code).pk) if district_code else ""
        data[f"steps-{index}-unit"] = str(unit(unit_code).pk) if unit_code else ""
    return data


def test_the_admin_saves_a_route_with_a_unit_step_and_lists_its_chain(client, login):
    login("admin")

    response = client.post(
        "/admin/routing/route/add/", _admin_route_form(("1", "unit", "", "SPU"), ("2", "district", "E13", ""))
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    route = Route.objects.get()
    assert [(s.kind, s.district, s.unit) for s in route.steps.all()] == [
        ("unit", None, unit("SPU")),
        ("district", district("E13"), None),
    ]
    assert "SPU → E13" in client.get("/admin/routing/route/").content.decode()


def test_the_admin_refuses_a_unit_step_without_its_unit(client, login):
    login("admin")

    response = client.post("/admin/routing/route/add/", _admin_route_form(("1", "unit", "", "")))

    assert response.status_code == 200
    assert "A unit-team step must name its unit." in response.content.decode()
    assert not Route.objects.exists()
