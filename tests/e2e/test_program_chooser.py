"""The New request chooser on a phone: changing the district or the age re-lists the programs in place (htmx),
the same form works with script off, and the chosen district and age travel to the filing form.

Beside the demo's programs (co-response for all ages, YouthConnect 10-24, street outreach 16-24, DV advocacy and the
trauma call-back for all ages), each test adds a co-response program for adults only."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, sign_in

CHOOSER_URL = re.compile(r"/referrals/new/$")


def _two_programs() -> None:
    from accounts.models import Organisation
    from programs.models import Program, Workflow

    Program.objects.create(
        name="Adult co-response (BEST)",
        slug="adult-co-response",
        organisation=Organisation.objects.get(short_name="BEST"),
        workflow=Workflow.CO_RESPONSE,
        description="A BEST clinician for adults.",
        min_age=18,
    )


def _district_pk(code: str) -> int:
    from districts.models import District

    return District.objects.get(code=code).pk


def _programs_listed(page) -> list[str]:
    return page.locator("#programs [data-program]").evaluate_all("links => links.map(a => a.dataset.program)")


def test_a_changed_age_re_lists_the_programs_in_place_and_travels_to_the_form(e2e_personas, phone):
    _two_programs()
    b2 = _district_pk("B2")
    page = phone()
    sign_in(page, "officer.b2")
    page.locator("#main").get_by_role("link", name="New request").click()
    expect(page).to_have_url(CHOOSER_URL)
    expect(page.locator("#id_district")).to_have_value(str(b2))
    assert _programs_listed(page) == [
        "co-response",
        "youthconnect",
        "street-outreach",
        "dv-advocacy",
        "trauma-callback",
        "adult-co-response",
    ]
    page.evaluate("window.__notReloaded = true")

    page.fill("#id_age", "15")
    page.press("#id_age", "Tab")  # leaving the field fires "change"

    # Street outreach (from 16) and adult co-response (from 18) drop out.
    expect(page.locator("#programs [data-program]")).to_have_count(4)
    assert _programs_listed(page) == ["co-response", "youthconnect", "dv-advocacy", "trauma-callback"]
    assert page.evaluate("window.__notReloaded === true")
    expect(page).to_have_url(re.compile(rf"/referrals/new/\?district={b2}&age=15$"))
    expect(page.locator("#programs")).to_contain_text("BEST · all ages")

    page.locator("[data-program=co-response]").click()
    expect(page).to_have_url(re.compile(rf"/referrals/new/\?program=co-response&district={b2}&age=15$"))
    expect(page.get_by_role("button", name="Send request")).to_be_visible()


def test_a_bad_age_is_explained_in_place(e2e_personas, phone):
    _two_programs()
    page = phone()
    sign_in(page, "officer.b2")
    page.goto("/referrals/new/")
    # The browser's own check would stop "300" first; a value it lets through but the server refuses shows the same.
    page.evaluate("document.getElementById('id_age').removeAttribute('max')")

    page.fill("#id_age", "300")
    page.press("#id_age", "Tab")

    expect(page.locator("#programs [role=alert]")).to_contain_text(
        "Give the person's age in years, from 0 to 120, or leave it empty."
    )
    expect(page.locator("#programs [data-program]")).to_have_count(0)


def test_without_script_the_button_lists_the_programs(e2e_personas, browser, live_server_url):
    _two_programs()
    c11 = _district_pk("C11")
    context = browser.new_context(viewport=PHONE, base_url=live_server_url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "officer.b2")
    page.goto("/referrals/new/")

    page.select_option("#id_district", str(c11))
    page.fill("#id_age", "40")
    page.get_by_role("button", name="Show programs").click()

    expect(page).to_have_url(re.compile(rf"/referrals/new/\?district={c11}&age=40$"))
    # YouthConnect (to 24) and street outreach (to 24) are not for a 40-year-old.
    assert _programs_listed(page) == ["co-response", "dv-advocacy", "trauma-callback", "adult-co-response"]
    expect(page.locator("[data-program=adult-co-response]")).to_have_attribute(
        "href", f"/referrals/new/?program=adult-co-response&district={c11}&age=40"
    )
    context.close()
