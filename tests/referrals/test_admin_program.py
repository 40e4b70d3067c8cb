"""Programs are data: one created in the admin with an installed workflow takes requests end to end, through the
same pages as the demo's; the admin refuses one whose workflow is not installed."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation
from districts.models import District
from programs.models import Program, Workflow
from referrals.models import PoliceStatus, Referral
from referrals.workflows.co_response.models import CoResponseCase, CoResponseState

ADD = "/admin/programs/program/add/"


def _program_form(**overrides) -> dict:
    best = Organisation.objects.get(short_name="BEST")
    return {
        "name": "Night co-response (BEST)",
        "slug": "night-co-response",
        "organisation": best.pk,
        "workflow": Workflow.CO_RESPONSE,
        "description": "A BEST clinician on the night shift.",
        "acceptance_minutes": "15",
        "first_contact_amount": "3",
        "first_contact_unit": "business_days",
        "door_knock_hours": "48",
        "self_consent_age": "18",
        "uses_rosters": "on",
        "is_active": "on",
        # The reasons-for-referral inline, left empty.
        "reasons-TOTAL_FORMS": "0",
        "reasons-INITIAL_FORMS": "0",
        "reasons-MIN_NUM_FORMS": "0",
        "reasons-MAX_NUM_FORMS": "1000",
        "_save": "Save",
        **overrides,
    }


def _as(personas, username: str) -> Client:
    client = Client()
    client.force_login(personas[username])
    return client


def test_a_program_created_in_the_admin_with_the_co_response_workflow_works_end_to_end(personas):
    admin = _as(personas, "admin")
    response = admin.post(ADD, _program_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    program = Program.objects.get(slug="night-co-response")
    assert (program.workflow, program.acceptance_minutes) == (Workflow.CO_RESPONSE, 15)

    # The officer now has two programs to file with: the request form asks which first.
    officer = _as(personas, "officer.b2")
    chooser = officer.get(reverse("referrals:new"))
    assert chooser.status_code == 200
    page = chooser.content.decode()
    assert 'data-program="night-co-response"' in page
    assert 'data-program="co-response"' in page
    form = officer.get(reverse("referrals:new"), {"program": "night-co-response"})
    assert form.status_code == 200
    assert '<input type="hidden" name="program" value="night-co-response">' in form.content.decode()
    filed = officer.post(
        reverse("referrals:new"),
        {
            "program": "night-co-response",
            "idempotency_key": str(uuid.uuid4()),
            "district": District.objects.get(code="B2").pk,
            "urgency": "now",
            "location_text": "Nubian Sq",
            "subject_name": "Pat Doe",
        },
    )
    referral = Referral.objects.get(program=program)
    assert filed.status_code == 302
    assert filed["Location"] == reverse("referrals:police_detail", args=[referral.public_id])
    assert (referral.workflow, referral.team.district.code) == (Workflow.CO_RESPONSE, "B2")

    # It reaches the B2 queue, and the clinician takes it through the whole call.
    clinician = _as(personas, "clinician.b2")
    assert referral.public_id in clinician.get(reverse("referrals:queue")).content.decode()
    steps = [
        ("accept", {}),
        ("depart", {"eta_minutes": "10"}),
        ("arrive", {}),
        ("disposition", {"disposition": "urgent_care"}),
        ("finish", {}),
    ]
    for action, data in steps:
        response = clinician.post(reverse("referrals:case_action", args=[referral.public_id, action]), data)
        assert response.status_code == 302, (action, response.status_code)

    referral.refresh_from_db()
    assert CoResponseCase.objects.get(referral=referral).state == CoResponseState.CLOSED
    assert (referral.police_status, referral.phase, referral.assignee) == (
        PoliceStatus.CLOSED_CONNECTED,
        "ended",
        personas["clinician.b2"],
    )
    status_page = officer.get(reverse("referrals:police_detail", args=[referral.public_id])).content.decode()
    assert "Closed — connected to services" in status_page
    assert "Night co-response (BEST)" in status_page


def test_with_one_program_the_request_form_opens_directly(client, login):
    Program.objects.exclude(slug="co-response").update(is_active=False)
    login("officer.b2")
    response = client.get(reverse("referrals:new"))
    assert response.status_code == 200
    assert '<input type="hidden" name="program" value="co-response">' in response.content.decode()


def test_a_filing_without_a_chosen_program_among_several_files_nothing(personas):
    _as(personas, "admin").post(ADD, _program_form())
    officer = _as(personas, "officer.b2")
    data = {"idempotency_key": str(uuid.uuid4()), "district": District.objects.get(code="B2").pk, "urgency": "now"}
    for program in ({}, {"program": "no-such-program"}):
        response = officer.post(reverse("referrals:new"), {**data, **program})
        assert response.status_code == 200
        assert "data-program=" in response.content.decode()  # the chooser again
    assert Referral.objects.count() == 0


@pytest.mark.parametrize("workflow", [Workflow.SITUATION])
def test_the_admin_refuses_a_program_whose_workflow_is_not_installed(personas, workflow):
    admin = _as(personas, "admin")
    response = admin.post(ADD, _program_form(workflow=workflow, slug="not-yet", name="Not yet"))
    assert response.status_code == 200
    assert f"The {Workflow(workflow).label} workflow is not installed yet; choose one that is." in (
        response.content.decode()
    )
    assert not Program.objects.filter(slug="not-yet").exists()
