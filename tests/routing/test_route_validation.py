"""A route pointing nowhere is refused with a clear message: in the step formset, in the step model, in the admin."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory

from districts.models import District
from routing.forms import RouteStepFormSet
from routing.models import Route, RouteStep
from tests.routing import co_response, district

pytestmark = pytest.mark.django_db

NOWHERE = "A route must have at least one step: it points nowhere otherwise."
# The formset's own "Two steps have the same position" check never runs: Django's unique check on (route, position)
# refuses the duplicate first, with this message.
SAME_POSITION = "Please correct the duplicate data for position."

StepFormSet = inlineformset_factory(
    Route, RouteStep, formset=RouteStepFormSet, fields=["position", "kind", "district"], extra=0
)


def _management(total: int, prefix: str = "steps") -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _steps(*steps: tuple[str, str, str], blank: int = 0) -> dict:
    """Formset data for (position, kind, district code or "") rows, then `blank` untouched extra rows."""
    data = _management(len(steps) + blank)
    for index, (position, kind, code) in enumerate(steps):
        data[f"steps-{index}-position"] = position
        data[f"steps-{index}-kind"] = kind
        data[f"steps-{index}-district"] = str(district(code).pk) if code else ""
    for index in range(len(steps), len(steps) + blank):
        data.update({f"steps-{index}-position": "", f"steps-{index}-kind": "", f"steps-{index}-district": ""})
    return data


@pytest.fixture
def unsaved_route(personas):
    return Route(program=co_response(), district=district("B2"))


# --- the formset ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("blank", [0, 1, 3])
def test_a_route_with_no_steps_is_refused_because_it_points_nowhere(unsaved_route, blank):
    formset = StepFormSet(_steps(blank=blank), instance=unsaved_route)

    assert not formset.is_valid()
    assert formset.non_form_errors() == [NOWHERE]


def test_a_route_whose_only_step_is_deleted_is_refused(unsaved_route):
    data = _steps(("1", "district", "B2"))
    data["steps-0-DELETE"] = "on"
    formset = StepFormSet(data, instance=unsaved_route)

    assert not formset.is_valid()
    assert formset.non_form_errors() == [NOWHERE]


def test_two_steps_at_the_same_position_are_refused(unsaved_route):
    formset = StepFormSet(_steps(("1", "district", "B2"), ("1", "on_call", "")), instance=unsaved_route)

    assert not formset.is_valid()
    assert formset.non_form_errors() == [SAME_POSITION]


def test_a_route_with_steps_is_accepted(unsaved_route):
    formset = StepFormSet(
        _steps(("1", "district", "B2"), ("2", "district", "B3"), ("3", "on_call", ""), blank=1),
        instance=unsaved_route,
    )

    assert formset.is_valid(), (formset.errors, formset.non_form_errors())


# --- the step model ------------------------------------------------------------------------------------------------


@pytest.fixture
def saved_route(personas):
    return Route.objects.create(program=co_response(), district=district("B2"))


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        (RouteStep.Kind.DISTRICT_TEAM, None, "A district-team step must name its district."),
        (RouteStep.Kind.ON_CALL, "B3", "Only a district-team step names a district."),
        (RouteStep.Kind.SUPERVISORS, "B3", "Only a district-team step names a district."),
    ],
)
def test_a_step_naming_the_wrong_place_is_refused_with_a_clear_message(saved_route, kind, code, message):
    step = RouteStep(route=saved_route, position=1, kind=kind, district=district(code) if code else None)

    with pytest.raises(ValidationError) as refused:
        step.full_clean()

    assert refused.value.message_dict == {"district": [message]}


def test_a_step_to_an_inactive_district_is_refused(saved_route):
    District.objects.filter(code="B3").update(is_active=False)
    step = RouteStep(route=saved_route, position=1, kind=RouteStep.Kind.DISTRICT_TEAM, district=district("B3"))

    with pytest.raises(ValidationError) as refused:
        step.full_clean()

    assert refused.value.message_dict == {"district": ["B3 is not an active district."]}


@pytest.mark.parametrize(
    ("kind", "code"), [(RouteStep.Kind.DISTRICT_TEAM, "B3"), (RouteStep.Kind.ON_CALL, None), ("supervisors", None)]
)
def test_a_well_formed_step_passes_validation(saved_route, kind, code):
    RouteStep(route=saved_route, position=1, kind=kind, district=district(code) if code else None).full_clean()


# --- the admin -----------------------------------------------------------------------------------------------------

ADD_URL = "/admin/routing/route/add/"


def _route_form(**steps) -> dict:
    return {"program": str(co_response().pk), "district": str(district("B2").pk), "is_active": "on", **steps}


def test_the_admin_refuses_a_route_with_no_steps(client, login):
    login("admin")

    response = client.post(ADD_URL, _route_form(**_steps(blank=1)))

    assert response.status_code == 200
    assert NOWHERE in response.content.decode()
    assert not Route.objects.filter(program=co_response()).exists()


def test_the_admin_refuses_a_district_step_without_a_district(client, login):
    login("admin")

    response = client.post(ADD_URL, _route_form(**_steps(("1", "district", ""))))

    assert response.status_code == 200
    assert "A district-team step must name its district." in response.content.decode()
    assert not Route.objects.filter(program=co_response()).exists()


def test_the_admin_saves_a_route_with_steps(client, login):
    login("admin")

    response = client.post(ADD_URL, _route_form(**_steps(("1", "district", "B2"), ("2", "on_call", ""), blank=1)))

    assert response.status_code == 302
    route = Route.objects.get(program=co_response())
    assert [(s.position, s.kind, s.district_id) for s in route.steps.all()] == [
        (1, "district", district("B2").pk),
        (2, "on_call", None),
    ]
