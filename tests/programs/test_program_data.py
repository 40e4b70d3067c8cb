"""A program's eligibility, consent age, deadline unit and reasons for referral are data an administrator sets in
the admin: checked there with clear messages, and read back as the officer and the workflows need them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from programs.models import DeadlineUnit, Program, ProgramReason, Workflow
from tests.programs import make_program, youthconnect

pytestmark = pytest.mark.django_db

ADD = "/admin/programs/program/add/"


# --- eligibility --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("min_age", "max_age", "age", "eligible"),
    [
        (10, 24, None, True),  # an unknown age rules nobody out
        (10, 24, 9, False),
        (10, 24, 10, True),  # both bounds are included
        (10, 24, 24, True),
        (10, 24, 25, False),
        (None, None, 0, True),
        (None, None, 99, True),
        (18, None, 17, False),
        (18, None, 80, True),
        (None, 17, 17, True),
        (None, 17, 18, False),
        (0, 17, 0, True),
    ],
)
def test_a_program_takes_the_ages_between_its_bounds_inclusive(min_age, max_age, age, eligible):
    assert Program(min_age=min_age, max_age=max_age).eligible(age) is eligible


@pytest.mark.parametrize(
    ("min_age", "max_age", "label"),
    [
        (10, 24, "ages 10–24"),
        (None, None, "all ages"),
        (18, None, "18 and over"),
        (None, 17, "17 and under"),
        (0, 17, "17 and under"),  # from birth is no lower limit
        (0, None, "all ages"),
        (16, 16, "age 16"),
    ],
)
def test_the_age_range_reads_as_a_phrase(min_age, max_age, label):
    assert Program(min_age=min_age, max_age=max_age).age_range_label() == label


def test_a_youngest_age_above_the_oldest_is_refused_with_a_clear_message(personas):
    program = Program(name="Teens", slug="teens", organisation=youthconnect(), workflow=Workflow.CASEWORK)
    program.min_age, program.max_age = 19, 13

    with pytest.raises(ValidationError) as refused:
        program.full_clean()

    assert refused.value.message_dict == {"max_age": ["The oldest age (13) is below the youngest (19)."]}


def test_equal_bounds_are_one_age_and_allowed(personas):
    program = Program(name="Sixteen", slug="sixteen", organisation=youthconnect(), workflow=Workflow.CASEWORK)
    program.min_age = program.max_age = 16

    program.full_clean()


def test_a_new_program_defaults_to_three_business_days_self_consent_at_18_and_rosters(personas):
    program = make_program("defaults")

    assert (program.first_contact_amount, program.first_contact_unit) == (3, DeadlineUnit.BUSINESS_DAYS)
    assert (program.self_consent_age, program.uses_rosters) == (18, True)
    assert (program.min_age, program.max_age) == (None, None)


# --- reasons for referral -------------------------------------------------------------------------------------------


def test_reasons_come_in_their_position_order_then_in_the_order_they_were_added(personas):
    program = make_program("yc-reasons")
    for position, code in [(2, "truancy"), (1, "family_conflict"), (2, "runaway"), (0, "witness_to_violence")]:
        ProgramReason.objects.create(program=program, code=code, label=code.replace("_", " "), position=position)

    assert [r.code for r in program.reasons.all()] == ["witness_to_violence", "family_conflict", "truancy", "runaway"]


def test_a_reason_code_is_unique_within_its_program_only(personas):
    first, second = make_program("yc-one"), make_program("yc-two")
    ProgramReason.objects.create(program=first, code="truancy", label="Truancy")
    ProgramReason.objects.create(program=second, code="truancy", label="Truancy")

    with pytest.raises(IntegrityError), transaction.atomic():
        ProgramReason.objects.create(program=first, code="truancy", label="Truancy again")


# --- the admin ------------------------------------------------------------------------------------------------------


def _form(**overrides) -> dict:
    data = {
        "name": "YouthConnect (admin)",
        "slug": "youthconnect-admin",
        "organisation": youthconnect().pk,
        "workflow": Workflow.CO_RESPONSE,  # the one workflow sure to be installed on this branch
        "description": "A youth social worker follows up.",
        "is_active": "on",
        "min_age": "10",
        "max_age": "24",
        "first_contact_amount": "2",
        "first_contact_unit": "business_days",
        "acceptance_minutes": "10",
        "door_knock_hours": "48",
        "self_consent_age": "14",
        "reasons-TOTAL_FORMS": "2",
        "reasons-INITIAL_FORMS": "0",
        "reasons-MIN_NUM_FORMS": "0",
        "reasons-MAX_NUM_FORMS": "1000",
        "reasons-0-position": "1",
        "reasons-0-code": "family_conflict",
        "reasons-0-label": "Family conflict",
        "reasons-0-definition": "Conflict at home the young person cannot resolve alone.",
        "reasons-0-is_active": "on",
        "reasons-1-position": "2",
        "reasons-1-code": "truancy",
        "reasons-1-label": "Truancy",
        "reasons-1-is_active": "on",
        "_save": "Save",
    }
    return {**data, **overrides}


@pytest.fixture
def admin_client(personas) -> Client:
    client = Client()
    client.force_login(personas["admin"])
    return client


def test_an_administrator_adds_a_program_with_its_eligibility_deadline_consent_rosters_and_reasons(admin_client):
    response = admin_client.post(ADD, _form())

    assert response.status_code == 302, response.content.decode()[:3000]
    program = Program.objects.get(slug="youthconnect-admin")
    assert (program.min_age, program.max_age, program.self_consent_age) == (10, 24, 14)
    assert (program.first_contact_amount, program.first_contact_unit) == (2, DeadlineUnit.BUSINESS_DAYS)
    assert program.uses_rosters is False  # an unticked box: a team without rosters
    assert [(r.code, r.label, r.is_active) for r in program.reasons.all()] == [
        ("family_conflict", "Family conflict", True),
        ("truancy", "Truancy", True),
    ]


def test_the_admin_refuses_a_youngest_age_above_the_oldest_and_says_why(admin_client):
    response = admin_client.post(ADD, _form(min_age="25", max_age="10"))

    assert response.status_code == 200
    assert "The oldest age (10) is below the youngest (25)." in response.content.decode()
    assert not Program.objects.filter(slug="youthconnect-admin").exists()


def test_the_admin_refuses_a_first_contact_of_zero(admin_client):
    response = admin_client.post(ADD, _form(first_contact_amount="0"))

    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()


def test_the_admin_refuses_the_same_reason_code_twice_in_a_program(admin_client):
    response = admin_client.post(ADD, _form(**{"reasons-1-code": "family_conflict"}))

    assert response.status_code == 200
    assert not Program.objects.filter(slug="youthconnect-admin").exists()


def test_the_program_page_groups_eligibility_first_contact_consent_and_rosters(admin_client):
    page = admin_client.get(ADD).content.decode()

    for heading in ("Eligibility", "First contact", "Consent", "Rosters"):
        assert f">{heading}</" in page, heading
    assert "Reasons for referral (what the officer picks from)" in page


def test_the_program_list_shows_ages_and_first_contact(admin_client):
    make_program("yc-list", min_age=10, max_age=24, first_contact_amount=30, first_contact_unit=DeadlineUnit.MINUTES)

    page = admin_client.get("/admin/programs/program/").content.decode()

    assert "ages 10–24" in page
    assert "30 minutes" in page
