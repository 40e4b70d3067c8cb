"""The officer's New request chooser: programs serving the incident's district and the person's age, the officer's
home district first; the choice travels to the filing form; bad input gets a clear message, never a 500; the same
number of queries with 4 programs as with 16."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from districts.models import District
from programs.models import Program
from routing.models import Route
from tests.programs import make_program

pytestmark = pytest.mark.django_db

NEW = reverse("referrals:new")
HTMX = {"HX-Request": "true"}
AGE_MESSAGE = "Give the person&#x27;s age in years, from 0 to 120, or leave it empty."
DISTRICT_MESSAGE = "Choose a district from the list."


def district(code: str) -> District:
    return District.objects.get(code=code)


def offered(response) -> list[str]:
    return re.findall(r'data-program="([^"]+)"', response.content.decode())


@pytest.fixture
def programs(personas, casework_installed):
    """The demo's co-response (all ages, everywhere) and three casework programs: YouthConnect (ages 10-24, every
    district), street outreach (routed in B2 only) and DV advocacy (18 and over)."""
    # The demo's own routes and its trauma call-back are set aside: this layout is what these tests reason about.
    Route.objects.all().delete()
    Program.objects.filter(slug="trauma-callback").update(is_active=False)
    Program.objects.filter(slug="youthconnect").update(min_age=10, max_age=24)
    Program.objects.filter(slug="street-outreach").update(min_age=None, max_age=None)
    Program.objects.filter(slug="dv-advocacy").update(min_age=18, max_age=None)
    Route.objects.create(program=Program.objects.get(slug="street-outreach"), district=district("B2"))


@pytest.fixture
def officer(client, login):
    login("officer.b2")
    return client


# --- what is offered --------------------------------------------------------------------------------------------------


def test_the_officers_home_district_is_preselected_and_its_programs_offered(programs, officer):
    response = officer.get(NEW)

    assert response.status_code == 200
    assert f'<option value="{district("B2").pk}" selected>B2 Roxbury</option>' in response.content.decode()
    assert offered(response) == ["co-response", "youthconnect", "street-outreach", "dv-advocacy"]


def test_another_district_offers_the_programs_serving_it(programs, officer):
    response = officer.get(NEW, {"district": district("C11").pk})

    assert response.status_code == 200
    assert f'<option value="{district("C11").pk}" selected>C11 Dorchester</option>' in response.content.decode()
    assert offered(response) == ["co-response", "youthconnect", "dv-advocacy"]  # street outreach: B2 only


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        ("", ["co-response", "youthconnect", "street-outreach", "dv-advocacy"]),  # not known: no filter
        ("9", ["co-response", "street-outreach"]),
        ("12", ["co-response", "youthconnect", "street-outreach"]),
        ("24", ["co-response", "youthconnect", "street-outreach", "dv-advocacy"]),
        ("30", ["co-response", "street-outreach", "dv-advocacy"]),
    ],
)
def test_an_age_offers_only_the_programs_that_take_it(programs, officer, age, expected):
    response = officer.get(NEW, {"district": district("B2").pk, "age": age})

    assert response.status_code == 200
    assert offered(response) == expected


def test_an_age_alone_keeps_the_home_district(programs, officer):
    response = officer.get(NEW, {"age": "12"})

    assert f'<option value="{district("B2").pk}" selected>' in response.content.decode()
    assert "street-outreach" in offered(response)


def test_any_district_offers_programs_of_every_district(programs, officer):
    response = officer.get(NEW, {"district": ""})

    assert offered(response) == ["co-response", "youthconnect", "street-outreach", "dv-advocacy"]
    assert "?program=co-response&amp;district=" not in response.content.decode()


def test_each_program_shows_its_organisation_purpose_and_ages(programs, officer):
    page = officer.get(NEW).content.decode()

    assert "YouthConnect · ages 10–24" in page
    assert "A youth social worker follows up with a young person and their family." in page
    assert "FJC · 18 and over" in page
    assert "BEST · all ages" in page


def test_when_nothing_serves_the_person_the_page_says_so_and_what_to_try(programs, officer):
    Program.objects.filter(slug="co-response").update(min_age=18)

    response = officer.get(NEW, {"district": district("C11").pk, "age": "5"})

    assert response.status_code == 200
    assert offered(response) == []
    assert (
        "No program takes requests for a person of 5 in C11. Try another district, or leave the age empty."
        in response.content.decode()
    )


# --- the choice travels to the filing form ---------------------------------------------------------------------------


def test_the_chosen_district_and_age_travel_to_the_filing_form(programs, officer):
    c11 = district("C11").pk
    page = officer.get(NEW, {"district": c11, "age": "17"}).content.decode()

    assert f'href="{NEW}?program=youthconnect&amp;district={c11}&amp;age=17"' in page
    assert f'href="{NEW}?program=co-response&amp;district={c11}&amp;age=17"' in page


def test_without_an_age_only_the_district_travels(programs, officer):
    b2 = district("B2").pk
    page = officer.get(NEW).content.decode()

    assert f'href="{NEW}?program=co-response&amp;district={b2}"' in page


def test_a_chosen_program_opens_its_filing_form(programs, officer):
    response = officer.get(NEW, {"program": "co-response", "district": district("C11").pk, "age": "30"})

    assert response.status_code == 200
    assert '<input type="hidden" name="program" value="co-response">' in response.content.decode()


def test_with_one_program_and_no_question_asked_the_filing_form_opens_directly(personas, officer):
    Program.objects.exclude(slug="co-response").update(is_active=False)
    response = officer.get(NEW)

    assert '<input type="hidden" name="program" value="co-response">' in response.content.decode()


# --- htmx and no script ----------------------------------------------------------------------------------------------


def test_the_form_asks_by_get_and_works_without_script(programs, officer):
    page = officer.get(NEW).content.decode()

    form = re.search(r"<form [^>]*data-program-filter[^>]*>", page).group(0)
    assert 'method="get"' in form
    assert f'action="{NEW}"' in form
    assert f'hx-get="{NEW}"' in form
    assert 'hx-trigger="change"' in form
    assert 'hx-target="#programs"' in form
    assert '<button type="submit">Show programs</button>' in page
    assert 'name="age"' in page
    assert 'type="number"' in page


def test_an_htmx_change_gets_the_list_alone(programs, officer):
    response = officer.get(NEW, {"district": district("C11").pk, "age": "12"}, headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="programs">')
    assert "<html" not in body
    assert "<form" not in body
    assert offered(response) == ["co-response", "youthconnect"]


# --- bad input -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"age": "abc"}, AGE_MESSAGE),
        ({"age": "300"}, AGE_MESSAGE),
        ({"age": "-1"}, AGE_MESSAGE),
        ({"age": "12.5"}, AGE_MESSAGE),
        ({"age": "9" * 30}, AGE_MESSAGE),
        ({"district": "99999"}, DISTRICT_MESSAGE),
        ({"district": "abc"}, DISTRICT_MESSAGE),
        ({"district": "9" * 30}, DISTRICT_MESSAGE),
        ({"district": "-1", "age": "abc"}, DISTRICT_MESSAGE),
    ],
)
def test_bad_input_gets_the_page_back_with_a_clear_message_and_400(programs, officer, params, message):
    officer.raise_request_exception = False

    response = officer.get(NEW, params)

    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'role="alert"' in body
    assert offered(response) == []
    assert "data-program-filter" in body  # the form is there to correct it


def test_an_inactive_district_is_refused_like_an_unknown_one(programs, officer):
    District.objects.filter(code="A1").update(is_active=False)

    response = officer.get(NEW, {"district": district("A1").pk})

    assert response.status_code == 400
    assert DISTRICT_MESSAGE in response.content.decode()


def test_bad_input_through_htmx_gets_the_message_in_the_list_so_it_is_shown(programs, officer):
    response = officer.get(NEW, {"district": district("B2").pk, "age": "300"}, headers=HTMX)

    # htmx swaps only a 2xx answer.
    assert response.status_code == 200
    assert AGE_MESSAGE in response.content.decode()
    assert offered(response) == []


# --- who may ask, and what it costs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["clinician.b2", "youth.e13", "analyst"])
def test_only_police_see_the_chooser(programs, client, login, username):
    login(username)

    assert client.get(NEW, {"district": district("B2").pk}).status_code == 403


def _queries(client, params: dict, headers: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(NEW, params, headers=headers)
    assert response.status_code == 200
    return len(queries), len(offered(response))


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "partial"])
@pytest.mark.parametrize("params", [{}, {"age": "16"}], ids=["home-district", "with-age"])
def test_the_chooser_costs_the_same_queries_with_4_programs_as_with_16(programs, officer, headers, params):
    params = {"district": district("B2").pk, **params} if headers else params
    officer.get(NEW)  # warm the per-process caches so both measures start alike
    few, shown_few = _queries(officer, params, headers)

    for number in range(12):
        program = make_program(f"more-{number}", min_age=10, max_age=20 + number)
        if number % 2:
            Route.objects.create(program=program, district=district("B2"))
    many, shown_many = _queries(officer, params, headers)

    assert shown_many == shown_few + 12
    assert many == few


def test_a_message_is_tied_to_the_field_it_is_about(programs, officer):
    body = officer.get(NEW, {"age": "abc"}).content.decode()

    assert 'aria-describedby="id_age_error"' in body
    assert 'id="id_age_error"' in body
