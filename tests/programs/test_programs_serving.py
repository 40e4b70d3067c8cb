"""programs_serving: the programs an officer may file with for a person of a given age in a given district, in one
query whatever their number."""

from __future__ import annotations

import pytest

from districts.models import District
from programs.models import Program, Workflow
from programs.selectors import programs_serving
from routing.models import Route
from tests.programs import make_program

pytestmark = pytest.mark.django_db


def district(code: str) -> District:
    return District.objects.get(code=code)


def slugs(programs) -> list[str]:
    return [program.slug for program in programs]


@pytest.fixture
def only_mine(personas, casework_installed):
    """Only the programs a test makes: the demo's are switched off."""
    Program.objects.update(is_active=False)


def test_a_program_without_routes_serves_every_district(only_mine):
    make_program("everywhere")

    for code in ("A1", "B2", "E18"):
        assert slugs(programs_serving(district=district(code))) == ["everywhere"]


def test_a_program_with_routes_serves_only_the_districts_of_its_active_routes(only_mine):
    program = make_program("routed")
    Route.objects.create(program=program, district=district("B2"))
    Route.objects.create(program=program, district=district("C11"))
    Route.objects.create(program=program, district=district("D4"), is_active=False)

    served = {code for code in ("B2", "C11", "D4", "E13") if programs_serving(district=district(code)).exists()}

    assert served == {"B2", "C11"}


def test_a_program_whose_only_route_is_inactive_serves_nowhere(only_mine):
    program = make_program("paused")
    Route.objects.create(program=program, district=district("B2"), is_active=False)

    assert not programs_serving(district=district("B2")).exists()
    assert not programs_serving(district=district("C11")).exists()


def test_no_district_means_any_district(only_mine):
    program = make_program("routed")
    Route.objects.create(program=program, district=district("B2"), is_active=False)
    make_program("everywhere")

    assert slugs(programs_serving(district=None)) == ["routed", "everywhere"]


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (None, ["any-age", "youth", "adults", "children"]),  # an unknown age filters nothing
        (0, ["any-age", "children"]),
        (9, ["any-age", "children"]),
        (10, ["any-age", "youth", "children"]),
        (17, ["any-age", "youth", "children"]),
        (18, ["any-age", "youth", "adults"]),
        (24, ["any-age", "youth", "adults"]),
        (25, ["any-age", "adults"]),
        (120, ["any-age", "adults"]),
    ],
)
def test_a_program_serves_the_ages_between_its_bounds_inclusive(only_mine, age, expected):
    make_program("any-age")
    make_program("youth", min_age=10, max_age=24)
    make_program("adults", min_age=18)
    make_program("children", max_age=17)

    served = programs_serving(district=district("B2"), age=age)

    assert slugs(served) == expected
    assert all(program.eligible(age) for program in served)


def test_inactive_programs_and_programs_without_an_installed_workflow_are_not_offered(only_mine):
    make_program("active")
    make_program("inactive", is_active=False)
    make_program("hub", workflow=Workflow.SITUATION)  # no situation module yet

    assert slugs(programs_serving(district=district("B2"))) == ["active"]


def test_the_casework_workflow_must_be_installed_for_its_programs_to_be_offered(personas, monkeypatch):
    from programs import registry

    monkeypatch.setattr(registry, "_AVAILABLE", {"co_response"})

    assert slugs(programs_serving(district=district("B2"))) == ["co-response"]


def test_the_list_comes_in_one_query_with_each_programs_organisation(only_mine, django_assert_num_queries):
    b2 = district("B2")
    for number in range(12):
        program = make_program(f"program-{number}", min_age=number)
        if number % 3 == 0:
            Route.objects.create(program=program, district=b2 if number != 6 else district("C11"))

    with django_assert_num_queries(1):
        listed = [(program.slug, program.organisation.short_name) for program in programs_serving(district=b2, age=8)]

    # Ages 8 and over take program-0 to program-8; program-6 is routed to C11 only.
    assert [slug for slug, _ in listed] == [f"program-{number}" for number in range(9) if number != 6]
    assert {organisation for _, organisation in listed} == {"YouthConnect"}
