"""A new partner added in the admin takes casework referrals without code: its organisation, a casework program
with its own reasons for referral, and a worker's membership, all made in the admin; then an officer files, the
worker takes it through to "connected", and the officer sees only the police-visible status."""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Organisation, Role
from accounts.services import membership_grant_confirm
from districts.models import District
from programs.models import Program, Workflow
from referrals.models import PoliceStatus, Referral


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_new_partner_and_casework_program_made_in_the_admin_take_referrals_end_to_end(personas):
    admin = _as(personas["admin"])
    response = admin.post(
        "/admin/accounts/organisation/add/",
        {"name": "Hyde Square Task Force", "short_name": "HSTF", "kind": Organisation.Kind.PARTNER, "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    partner = Organisation.objects.get(short_name="HSTF")
    response = admin.post(
        "/admin/programs/program/add/",
        {
            "name": "Youth mentoring (HSTF)",
            "slug": "hstf-mentoring",
            "organisation": partner.pk,
            "workflow": Workflow.CASEWORK,
            "description": "A mentor reaches out to a young person and their family.",
            "is_active": "on",
            "min_age": "12",
            "max_age": "21",
            "self_consent_age": "18",
            "first_contact_amount": "4",
            "first_contact_unit": "hours",
            "acceptance_minutes": "10",
            "door_knock_hours": "48",
            "reasons-TOTAL_FORMS": "2",
            "reasons-INITIAL_FORMS": "0",
            "reasons-MIN_NUM_FORMS": "0",
            "reasons-MAX_NUM_FORMS": "1000",
            "reasons-0-position": "0",
            "reasons-0-code": "mentoring_need",
            "reasons-0-label": "Needs a mentor",
            "reasons-0-is_active": "on",
            "reasons-1-position": "1",
            "reasons-1-code": "after_school",
            "reasons-1-label": "Nowhere to go after school",
            "reasons-1-is_active": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    program = Program.objects.get(slug="hstf-mentoring")
    assert list(program.reasons.values_list("code", flat=True)) == ["mentoring_need", "after_school"]

    mentor = get_user_model().objects.create_user("mentor.hstf", first_name="Rafa", last_name="Mentor")
    response = admin.post(
        "/admin/accounts/membership/add/",
        {
            "user": mentor.pk,
            "organisation": partner.pk,
            "role": Role.WORKER,
            "districts": [District.objects.get(code="E13").pk],
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    grant = Membership.objects.get(user=mentor)
    assert grant.pending  # a partner membership opens nothing until a second administrator confirms it
    membership_grant_confirm(membership=grant, actor=personas["admin.second"])

    officer = _as(personas["officer.d4"])
    chooser = officer.get(reverse("referrals:new"), {"district": District.objects.get(code="E13").pk, "age": "14"})
    assert 'data-program="hstf-mentoring"' in chooser.content.decode()
    too_old = officer.get(reverse("referrals:new"), {"district": District.objects.get(code="E13").pk, "age": "30"})
    assert 'data-program="hstf-mentoring"' not in too_old.content.decode()
    filed = officer.post(
        reverse("referrals:new"),
        {
            "program": "hstf-mentoring",
            "idempotency_key": str(uuid.uuid4()),
            "district": District.objects.get(code="E13").pk,
            "reason_codes": ["after_school"],
            "subject_name": "Nia Example",
            "subject_age": "14",
            "guardian_name": "Lee Example",
            "guardian_phone": "617-555-0177",
            "consent": "guardian",
        },
    )
    assert filed.status_code == 302, filed.content.decode()[:3000]
    referral = Referral.objects.get(program=program)
    assert (referral.workflow, referral.team.organisation, referral.team.district.code) == (
        Workflow.CASEWORK,
        partner,
        "E13",
    )
    assert referral.reason_labels() == ["Nowhere to go after school"]

    worker = _as(mentor)
    assert referral.public_id in worker.get(reverse("referrals:queue")).content.decode()
    for action, data in [
        ("assign", {}),
        ("contact_attempt", {"method": "phone", "outcome": "reached"}),
        ("engage", {"tier": "4"}),
        ("close", {"reason": "goals_met"}),
    ]:
        response = worker.post(reverse("referrals:case_action", args=[referral.public_id, action]), data)
        assert response.status_code == 302, (action, response.status_code, response.content.decode()[:2000])
    referral.refresh_from_db()
    assert referral.police_status == PoliceStatus.CLOSED_CONNECTED
    status_page = officer.get(reverse("referrals:police_detail", args=[referral.public_id])).content.decode()
    assert "Closed — connected to services" in status_page and "Nia Example" not in status_page
    assert "Tier 4" not in status_page and "resource coordination" not in status_page
