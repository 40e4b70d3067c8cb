"""On a phone: "Cancel request" asks first, Section 12 fields appear only for a Section 12 disposition, and a new
arrival shows in the queue tab's title."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import open_new_request, sign_in


def _file_as_officer(page) -> str:
    sign_in(page, "officer.b2")
    open_new_request(page)
    page.fill("#id_location_text", "Ruggles station")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text(re.compile(r"Request R-\w+ sent"))).to_be_visible()
    return re.search(r"/referrals/(R-\w+)/$", page.url).group(1)


def test_cancel_request_asks_to_confirm_and_a_no_keeps_it(e2e_personas, phone):
    officer = phone()
    _file_as_officer(officer)
    questions = []

    officer.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    officer.get_by_role("button", name="Cancel request").click()
    officer.wait_for_timeout(500)
    assert questions == ["Cancel this request? The clinician will no longer come."]
    expect(officer.locator("[data-status]")).to_have_text("Received")

    officer.once("dialog", lambda dialog: dialog.accept())
    officer.get_by_role("button", name="Cancel request").click()
    expect(officer.locator("[data-status]")).to_have_text("Cancelled")


def test_section_12_fields_show_only_for_a_section_12_disposition(e2e_personas, phone):
    officer = phone()
    public_id = _file_as_officer(officer)
    clinician = phone()
    sign_in(clinician, "clinician.b2")
    clinician.goto(clinician.url.replace("/queue/", f"/queue/{public_id}/"))
    clinician.get_by_role("button", name="Accept").click()
    section12 = clinician.locator("[data-section12]")
    expect(section12).to_be_hidden()
    clinician.select_option("#id_disposition", "ed_section_12")
    expect(section12).to_be_visible()
    clinician.select_option("#id_section12_by", "physician")
    clinician.select_option("#id_disposition", "stabilised")
    expect(section12).to_be_hidden()
    assert clinician.locator("#id_section12_by").input_value() == ""


def test_a_new_arrival_shows_in_the_queue_tab_title(e2e_personas, phone):
    clinician = phone()
    sign_in(clinician, "clinician.b2")
    expect(clinician.locator("body[data-live-state=open]")).to_have_count(1)
    before = clinician.title()
    _file_as_officer(phone())
    expect(clinician).to_have_title(re.compile(r"^\(1\) "), timeout=5_000)
    assert clinician.title().endswith(before.split(") ", 1)[-1])
