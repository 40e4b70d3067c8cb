"""The heart of Handoff, end to end on phones: officer files, clinician takes it, the officer sees only status."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import assert_not_reloaded, collect_frames, mark_page, open_new_request, sign_in

SUBJECT_NAME = "Zebulon Quixote-Marrow"
CIRCUMSTANCES = "Standing on the Longfellow railing, says the voices told him to jump"
NOTE_TEXT = "Discussed lithium non-adherence; sister Wilhelmina can host tonight"
DISPOSITION_LABEL = "Referred for follow-up"
CLINICAL_STRINGS = [SUBJECT_NAME, CIRCUMSTANCES, NOTE_TEXT, DISPOSITION_LABEL, "Wilhelmina", "lithium"]


def test_officer_files_clinician_handles_officer_sees_only_status(e2e_personas, phone):
    clinician = phone()
    sign_in(clinician, "clinician.b2")
    expect(clinician).to_have_url(re.compile(r"/queue/$"))
    expect(clinician.locator("body[data-live-state=open]")).to_have_count(1)
    mark_page(clinician)

    officer = phone()
    officer_frames = collect_frames(officer)
    sign_in(officer, "officer.b2")
    open_new_request(officer)  # several programs take requests: the chooser, then "Co-response (BEST)"
    officer.fill("#id_location_text", "Longfellow Bridge, Charles St side")
    officer.get_by_label("Suicidal statements").check()
    officer.get_by_label("Psychosis").check()
    officer.fill("#id_circumstances", CIRCUMSTANCES)
    officer.get_by_text("The person (if known)").click()
    officer.fill("#id_subject_name", SUBJECT_NAME)
    officer.fill("#id_subject_age", "38")
    officer.get_by_role("button", name="Send request").click()
    expect(officer.get_by_text(re.compile(r"Request R-\w+ sent"))).to_be_visible()
    public_id = re.search(r"/referrals/(R-\w+)/$", officer.url).group(1)
    expect(officer.locator("[data-status]")).to_have_text("Received")
    mark_page(officer)

    # The clinician's open queue shows it within a second or so, without a reload.
    row = clinician.locator(f"[data-ref='{public_id}']")
    expect(row).to_be_visible(timeout=5_000)
    assert_not_reloaded(clinician)
    expect(row).to_contain_text("On scene now")
    row.get_by_role("button", name="Accept").click()
    expect(clinician.get_by_text("Accepted. It is yours.")).to_be_visible()
    expect(clinician.get_by_text(SUBJECT_NAME)).to_be_visible()

    # The officer's open page turns to "Accepted" by itself.
    expect(officer.locator("[data-status]")).to_have_text("Accepted", timeout=5_000)
    expect(officer.locator("[data-clinician]")).to_contain_text("Jordan Lee")
    # Once accepted, each can call the other back.
    expect(officer.locator("[data-clinician-phone]")).to_have_text("617-555-0142")
    expect(clinician.locator("[data-officer-phone]")).to_have_text("617-555-0102")
    assert_not_reloaded(officer)

    clinician.fill("#id_eta_minutes", "12")
    clinician.get_by_role("button", name="En route").click()
    expect(officer.locator("[data-status]")).to_have_text("En route", timeout=5_000)
    expect(officer.locator("[data-status-note]")).to_have_text(re.compile(r"^ETA \d\d:\d\d$"))

    clinician.get_by_role("button", name="On scene").click()
    expect(officer.locator("[data-status]")).to_have_text("On scene", timeout=5_000)

    # "End call" is offered once a disposition is recorded; the Section 12 fields only for a Section 12.
    expect(clinician.get_by_role("button", name="End call")).to_have_count(0)
    expect(clinician.get_by_label("Section 12 authorised by")).to_be_hidden()
    clinician.select_option("#id_disposition", label=DISPOSITION_LABEL)
    clinician.get_by_role("button", name="Record disposition").click()
    expect(clinician.locator("[data-disposition]")).to_have_text(DISPOSITION_LABEL)

    clinician.fill("textarea[name=text]", NOTE_TEXT)
    clinician.get_by_role("button", name="Add note").click()
    expect(clinician.locator("[data-note]").filter(has_text=NOTE_TEXT)).to_be_visible()

    due = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    clinician.select_option("select[name=kind]", label="Phone call")
    clinician.fill("input[name=due_at]", due)
    clinician.get_by_role("button", name="Schedule").click()
    expect(clinician.locator("[data-follow-up]")).to_contain_text("Phone call")

    clinician.get_by_role("button", name="End call").click()
    expect(clinician.locator("[data-state]")).to_have_text("Follow-up")

    expect(officer.locator("[data-status]")).to_have_text("Closed — connected to services", timeout=5_000)
    assert_not_reloaded(officer)

    # Nothing clinical or identifying reached the officer: not in the page, not in any websocket frame.
    officer.goto(f"/referrals/{public_id}/")
    officer.goto("/referrals/")
    expect(officer.locator(f"[data-ref='{public_id}'] [data-status]")).to_have_text("Closed — connected to services")
    html = officer.content()
    for text in CLINICAL_STRINGS:
        assert text not in html
    assert officer_frames, "the officer's page received no websocket hint"
    for frame in officer_frames:
        for text in CLINICAL_STRINGS:
            assert text not in frame
        assert set(json.loads(frame)) == {"topic", "ref", "seq"}
