"""Every main page passes axe-core's WCAG 2.1 A/AA rules at a phone's and a laptop's size; the skip link and
keyboard-only paths work. One context per persona per size visits several pages; a failure lists every page's
violations, not just the first."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import axe_violations, new_axe_context
from tests.e2e.conftest import PHONE, open_new_request, sign_in

LAPTOP = {"width": 1366, "height": 900}
SIZES = [pytest.param((PHONE, True), id="phone"), pytest.param((LAPTOP, False), id="laptop")]


def _check(page, found: dict[str, list[str]], label: str, url: str | None = None) -> None:
    if url is not None:
        response = page.goto(url)
        assert response.ok, f"{label}: {url} answered {response.status}"
    page.wait_for_load_state("networkidle")
    violations = axe_violations(page)
    if violations:
        found[label] = violations


def _report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}:\n  " + "\n  ".join(lines) for page, lines in found.items())


@pytest.fixture
def axe_page(browser, live_server_url):
    def _open(size):
        viewport, mobile = size
        return new_axe_context(browser, viewport, live_server_url, mobile=mobile).new_page()

    return _open


def _file(page) -> str:
    page.goto("/")
    open_new_request(page)
    page.fill("#id_location_text", "Ruggles station")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text(re.compile(r"Request R-\w+ sent"))).to_be_visible()
    return re.search(r"/referrals/(R-\w+)/$", page.url).group(1)


@pytest.mark.parametrize("size", SIZES)
def test_officer_and_sign_in_pages_pass_axe(e2e_personas, axe_page, size):
    from django.contrib.auth import get_user_model

    from tests.conftest import PASSWORD, totp_device_for

    found: dict[str, list[str]] = {}
    page = axe_page(size)
    _check(page, found, "login", "/accounts/login/")
    # A clinician with a confirmed device signs in: the second step's page.
    totp_device_for(get_user_model().objects.get(username="clinician.b2"))
    page.fill("#id_username", "clinician.b2")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/two-step/verify/"))
    _check(page, found, "two-step verify")

    officer = axe_page(size)
    sign_in(officer, "officer.b2")
    _check(officer, found, "program chooser", "/referrals/new/")
    _check(officer, found, "new request", "/referrals/new/?program=co-response")
    public_id = _file(officer)
    _check(officer, found, "police detail")
    _check(officer, found, "my referrals", "/referrals/")
    _check(officer, found, "two-step settings", "/accounts/two-step/")
    _check(officer, found, "officer home", "/")
    _check(officer, found, "notifications", "/notifications/")
    _check(officer, found, "notification preferences", "/notifications/preferences")

    clinician = axe_page(size)
    sign_in(clinician, "clinician.b2")
    _check(clinician, found, "queue", "/queue/")
    _check(clinician, found, "case (received)", f"/queue/{public_id}/")
    clinician.get_by_role("button", name="Accept").click()
    expect(clinician.get_by_role("button", name="Accept")).to_have_count(0)
    _check(clinician, found, "case (accepted)")

    sergeant = axe_page(size)
    sign_in(sergeant, "sergeant.b2")
    _check(sergeant, found, "district list", "/referrals/")

    supervisor = axe_page(size)
    sign_in(supervisor, "clinician.supervisor")
    _check(supervisor, found, "overdue", "/overdue/")
    assert not found, _report(found)


@pytest.mark.parametrize("size", SIZES)
def test_casework_pages_pass_axe(e2e_personas, axe_page, size):
    from tests.e2e.test_casework import (
        GUARDIAN_NAME,
        GUARDIAN_PHONE,
        REASONS_ENTERED,
        SUBJECT_NAME,
        _choose_youthconnect_in_e13,
        _send,
    )

    found: dict[str, list[str]] = {}
    officer = axe_page(size)
    sign_in(officer, "officer.d4")
    officer.goto("/")
    _choose_youthconnect_in_e13(officer, age=15)
    _check(officer, found, "new YouthConnect referral")
    for reason in REASONS_ENTERED:
        officer.get_by_label(reason).check()
    officer.fill("#id_subject_name", SUBJECT_NAME)
    officer.fill("#id_guardian_name", GUARDIAN_NAME)
    officer.fill("#id_guardian_phone", GUARDIAN_PHONE)
    officer.get_by_label("Yes, a parent or guardian consented").check()
    public_id = _send(officer)
    _check(officer, found, "police detail (YouthConnect)")

    worker = axe_page(size)
    sign_in(worker, "youth.e13")
    _check(worker, found, "casework queue", "/queue/")
    worker.locator(f"[data-ref='{public_id}']").get_by_role("button", name="Assign to me").click()
    worker.goto(f"/queue/{public_id}/")
    expect(worker.locator("form[data-engage]")).to_have_count(1)
    _check(worker, found, "casework case")
    assert not found, _report(found)


@pytest.mark.parametrize("size", SIZES)
def test_dashboards_privacy_and_hub_pages_pass_axe(e2e_personas, axe_page, size):
    from tests.e2e.test_hub import _seed

    seed, meeting, situations = _seed()
    found: dict[str, list[str]] = {}

    analyst = axe_page(size)
    sign_in(analyst, "analyst")
    _check(analyst, found, "dashboards", "/dashboards/")
    _check(analyst, found, "compstat", "/dashboards/compstat/")

    privacy = axe_page(size)
    sign_in(privacy, "privacy.officer")
    _check(privacy, found, "access log", "/privacy/access-log/")
    _check(privacy, found, "disclosures log", "/privacy/disclosures/")

    coordinator = axe_page(size)
    sign_in(coordinator, seed.coordinator.username)
    _check(coordinator, found, "my tables", "/hub/")
    _check(coordinator, found, "escalations", "/hub/escalations/")
    _check(coordinator, found, "table", f"/hub/tables/{seed.table.pk}/")
    _check(coordinator, found, "meeting mode", f"/hub/meetings/{meeting.pk}/")
    _check(coordinator, found, "situation", f"/hub/situations/{situations[0].public_id}/")

    proposer = axe_page(size)
    sign_in(proposer, "officer.b2")
    _check(proposer, found, "propose a situation", f"/hub/tables/{seed.table.pk}/propose/")
    assert not found, _report(found)


def test_tab_from_the_top_focuses_the_skip_link_and_enter_moves_to_main(e2e_personas, phone):
    page = phone()
    sign_in(page, "officer.b2")
    page.goto("/referrals/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    expect(skip).to_have_css("outline-style", "solid")  # the :focus-visible ring
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def _tab_to(page, target, limit: int = 80) -> None:
    """Press Tab until ``target`` (a locator) has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


