"""An administrator configures identity providers and pre-links accounts in the admin; the client secret is
write-only, and the endpoints come from the provider's discovery document (the test provider's, for real)."""

from __future__ import annotations

import pytest

from accounts.models import IdentityLink, IdentityProvider, Organisation, SecurityEvent

pytestmark = pytest.mark.django_db

ADD = "/admin/accounts/identityprovider/add/"


@pytest.fixture
def admin_client(client, personas):
    client.force_login(personas["admin"])
    return client


def _form(oidc_provider, **overrides) -> dict:
    data = {
        "name": "BPD sign-in",
        "slug": "police",
        "organisation": Organisation.objects.get(short_name="BPD").pk,
        "issuer": oidc_provider.issuer,
        "client_id": "handoff-police",
        "client_secret": "police-client-secret-7f3a9c",
        "signing_algorithm": "RS256",
        "is_enabled": "on",
        "authorization_endpoint": "",
        "token_endpoint": "",
        "userinfo_endpoint": "",
        "jwks_uri": "",
    }
    return data | overrides


def test_the_endpoints_are_read_from_the_issuers_discovery_document(admin_client, oidc_provider):
    response = admin_client.post(ADD, _form(oidc_provider))
    assert response.status_code == 302, response.content.decode()[:2000]
    provider = IdentityProvider.objects.get()
    assert provider.authorization_endpoint == f"{oidc_provider.issuer}/authorize/"
    assert provider.token_endpoint == f"{oidc_provider.issuer}/token/"
    assert provider.jwks_uri == f"{oidc_provider.issuer}/.well-known/jwks.json"
    assert provider.client_secret == "police-client-secret-7f3a9c"


def test_an_issuer_without_a_discovery_document_is_a_form_error_and_nothing_is_saved(admin_client, oidc_provider):
    response = admin_client.post(ADD, _form(oidc_provider, issuer=f"{oidc_provider.base_url}/nowhere"))
    assert response.status_code == 200
    assert "Fill in the endpoints, or fix the issuer: the discovery document at" in response.content.decode()
    assert not IdentityProvider.objects.exists()


def test_the_client_secret_is_never_shown_and_an_empty_one_keeps_the_stored_secret(admin_client, oidc_provider):
    assert admin_client.post(ADD, _form(oidc_provider)).status_code == 302
    provider = IdentityProvider.objects.get()
    change = f"/admin/accounts/identityprovider/{provider.pk}/change/"
    page = admin_client.get(change).content.decode()
    assert "police-client-secret-7f3a9c" not in page
    assert "/accounts/sso/police/callback/" in page  # the redirect URI to register at the provider

    filled = _form(oidc_provider, client_secret="", name="BPD")
    filled |= {name: getattr(provider, name) for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")}
    assert admin_client.post(change, filled).status_code == 302
    provider.refresh_from_db()
    assert (provider.name, provider.client_secret) == ("BPD", "police-client-secret-7f3a9c")


def test_a_new_provider_needs_its_secret(admin_client, oidc_provider):
    response = admin_client.post(ADD, _form(oidc_provider, client_secret=""))
    assert response.status_code == 200 and "The client secret the provider issued for Handoff is required" in (
        response.content.decode()
    )
    assert not IdentityProvider.objects.exists()


def test_an_administrators_link_and_unlink_are_audited(admin_client, oidc_provider, personas):
    assert admin_client.post(ADD, _form(oidc_provider)).status_code == 302
    provider = IdentityProvider.objects.get()
    officer = personas["officer.b2"]
    response = admin_client.post(
        "/admin/accounts/identitylink/add/", {"provider": provider.pk, "subject": "sub-0001", "user": officer.pk}
    )
    assert response.status_code == 302
    link = IdentityLink.objects.get()
    assert (link.user, link.method) == (officer, IdentityLink.Method.ADMINISTRATOR)
    linked = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SSO_LINKED)
    assert (linked.user, linked.actor) == (officer, personas["admin"])

    response = admin_client.post(f"/admin/accounts/identitylink/{link.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not IdentityLink.objects.exists()
    unlinked = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SSO_UNLINKED)
    assert (unlinked.user, unlinked.actor, unlinked.detail) == (
        officer,
        personas["admin"],
        "BPD sign-in, subject sub-0001",
    )
