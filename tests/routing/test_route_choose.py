"""route_choose: the queue chosen for every combination of district, shift presence and fallback, and why."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from accounts.models import Organisation, Team
from routing.services import route_chain, route_choose, route_position_of, shift_create
from tests.routing import HOUR, best, best_clinician, clear_shifts, co_response, district, on_shift, route, team

pytestmark = pytest.mark.django_db


@pytest.fixture
def at():
    return timezone.now()


@pytest.fixture
def staff(personas):
    """Nobody on shift, and one BEST clinician for each queue of the B2 chain."""
    clear_shifts()
    return {"B2": personas["clinician.b2"], "B3": personas["clinician.c11"], "on_call": best_clinician("oncall")}


def _choose(code: str, at, after: int = -1):
    return route_choose(program=co_response(), district=district(code), at=at, after=after)


# --- no route configured: the district team, else the supervisors ----------------------------------------------


@pytest.mark.parametrize(
    ("district_on_shift", "on_call_on_shift", "expected", "reason"),
    [
        (True, True, "D4", "Routed to BEST D4"),
        (True, False, "D4", "Routed to BEST D4"),
        (False, True, "supervisors", "Routed to BEST supervisors: nobody on shift in D4"),
        (False, False, "supervisors", "Routed to BEST supervisors: nobody on shift in D4"),
    ],
)
def test_without_a_route_the_district_team_takes_it_if_on_shift_else_the_supervisors(
    staff, at, district_on_shift, on_call_on_shift, expected, reason
):
    if district_on_shift:
        on_shift(staff["B2"], "D4", at=at)
    if on_call_on_shift:
        on_shift(staff["on_call"], at=at, on_call=True)

    decision = _choose("D4", at)

    assert decision.team == (team(Team.Kind.SUPERVISORS) if expected == "supervisors" else team(code="D4"))
    assert decision.reason == reason
    assert decision.position == (0 if expected == "D4" else 1)
    assert decision.final == (expected == "supervisors")


def test_without_a_route_the_chain_is_district_team_then_supervisors(personas):
    chain = route_chain(program=co_response(), district=district("D4"))

    assert [(step.kind, step.district) for step in chain] == [("district", district("D4")), ("supervisors", None)]


def test_a_shift_in_another_district_does_not_staff_the_district(staff, at):
    on_shift(staff["B2"], "B2", at=at)

    assert _choose("D4", at).team == team(Team.Kind.SUPERVISORS)


def test_a_shift_of_another_organisation_does_not_staff_bests_queue(staff, personas, at):
    # youth.e13 works E13 for YouthConnect; BEST's E13 queue stays empty.
    shift_create(
        organisation=Organisation.objects.get(short_name="YouthConnect"),
        user=personas["youth.e13"],
        starts_at=at - HOUR,
        ends_at=at + HOUR,
        districts=[district("E13")],
    )

    decision = _choose("E13", at)

    assert decision.team == team(Team.Kind.SUPERVISORS)
    assert decision.reason == "Routed to BEST supervisors: nobody on shift in E13"


@pytest.mark.parametrize(
    ("starts", "ends", "on_shift_at_instant"),
    [
        (-1, 1, True),
        (0, 1, True),  # a shift starting at the instant covers it
        (-1, 0, False),  # a shift ending at the instant does not
        (1, 2, False),
        (-2, -1, False),
    ],
)
def test_a_shift_covers_from_its_start_up_to_but_not_including_its_end(staff, at, starts, ends, on_shift_at_instant):
    shift_create(
        organisation=best(),
        user=staff["B2"],
        starts_at=at + starts * HOUR,
        ends_at=at + ends * HOUR,
        districts=[district("B2")],
    )

    assert (_choose("B2", at).team == team(code="B2")) is on_shift_at_instant


def test_an_inactive_route_is_ignored(staff, at):
    chain = route("B2", "B3", "supervisors")
    chain.is_active = False
    chain.save(update_fields=["is_active"])
    on_shift(staff["B2"], "B2", at=at)
    on_shift(staff["B3"], "B3", at=at)

    decision = _choose("B2", at)

    assert decision.team == team(code="B2")
    assert decision.reason == "Routed to BEST B2"


# --- a route B2 → B3 → on-call → supervisors, every combination of shift presence -------------------------------

B2_CHAIN = ("B2", "B3", "on_call", "supervisors")


def _expected(b2: bool, b3: bool, on_call: bool) -> tuple[str, int, str]:
    if b2:
        return "B2", 0, "Routed to BEST B2"
    if b3:
        return "B3", 1, "Routed to BEST B3: nobody on shift in B2"
    if on_call:
        return "on_call", 2, "Routed to BEST citywide on-call: nobody on shift in B2, B3"
    return "supervisors", 3, "Routed to BEST supervisors: nobody on shift in B2, B3, citywide on-call"


def _team(name: str) -> Team:
    if name in (Team.Kind.ON_CALL, Team.Kind.SUPERVISORS):
        return team(name)
    return team(code=name)


@pytest.mark.parametrize(("b2", "b3", "on_call"), list(itertools.product([True, False], repeat=3)))
def test_route_picks_the_first_queue_with_someone_on_shift_and_says_why(staff, at, b2, b3, on_call):
    route("B2", *B2_CHAIN)
    if b2:
        on_shift(staff["B2"], "B2", at=at)
    if b3:
        on_shift(staff["B3"], "B3", at=at)
    if on_call:
        on_shift(staff["on_call"], at=at, on_call=True)
    name, position, reason = _expected(b2, b3, on_call)

    decision = _choose("B2", at)

    assert (decision.team, decision.position, decision.reason) == (_team(name), position, reason)
    assert decision.final == (name == "supervisors")


def test_a_route_for_b2_does_not_apply_to_another_district(staff, at):
    route("B2", *B2_CHAIN)
    on_shift(staff["B3"], "B3", at=at)

    decision = _choose("C11", at)

    assert decision.team == team(Team.Kind.SUPERVISORS)
    assert decision.reason == "Routed to BEST supervisors: nobody on shift in C11"


def test_a_route_without_a_supervisors_step_still_ends_with_the_supervisors(staff, at):
    route("B2", "B2", "B3")

    chain = route_chain(program=co_response(), district=district("B2"))
    decision = _choose("B2", at)

    assert [step.describe() for step in chain] == ["B2", "B3", "supervisors"]
    assert decision.team == team(Team.Kind.SUPERVISORS)
    assert decision.reason == "Routed to BEST supervisors: nobody on shift in B2, B3"


# --- after=: escalation starts after the queue that holds the request -------------------------------------------


@pytest.fixture
def everyone_on_shift(staff, at):
    route("B2", *B2_CHAIN)
    on_shift(staff["B2"], "B2", at=at)
    on_shift(staff["B3"], "B3", at=at)
    on_shift(staff["on_call"], at=at, on_call=True)


@pytest.mark.parametrize(
    ("after", "expected", "position", "reason", "final"),
    [
        (-1, "B2", 0, "Routed to BEST B2", False),
        (0, "B3", 1, "Routed to BEST B3", False),
        (1, "on_call", 2, "Routed to BEST citywide on-call", False),
        (2, "supervisors", 3, "Routed to BEST supervisors", True),
        (3, "supervisors", 3, "Still with BEST supervisors: end of the chain", True),
    ],
)
def test_after_a_position_the_next_staffed_queue_is_chosen(
    everyone_on_shift, at, after, expected, position, reason, final
):
    decision = _choose("B2", at, after=after)

    assert (decision.team, decision.position, decision.reason, decision.final) == (
        _team(expected),
        position,
        reason,
        final,
    )


def test_after_a_position_only_the_queues_skipped_since_are_named_in_the_reason(staff, at):
    route("B2", *B2_CHAIN)
    on_shift(staff["B2"], "B2", at=at)  # on shift, but the request already left B2
    on_shift(staff["on_call"], at=at, on_call=True)

    decision = _choose("B2", at, after=0)

    assert decision.team == team(Team.Kind.ON_CALL)
    assert decision.reason == "Routed to BEST citywide on-call: nobody on shift in B3"


@pytest.mark.parametrize(
    ("holder", "position"),
    [("B2", 0), ("B3", 1), ("on_call", 2), ("supervisors", 3), ("C11", -1)],
)
def test_route_position_of_each_queue_in_the_chain(personas, holder, position):
    route("B2", *B2_CHAIN)

    assert route_position_of(program=co_response(), district=district("B2"), team=_team(holder)) == position