def test_officer_files_a_request_with_the_keyboard_only(e2e_personas, laptop):
    page = laptop()
    sign_in(page, "officer.b2")
    page.goto("/referrals/new/")
    _tab_to(page, page.locator("#programs [data-program='co-response']"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/referrals/new/\?program=co-response"))
    _tab_to(page, page.locator("#id_location_text"))
    expect(page.locator("#id_location_text")).to_have_css("outline-style", "solid")
    page.keyboard.type("Ruggles station")
    _tab_to(page, page.get_by_role("button", name="Send request"))
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"Request R-\w+ sent"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/referrals/R-\w+/$"))


def test_clinician_accepts_from_the_case_page_with_the_keyboard_only(e2e_personas, laptop):
    officer = laptop()
    sign_in(officer, "officer.b2")
    public_id = _file(officer)
    clinician = laptop()
    sign_in(clinician, "clinician.b2")
    clinician.goto("/queue/")
    _tab_to(clinician, clinician.locator(f"#main a[href$='/queue/{public_id}/']").first)
    clinician.keyboard.press("Enter")
    expect(clinician).to_have_url(re.compile(rf"/queue/{public_id}/$"))
    _tab_to(clinician, clinician.get_by_role("button", name="Accept"))
    clinician.keyboard.press("Enter")
    expect(clinician.get_by_text("Accepted. It is yours.")).to_be_visible()
