from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.accounts.test_login import EXPECTED_HOME
from tests.e2e.conftest import sign_in

HEADINGS = {
    "officer.b2": "My referrals",
    "sergeant.b2": "Referrals in my districts",
    "clinician.b2": "Waiting 0",
    "clinician.supervisor": "Waiting 0",
    "youth.e13": "Youth / outreach worker · YouthConnect, Boys & Girls Clubs of Boston",
    "hub.coordinator": "My tables",
    "agency.school": "My tables",
    "analyst": "Program dashboards",
    "admin": "Site administration",
}


def test_every_persona_signs_in_on_a_phone_and_lands_on_its_home(e2e_personas, phone, live_server_url):
    for username in sorted(EXPECTED_HOME):
        page = phone()
        sign_in(page, username)
        expect(page).to_have_url(re.compile(re.escape(live_server_url + EXPECTED_HOME[username]) + "$"))
        if username in HEADINGS:
            expect(page.get_by_text(HEADINGS[username], exact=True).first).to_be_visible()
        page.context.close()


def test_a_wrong_password_shows_a_clear_message(e2e_personas, phone):
    page = phone()
    page.goto("/accounts/login/")
    page.fill("#id_username", "officer.b2")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_have_text("That username and password do not match. Check both and try again.")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


@pytest.mark.parametrize("viewport", ["phone", "laptop"])
def test_sign_out_returns_to_the_login_page(e2e_personas, request, viewport):
    page = request.getfixturevalue(viewport)()
    sign_in(page, "clinician.b2")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/accounts/me/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))


def test_a_page_raises_no_content_security_policy_violation(e2e_personas, phone):
    page = phone()
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in(page, "officer.b2")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.htmx") == "object"
    assert violations == []
