"""Single sign-on in the browser: the provider's button on Handoff's sign-in page, the test provider's own sign-in
and consent pages (tests/oidc_provider, a real provider in its own process), and back to Handoff signed in."""

from __future__ import annotations

import re

from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import IdentityLink, IdentityProvider, Organisation
from accounts.oidc import discover
from tests.oidc_provider.launch import PASSWORD


def _provider(oidc_provider, slug: str, organisation: str, enforces_mfa: bool = True) -> IdentityProvider:
    """A provider as the department runs it: its own second factor at every sign-in, so Handoff asks for none of an
    officer (accounts.mfa)."""
    client_id = f"handoff-{slug}"
    return IdentityProvider.objects.create(
        enforces_mfa=enforces_mfa,
        name=f"{organisation} sign-in",
        slug=slug,
        organisation=Organisation.objects.get(short_name=organisation),
        issuer=oidc_provider.issuer,
        client_id=client_id,
        client_secret=oidc_provider.clients[client_id]["client_secret"],
        **discover(oidc_provider.issuer),
    )


def _sign_in_at_provider(page, oidc_provider, username: str) -> None:
    expect(page).to_have_url(re.compile(re.escape(oidc_provider.base_url) + r"/login/\?next="))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#idp-sign-in")


def test_an_officer_signs_in_through_the_police_provider_on_a_phone(
    e2e_personas, oidc_provider, phone, live_server_url
):
    _provider(oidc_provider, "police", "BPD")
    page = phone()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with BPD sign-in").click()
    _sign_in_at_provider(page, oidc_provider, "idp.officer")
    page.get_by_role("button", name="Authorize").click()  # the provider asks for consent once

    expect(page).to_have_url(live_server_url + reverse("referrals:mine"))  # the officer's home
    expect(page.get_by_text("My referrals", exact=True).first).to_be_visible()
    assert IdentityLink.objects.get().user == e2e_personas["officer.b2"]  # linked by the verified email


def test_a_person_without_an_account_is_refused_on_a_clear_page(e2e_personas, oidc_provider, laptop, live_server_url):
    _provider(oidc_provider, "hospital", "BEST")
    page = laptop()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with BEST sign-in").click()
    _sign_in_at_provider(page, oidc_provider, "idp.stranger")  # this client skips consent

    expect(page).to_have_url(re.compile(re.escape(live_server_url) + r"/accounts/sso/hospital/callback/\?"))
    expect(page.locator("#sso-refused")).to_have_text(re.compile(r"^Handoff has no account linked to this sign-in\."))
    page.get_by_role("link", name="Back to the sign-in page").click()
    expect(page.locator("#id_username")).to_be_visible()
    assert not IdentityLink.objects.exists()
