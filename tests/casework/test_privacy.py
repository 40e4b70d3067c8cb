"""Officers and sergeants never reach casework's partner side: a crawl of every police page, partial, error page
and partner URL, and the admin, for a casework referral carried through consent, attempts, goals, notes, an
interim update and a close."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.urls import reverse

from referrals import consent, services
from referrals.models import Consent, PoliceStatus
from referrals.workflows.casework import services as casework
from referrals.workflows.casework.models import CaseworkCase, CaseworkPerson, ContactAttempt, Goal, ServiceTier
from referrals.workflows.casework.spec import ACTIONS
from tests.referrals.factories import file_casework

PARTNER_ACTIONS = sorted(name for name, action in ACTIONS.items() if action.side == "partner")

NAME = "Ottoline Vasquez-Brennan"
CIRCUMSTANCES = "Saw her cousin shot outside the Grove Hall laundromat"
PHONE = "617-555-0166"
ADDRESS = "41 Quillfeather Terrace"
GUARDIAN = "Perpetua Brennan"
GUARDIAN_PHONE = "617-555-0167"
ADDENDUM = "Her stepfather Lucius has a restraining order"
NOTE = "Disclosed nightmares; school counsellor Mx Ambrose informed"
GOAL = "Weekly check-in with the Zephyr mentoring group"
TIER = ServiceTier.FAMILY_THERAPY.label
OUTCOME = ContactAttempt.Outcome.LEFT_MESSAGE.label

SECRETS = (
    NAME,
    CIRCUMSTANCES,
    PHONE,
    ADDRESS,
    GUARDIAN,
    GUARDIAN_PHONE,
    ADDENDUM,
    NOTE,
    GOAL,
    TIER,
    OUTCOME,
    "Ottoline",
)


@pytest.fixture
def case(personas):
    officer, worker = personas["officer.b2"], personas["youth.supervisor"]
    referral = file_casework(
        officer,
        "B2",
        subject_name=NAME,
        subject_age=14,
        date_of_birth=date(2012, 5, 5),
        circumstances=CIRCUMSTANCES,
        phone=PHONE,
        address=ADDRESS,
        guardian_name=GUARDIAN,
        guardian_phone=GUARDIAN_PHONE,
        consent="not_yet",
    )
    services.referral_add_information(referral=referral, actor=officer, text=ADDENDUM)
    referral = casework.referral_assign(referral=referral, actor=worker)
    casework.contact_attempt_add(referral=referral, actor=worker, method="phone", outcome="left_message")
    consent.consent_record(referral=referral, actor=worker, given_by=Consent.GivenBy.GUARDIAN, giver_name=GUARDIAN)
    referral = casework.referral_engage(referral=referral, actor=worker, tier=ServiceTier.FAMILY_THERAPY)
    casework.goal_add(referral=referral, actor=worker, area="community", text=GOAL)
    services.clinical_note_add(referral=referral, actor=worker, text=NOTE)
    casework.interim_update(referral=referral, actor=worker)
    referral.refresh_from_db()
    assert referral.police_status == PoliceStatus.ACCEPTED
    return referral


def _leaks(response) -> list[str]:
    text = response.content.decode() + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return [secret for secret in SECRETS if secret in text]


@pytest.mark.parametrize("username", ["officer.b2", "sergeant.b2"])
def test_police_pages_partials_and_partner_urls_never_show_casework_detail(client, login, case, username):
    login(username)
    public_id = case.public_id
    htmx = {"HX-Request": "true"}
    for path in (
        reverse("home"),
        reverse("accounts:role_home"),
        reverse("referrals:mine"),
        reverse("referrals:new"),
        reverse("referrals:new") + "?program=youthconnect",
        reverse("referrals:police_detail", args=[public_id]),
        reverse("referrals:queue"),
        reverse("referrals:overdue"),
        reverse("referrals:case", args=[public_id]),
    ):
        for headers in ({}, htmx):
            response = client.get(path, headers=headers)
            assert _leaks(response) == [], (path, headers)
    for action in PARTNER_ACTIONS:
        response = client.post(reverse("referrals:case_action", args=[public_id, action]), {})
        assert response.status_code == 403, action
        assert _leaks(response) == [], action
    response = client.post(reverse("referrals:add_information", args=[public_id]), {"text": "More"}, follow=True)
    assert _leaks(response) == []
    status = client.get(reverse("referrals:police_detail", args=[public_id])).content.decode()
    assert "Accepted" in status and "Still engaged" in status
    for partner_only in ("Contact attempted", "Goal set", "Consent recorded", "Clinical note added"):
        assert partner_only not in status


def test_the_partner_page_shows_what_police_never_see(client, login, case):
    login("youth.supervisor")
    response = client.get(reverse("referrals:case", args=[case.public_id]))
    assert response.status_code == 200
    assert sorted(_leaks(response)) == sorted(SECRETS)


@pytest.mark.parametrize(
    "model", [CaseworkCase, CaseworkPerson, ContactAttempt, Goal, Consent], ids=lambda m: m.__name__
)
def test_the_admin_does_not_show_the_casework_partner_side(client, login, case, model):
    assert not admin.site.is_registered(model)
    login("admin")
    assert client.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/").status_code == 404
    assert _leaks(client.get(f"/admin/referrals/referral/{case.pk}/change/")) == []
