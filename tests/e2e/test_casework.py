"""Casework end to end on phones: an officer files a YouthConnect referral, the station's youth worker takes it live,
reaches out, engages and closes it; the officer sees "Accepted" and "Closed — connected to services" and nothing the
worker learned or wrote. A referral without consent waits for it: the worker cannot engage until someone holding
"override consent" overrides, with a reason."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.e2e.conftest import (
    CHOOSER_URL,
    assert_not_reloaded,
    choose_program,
    collect_frames,
    mark_page,
    sign_in,
)

YOUTHCONNECT = ("youthconnect", "YouthConnect")
REASONS_ENTERED = ["Family conflict", "Truancy"]
# YouthConnect's other reasons: the officer did not choose them, so no police page may name them.
REASONS_NOT_ENTERED = [
    "Witness to violence",
    "Victim of violence",
    "Gang involvement risk",
    "Substance use",
    "Mental health",
    "Runaway",
    "School discipline",
]

SUBJECT_NAME = "Quillon Brightwater-Osei"
GUARDIAN_NAME = "Marisol Brightwater"
GUARDIAN_PHONE = "617-555-0193"

NOTE_TEXT = "Quillon sleeps at cousin Thaddeus's on Tuesdays; mother works nights at the Hyde Square bakery"
GOAL_AREA = "School engagement"
GOAL_TEXT = "Re-enrol at Madison Park with counsellor Okonkwo-Lindqvist"
TIER = "Tier 2: family therapy"
ATTEMPTS = [("Phone call", "No answer"), ("Text message", "Left a message")]
# The case page has no way to edit the guardian: a change the worker learns later is written down as a case note.
LATER_GUARDIAN_NOTE = "Guardian now grandmother Philippa Vandersloot, 617-555-0177, 12 Zephyr Terrace"
CLOSE_REASON = "Goals met"

NEVER_TO_POLICE = [
    NOTE_TEXT,
    "Thaddeus",
    "bakery",
    GOAL_TEXT,
    "Okonkwo-Lindqvist",
    GOAL_AREA,
    TIER,
    "family therapy",
    *(method for method, _ in ATTEMPTS),
    *(outcome for _, outcome in ATTEMPTS),
    "Contact attempted",
    LATER_GUARDIAN_NOTE,
    "Philippa",
    "Vandersloot",
    "617-555-0177",
    "Zephyr Terrace",
    CLOSE_REASON,
    *REASONS_NOT_ENTERED,
]

REFERRAL_URL = re.compile(r"/referrals/(R-\w+)/$")


def _open_queue(page, username: str) -> None:
    sign_in(page, username)
    page.locator("nav.topnav").get_by_role("link", name="Queue", exact=True).click()
    expect(page).to_have_url(re.compile(r"/queue/$"))
    expect(page.locator("body[data-live-state=open]")).to_have_count(1)


def _choose_youthconnect_in_e13(page, *, age: int) -> None:
    """On the chooser: the incident's district (not the officer's own D4) and the age, then YouthConnect."""
    page.locator("#main").get_by_role("link", name="New request").click()
    expect(page).to_have_url(CHOOSER_URL)
    page.select_option("#id_district", label="E13 Jamaica Plain")
    page.fill("#id_age", str(age))
    page.press("#id_age", "Tab")  # leaving the field re-lists the programs for E13 and that age
    expect(page).to_have_url(re.compile(rf"/referrals/new/\?district=\d+&age={age}$"))
    choose_program(page, *YOUTHCONNECT)
    expect(page.get_by_role("heading", name="New YouthConnect referral")).to_be_visible()
    # What the chooser asked travels to the form.
    expect(page.locator("#id_district option:checked")).to_have_text("E13 Jamaica Plain")
    expect(page.locator("#id_subject_age")).to_have_value(str(age))


def _send(page) -> str:
    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_text(re.compile(r"Request R-\w+ sent to YouthConnect"))).to_be_visible()
    return REFERRAL_URL.search(page.url).group(1)


def _hx_get(page, url: str) -> str:
    """A page's htmx partial, fetched as htmx fetches it, with the officer's own session."""
    response = page.request.get(url, headers={"HX-Request": "true"})
    assert response.status == 200, url
    return response.text()


def assert_ids_unique(page) -> None:
    ids = page.locator("[id]").evaluate_all("elements => elements.map(e => e.id)")
    assert sorted(ids) == sorted(set(ids)), f"repeated ids: {sorted({i for i in ids if ids.count(i) > 1})}"


def _assert_nothing_leaked(texts: list[str]) -> None:
    for text in texts:
        for secret in NEVER_TO_POLICE:
            assert secret not in text, f"{secret!r} reached a police page or socket"


def test_officer_files_youthconnect_worker_engages_and_closes_officer_sees_only_status(
    e2e_personas, phone, live_server_url
):
    worker = phone()
    _open_queue(worker, "youth.e13")
    mark_page(worker)

    officer = phone()
    officer_frames = collect_frames(officer)
    sign_in(officer, "officer.d4")
    _choose_youthconnect_in_e13(officer, age=15)
    for reason in REASONS_ENTERED:
        officer.get_by_label(reason).check()
    officer.fill("#id_subject_name", SUBJECT_NAME)
    officer.fill("#id_guardian_name", GUARDIAN_NAME)
    officer.fill("#id_guardian_phone", GUARDIAN_PHONE)
    officer.get_by_label("Yes, a parent or guardian consented").check()
    public_id = _send(officer)
    expect(officer.locator("[data-status]")).to_have_text("Received")
    expect(officer.locator("#status dd").filter(has_text="Family conflict")).to_have_text(", ".join(REASONS_ENTERED))
    mark_page(officer)
    seen_by_officer = [officer.content()]

    # The worker's open queue shows it, without a reload.
    row = worker.locator(f"[data-ref='{public_id}']")
    expect(row).to_be_visible(timeout=5_000)
    assert_not_reloaded(worker)
    expect(row).to_contain_text("E13")
    expect(row.locator("[data-reasons]")).to_have_text(", ".join(REASONS_ENTERED))
    row.get_by_role("button", name="Assign to me").click()
    expect(worker.get_by_text("Assigned to you.")).to_be_visible()
    expect(worker.locator("[data-subject-name]")).to_have_text(SUBJECT_NAME)
    expect(worker.locator("[data-guardian]")).to_contain_text(GUARDIAN_NAME)

    attempt_form = worker.locator("form[data-contact-attempt]")
    for count, (method, outcome) in enumerate(ATTEMPTS, start=1):
        attempt_form.locator("select[name=method]").select_option(label=method)
        attempt_form.locator("select[name=outcome]").select_option(label=outcome)
        attempt_form.get_by_role("button", name="Record attempt").click()
        expect(worker.get_by_text("Contact attempt recorded.")).to_be_visible()
        expect(worker.locator("[data-attempt]")).to_have_count(count)
        expect(worker.locator("[data-attempt]").nth(count - 1)).to_contain_text(f"{method} · {outcome}")
    expect(worker.locator("[data-state]")).to_have_text("Contact attempted")
    # Reaching out is the worker's business: the officer still reads "Received".
    expect(officer.locator("[data-status]")).to_have_text("Received")

    worker.locator("form[data-engage] select[name=tier]").select_option(label=TIER)
    worker.locator("form[data-engage]").get_by_role("button", name="Engaged").click()
    expect(worker.get_by_text("Engaged; the officer sees 'Accepted'.")).to_be_visible()
    expect(worker.locator("[data-tier]")).to_have_text(TIER)

    # The officer's open page turns to "Accepted" by itself.
    expect(officer.locator("[data-status]")).to_have_text("Accepted", timeout=5_000)
    expect(officer.locator("[data-clinician]")).to_contain_text("Chris Delgado")
    assert_not_reloaded(officer)
    seen_by_officer.append(officer.content())

    assert_ids_unique(worker)  # every label on the case page names its own field
    worker.get_by_label("Add a note", exact=True).fill(NOTE_TEXT)
    worker.get_by_role("button", name="Add note").click()
    expect(worker.locator("[data-note]").filter(has_text=NOTE_TEXT)).to_be_visible()
    worker.get_by_label("Goal", exact=True).select_option(label=GOAL_AREA)
    worker.get_by_label("In a few words", exact=True).fill(GOAL_TEXT)
    worker.get_by_role("button", name="Add goal").click()
    expect(worker.locator("[data-goal]")).to_have_text(re.compile(rf"^\s*{GOAL_AREA}: {re.escape(GOAL_TEXT)}"))
    worker.get_by_label("Add a note", exact=True).fill(LATER_GUARDIAN_NOTE)
    worker.get_by_role("button", name="Add note").click()
    expect(worker.locator("[data-note]").filter(has_text=LATER_GUARDIAN_NOTE)).to_be_visible()

    worker.get_by_label("Close because", exact=True).select_option(label=CLOSE_REASON)
    worker.locator("form[data-close]").get_by_role("button", name="Close").click()
    expect(worker.get_by_text("Referral closed.")).to_be_visible()
    expect(worker.locator("[data-state]")).to_have_text("Closed")

    expect(officer.locator("[data-status]")).to_have_text("Closed — connected to services", timeout=5_000)
    assert_not_reloaded(officer)
    seen_by_officer.append(officer.content())

    # Everything the officer's pages and their partials show, and every hint the officer's page heard.
    detail_url = f"{live_server_url}/referrals/{public_id}/"
    list_url = f"{live_server_url}/referrals/"
    officer.goto(detail_url)
    expect(officer.locator("[data-status]")).to_have_text("Closed — connected to services")
    expect(officer.locator("#status dd").filter(has_text="Family conflict")).to_have_text(", ".join(REASONS_ENTERED))
    seen_by_officer.append(officer.content())
    officer.goto(list_url)
    expect(officer.locator(f"[data-ref='{public_id}'] [data-status]")).to_have_text("Closed — connected to services")
    seen_by_officer.append(officer.content())
    detail_partial = _hx_get(officer, detail_url)
    assert 'id="status"' in detail_partial and "Closed — connected to services" in detail_partial
    list_partial = _hx_get(officer, list_url)
    assert 'id="rows"' in list_partial and public_id in list_partial
    seen_by_officer += [detail_partial, list_partial]
    officer.goto(f"{live_server_url}/notifications/")
    seen_by_officer.append(officer.content())
    _assert_nothing_leaked(seen_by_officer)

    assert officer_frames, "the officer's page received no websocket hint"
    _assert_nothing_leaked(officer_frames)
    for frame in officer_frames:
        assert set(json.loads(frame)) == {"topic", "ref", "seq"}


OVERRIDE_REASON = "Runaway risk tonight; guardian unreachable after three calls"
OVERRIDE_QUESTION = "Share this person's identity without their consent? Your name and reason are recorded."


def test_without_consent_the_worker_cannot_engage_until_a_supervisor_overrides(e2e_personas, phone):
    officer = phone()
    sign_in(officer, "officer.d4")
    _choose_youthconnect_in_e13(officer, age=14)
    officer.get_by_label("Runaway").check()
    officer.fill("#id_subject_name", SUBJECT_NAME)
    officer.fill("#id_guardian_name", GUARDIAN_NAME)
    officer.fill("#id_guardian_phone", GUARDIAN_PHONE)
    officer.get_by_label("Not yet: the guardian is to be asked").check()
    public_id = _send(officer)
    expect(officer.locator("[data-status]")).to_have_text("Received")

    worker = phone()
    _open_queue(worker, "youth.e13")
    worker.locator(f"[data-ref='{public_id}']").get_by_role("button", name="Assign to me").click()
    expect(worker.get_by_text("Assigned to you.")).to_be_visible()

    # Who the person is stays hidden; the worker is told why, who can override, and whom to ask.
    withheld = worker.locator("[data-identity-withheld]")
    expect(withheld).to_contain_text("Consent needed: a parent or guardian of this 14-year-old has not consented")
    expect(withheld).to_contain_text("ask someone who can override consent: Renee Baptiste")
    expect(worker.locator("[data-subject-name]")).to_have_count(0)
    expect(worker.get_by_text(SUBJECT_NAME)).to_have_count(0)
    expect(worker.locator("[data-consent-contact]")).to_have_text(
        f"To ask for consent: {GUARDIAN_NAME} · {GUARDIAN_PHONE}"
    )
    expect(worker.locator("[data-consent-contact] a")).to_have_attribute("href", f"tel:{GUARDIAN_PHONE}")
    expect(worker.locator("[data-consent-state]")).to_have_text("No consent in force.")

    # Engaging is not offered, and the page says what is missing; the worker cannot override either.
    expect(worker.locator("form[data-engage]")).to_have_count(0)
    expect(worker.get_by_role("button", name="Engaged", exact=True)).to_have_count(0)
    blocked = worker.locator("[data-engage-blocked]")
    expect(blocked).to_be_visible()
    expect(blocked).to_contain_text("Engaging needs consent.")
    expect(blocked).to_contain_text("Renee Baptiste")
    expect(worker.get_by_role("button", name="Override consent")).to_have_count(0)
    expect(worker.locator("[data-consent] summary").filter(has_text="Override consent")).to_have_count(0)
    expect(worker.locator("[data-state]")).to_have_text("Assigned")
    mark_page(worker)

    supervisor = phone()
    sign_in(supervisor, "youth.supervisor")
    supervisor.goto(f"/queue/{public_id}/")
    assert_ids_unique(supervisor)  # reassign, override and re-route all ask for a "reason"
    supervisor.locator("[data-consent] summary").filter(has_text="Override consent").click()
    supervisor.get_by_label("Why identity is shared without consent").fill(OVERRIDE_REASON)

    questions: list[str] = []
    supervisor.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    supervisor.get_by_role("button", name="Override consent").click()
    supervisor.wait_for_timeout(500)
    assert questions == [OVERRIDE_QUESTION]
    expect(supervisor.locator("[data-consent-state]")).to_have_text("No consent in force.")

    supervisor.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    supervisor.get_by_role("button", name="Override consent").click()
    expect(supervisor.get_by_text("Override recorded; identity is shared with the team.")).to_be_visible()
    assert questions == [OVERRIDE_QUESTION, OVERRIDE_QUESTION]
    expect(supervisor.locator("[data-consent-state]")).to_have_text(f"Overridden by Renee Baptiste: {OVERRIDE_REASON}.")

    # The worker's open case page catches up by itself: the person, and the Engaged button.
    expect(worker.locator("form[data-engage]")).to_be_visible(timeout=5_000)
    assert_not_reloaded(worker)
    expect(worker.locator("[data-engage-blocked]")).to_have_count(0)
    expect(worker.locator("[data-subject-name]")).to_have_text(SUBJECT_NAME)
    worker.locator("form[data-engage] select[name=tier]").select_option(label="Tier 1: individual therapy")
    worker.locator("form[data-engage]").get_by_role("button", name="Engaged").click()
    expect(worker.get_by_text("Engaged; the officer sees 'Accepted'.")).to_be_visible()
    expect(worker.locator("[data-state]")).to_have_text("Engaged")

    expect(officer.locator("[data-status]")).to_have_text("Accepted", timeout=5_000)
