"""Two-step sign-in on a phone: a clinician sets up an authenticator app at the first sign-in (the QR code and the key
on a 390x844 screen), keeps the recovery codes, and at the next sign-in types the app's code."""

from __future__ import annotations

import re
from base64 import b32decode

from playwright.sync_api import expect

from tests.conftest import PASSWORD, totp_code
from tests.e2e.conftest import PHONE


def _password_step(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_a_clinician_signs_in_with_totp_on_a_phone(e2e_personas, phone):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    clinician = e2e_personas["clinician.b2"]
    page = phone()
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)

    # First sign-in: the password alone leads to the set-up page, not the queue.
    _password_step(page, "clinician.b2")
    expect(page).to_have_url(re.compile(r"/accounts/two-step/enroll/\?next="))
    qr = page.locator("#qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], "the QR code fits"
    expect(page.locator("nav.topnav")).to_have_count(0)
    key = "".join(page.locator("#secret").inner_text().split())
    device = TOTPDevice.objects.get(user=clinician, confirmed=False)
    assert b32decode(key + "=" * (-len(key) % 8)) == device.bin_key  # what the person would type into the app

    page.fill("#id_code", totp_code(device))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page).to_have_url(re.compile(r"/queue/$"))
    expect(page.locator("body[data-live-state=open]")).to_have_count(1)  # the live socket opens once verified
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))

    # The next sign-in: the password, then the code the app shows now.
    _password_step(page, "clinician.b2")
    expect(page).to_have_url(re.compile(r"/accounts/two-step/verify/\?next="))
    page.goto("/queue/")  # nothing else opens before the code
    expect(page).to_have_url(re.compile(r"/accounts/two-step/verify/\?next=%2Fqueue%2F$"))
    page.fill("#id_code", "000000" if totp_code(device) != "000000" else "111111")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("That code did not match")
    page.wait_for_timeout(1100)  # django-otp slows the next try by a second after a wrong code
    page.fill("#id_code", totp_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/queue/$"))
    expect(page.get_by_text("Waiting 0", exact=True).first).to_be_visible()
    assert violations == []
