"""A locked account, as its owner meets it on a phone: five wrong passwords, then even the right one is refused with
the lockout message, until an administrator releases it (CJIS AC-7)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from accounts.lockout import LOCKED_MESSAGE, lockout_release
from accounts.models import SecurityEvent
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in


def _try(page, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", "clinician.b2")
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_a_locked_account_sees_the_lockout_message_until_an_administrator_releases_it(e2e_personas, phone):
    page = phone()
    for attempt in range(5):
        _try(page, f"wrong-password-{attempt}")

    _try(page, PASSWORD)  # the right password, too late

    expect(page.get_by_text(LOCKED_MESSAGE)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/queue/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))  # not signed in
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOCKED_OUT, username="clinician.b2").exists()

    assert lockout_release(username="clinician.b2", actor=e2e_personas["admin"])
    sign_in(page, "clinician.b2")
    expect(page).to_have_url(re.compile(r"/queue/$"))
