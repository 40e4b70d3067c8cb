"""Single sign-on through OpenID Connect, against a real provider (tests/oidc_provider, started by the
``oidc_provider`` fixture): Handoff's test client on one side, the provider's own pages and endpoints on the other."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.lockout import is_locked_out
from accounts.models import IdentityLink, IdentityProvider, Organisation, SecurityEvent
from accounts.oidc import OidcError, ProviderClient, discover
from accounts.sso import MFA_SESSION_KEY

pytestmark = pytest.mark.django_db

HOST = "127.0.0.1:8000"  # a loopback address: the provider accepts its redirect URI on any port (RFC 8252)


@pytest.fixture
def sso_client(settings, personas):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    return Client(HTTP_HOST=HOST, raise_request_exception=False)


def make_provider(oidc_provider, *, slug="police", organisation="BPD", **overrides) -> IdentityProvider:
    client_id = f"handoff-{slug}"
    values = {
        "name": f"{organisation} sign-in",
        "slug": slug,
        "organisation": Organisation.objects.get(short_name=organisation),
        "issuer": oidc_provider.issuer,
        "client_id": client_id,
        "client_secret": oidc_provider.clients[client_id]["client_secret"],
        **discover(oidc_provider.issuer),
    }
    values.update(overrides)
    return IdentityProvider.objects.create(**values)


def start(client, provider: IdentityProvider, next_url: str = "") -> str:
    """Open the provider's button; the provider's authorization URL it redirects to."""
    response = client.get(f"/accounts/sso/{provider.slug}/" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302, response.content
    return response["Location"]


def finish(client, oidc_provider, authorize_url: str, username: str):
    """Sign in at the provider and follow it back to Handoff's callback."""
    back = urlsplit(oidc_provider.sign_in(authorize_url, username))
    return client.get(back.path, parse_qs(back.query))


def signed_in_user(client):
    return client.session.get("_auth_user_id")


def test_a_linked_person_signs_in_with_a_new_session_key(sso_client, oidc_provider, personas):
    provider = make_provider(oidc_provider, enforces_mfa=True)  # the department's second factor: none asked here
    IdentityLink.objects.create(provider=provider, subject="sub-0001", user=personas["officer.b2"])
    authorize_url = start(sso_client, provider)
    key_before = sso_client.session.session_key
    assert key_before  # the started sign-in is in a session already

    response = finish(sso_client, oidc_provider, authorize_url, "idp.officer")

    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_user(sso_client) == str(personas["officer.b2"].pk)
    assert sso_client.session.session_key != key_before
    assert "sso_states" not in sso_client.session or not sso_client.session["sso_states"]
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN_SUCCEEDED)
    assert event.user == personas["officer.b2"] and event.detail == "single sign-on through BPD sign-in"
    assert sso_client.get("/").url == reverse("referrals:mine")  # the officer's home


def test_an_officer_signed_in_by_a_provider_without_its_own_second_factor_is_asked_for_handoffs(
    sso_client, oidc_provider, personas
):
    provider = make_provider(oidc_provider, enforces_mfa=False)
    IdentityLink.objects.create(provider=provider, subject="sub-0001", user=personas["officer.b2"])

    finish(sso_client, oidc_provider, start(sso_client, provider), "idp.officer")

    assert signed_in_user(sso_client) == str(personas["officer.b2"].pk)
    assert sso_client.get(reverse("referrals:mine")).url.startswith(reverse("accounts:mfa_enroll"))


def test_the_authorization_request_uses_pkce_nonce_and_the_registered_redirect(sso_client, oidc_provider):
    provider = make_provider(oidc_provider)
    query = parse_qs(urlsplit(start(sso_client, provider)).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["nonce"][0] and query["state"][0] != query["nonce"][0]
    assert query["redirect_uri"] == [f"http://{HOST}/accounts/sso/police/callback/"]


def test_the_first_sign_in_links_by_the_verified_email_of_an_active_member(sso_client, oidc_provider, personas):
    provider = make_provider(oidc_provider)
    response = finish(sso_client, oidc_provider, start(sso_client, provider, "/referrals/new/"), "idp.officer")

    assert response.status_code == 302 and response["Location"] == "/referrals/new/"
    link = IdentityLink.objects.get()
    assert (link.provider, link.subject, link.user, link.method) == (
        provider,
        "sub-0001",
        personas["officer.b2"],
        IdentityLink.Method.VERIFIED_EMAIL,
    )
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SSO_LINKED, user=personas["officer.b2"]).exists()


def _refused(response, status: int, text: str, client) -> None:
    assert response.status_code == status
    assert text in response.content.decode()
    assert signed_in_user(client) is None


def test_an_unknown_subject_is_refused_and_nothing_is_created(sso_client, oidc_provider):
    provider = make_provider(oidc_provider)
    users = get_user_model().objects.count()

    response = finish(sso_client, oidc_provider, start(sso_client, provider), "idp.stranger")

    _refused(response, 403, "Handoff has no account linked to this sign-in. Nothing was created", sso_client)
    assert get_user_model().objects.count() == users
    assert not IdentityLink.objects.exists()
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN_FAILED)
    assert event.user is None
    assert event.detail == (
        "single sign-on through BPD sign-in: subject sub-0003 is not linked and its verified email matches no active "
        "member"
    )


def test_an_unverified_email_does_not_link(sso_client, oidc_provider):
    provider = make_provider(oidc_provider)  # idp.unverified claims officer.d4's address, unverified
    response = finish(sso_client, oidc_provider, start(sso_client, provider), "idp.unverified")
    _refused(response, 403, "no account linked", sso_client)
    assert not IdentityLink.objects.exists()


def test_an_email_of_another_organisations_member_does_not_link(sso_client, oidc_provider):
    provider = make_provider(oidc_provider, slug="hospital", organisation="BEST")  # officer.b2 is BPD's
    response = finish(sso_client, oidc_provider, start(sso_client, provider), "idp.officer")
    _refused(response, 403, "no account linked", sso_client)
    assert not IdentityLink.objects.exists()


def test_a_linked_account_that_left_the_organisation_is_refused(sso_client, oidc_provider, personas):
    provider = make_provider(oidc_provider)
    officer = personas["officer.b2"]
    IdentityLink.objects.create(provider=provider, subject="sub-0001", user=officer)
    officer.memberships.update(is_active=False)
    response = finish(sso_client, oidc_provider, start(sso_client, provider), "idp.officer")
    _refused(response, 403, "no longer a member of BPD", sso_client)
    assert SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN_FAILED).user == officer


def test_a_tampered_state_is_refused(sso_client, oidc_provider):
    provider = make_provider(oidc_provider)
    back = urlsplit(oidc_provider.sign_in(start(sso_client, provider), "idp.officer"))
    query = parse_qs(back.query)
    query["state"] = [query["state"][0][:-1] + ("A" if query["state"][0][-1] != "A" else "B")]

    response = sso_client.get(back.path, query)

    _refused(response, 400, "This sign-in was not started here or has expired", sso_client)
    assert not IdentityLink.objects.exists()
    assert "unknown, expired or foreign state" in SecurityEvent.objects.get(kind="login_failed").detail


def test_a_callback_answers_once(sso_client, oidc_provider):
    provider = make_provider(oidc_provider)
    back = urlsplit(oidc_provider.sign_in(start(sso_client, provider), "idp.officer"))
    assert sso_client.get(back.path, parse_qs(back.query)).status_code == 302
    sso_client.logout()
    _refused(sso_client.get(back.path, parse_qs(back.query)), 400, "not started here", sso_client)


def test_a_state_started_in_another_browser_is_refused(sso_client, oidc_provider, settings):
    provider = make_provider(oidc_provider)
    back = urlsplit(oidc_provider.sign_in(start(sso_client, provider), "idp.officer"))
    victim = Client(HTTP_HOST=HOST, raise_request_exception=False)  # login CSRF: another browser gets the answer
    _refused(victim.get(back.path, parse_qs(back.query)), 400, "not started here", victim)


def test_a_disabled_provider_is_refused(sso_client, oidc_provider):
    provider = make_provider(oidc_provider)
    authorize_url = start(sso_client, provider)
    provider.is_enabled = False
    provider.save(update_fields=["is_enabled"])

    _refused(finish(sso_client, oidc_provider, authorize_url, "idp.officer"), 404, "not available", sso_client)
    _refused(sso_client.get("/accounts/sso/police/"), 404, "not available", sso_client)
    assert "Sign in with" not in sso_client.get("/accounts/login/").content.decode()
    assert SecurityEvent.objects.filter(kind="login_failed").count() == 1


def test_the_sign_in_page_offers_each_enabled_provider(sso_client, oidc_provider):
    make_provider(oidc_provider)
    make_provider(oidc_provider, slug="hospital", organisation="BEST", is_enabled=False)
    page = sso_client.get("/accounts/login/?next=/referrals/new/").content.decode()
    assert 'href="/accounts/sso/police/?next=/referrals/new/"' in page and "Sign in with BPD sign-in" in page
    assert "/accounts/sso/hospital/" not in page
    assert 'name="password"' in page  # the local form stays


def test_an_issuer_other_than_the_configured_one_is_refused(sso_client, oidc_provider):
    provider = make_provider(oidc_provider, issuer=f"{oidc_provider.issuer}/impostor")
    response = finish(sso_client, oidc_provider, start(sso_client, provider), "idp.officer")
    _refused(response, 403, "could not be completed", sso_client)
    assert SecurityEvent.objects.get(kind="login_failed").detail.endswith("the ID token names another issuer")


def test_a_wrong_client_secret_is_refused_without_writing_it_anywhere(sso_client, oidc_provider, caplog):
    caplog.set_level(logging.DEBUG)
    provider = make_provider(oidc_provider, client_secret="not-the-secret-9d2f")
    response = finish(sso_client, oidc_provider, start(sso_client, provider), "idp.officer")
    _refused(response, 403, "could not be completed", sso_client)
    detail = SecurityEvent.objects.get(kind="login_failed").detail
    assert detail == "single sign-on through BPD sign-in: the provider refused the code (401 answer)"
    assert "not-the-secret-9d2f" not in caplog.text and "not-the-secret-9d2f" not in response.content.decode()


@pytest.mark.parametrize(
    ("slug", "organisation", "username", "enforces_mfa", "expected"),
    [
        ("police", "BPD", "idp.officer", False, False),  # no amr, and the provider does not promise MFA
        ("police", "BPD", "idp.officer", True, True),  # the administrator says the provider enforces MFA
        ("hospital", "BEST", "idp.clinician", False, True),  # the ID token's amr lists "mfa"
    ],
)
def test_the_mfa_flag_follows_the_provider(
    sso_client, oidc_provider, slug, organisation, username, enforces_mfa, expected
):
    provider = make_provider(oidc_provider, slug=slug, organisation=organisation, enforces_mfa=enforces_mfa)
    response = finish(sso_client, oidc_provider, start(sso_client, provider), username)
    assert response.status_code == 302 and signed_in_user(sso_client)
    assert sso_client.session[MFA_SESSION_KEY] is expected


def test_a_password_lockout_neither_blocks_nor_is_released_by_a_provider_sign_in(sso_client, oidc_provider, settings):
    provider = make_provider(oidc_provider)
    AccessAttempt.objects.create(
        username="officer.b2", ip_address="10.0.0.1", user_agent="", failures_since_start=settings.AXES_FAILURE_LIMIT
    )
    assert is_locked_out("officer.b2")
    response = finish(sso_client, oidc_provider, start(sso_client, provider), "idp.officer")
    assert response.status_code == 302 and signed_in_user(sso_client)
    assert is_locked_out("officer.b2")  # only an administrator releases it


def test_the_locked_out_page_still_offers_the_providers(client, oidc_provider, personas, settings):
    make_provider(oidc_provider)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post("/accounts/login/", {"username": "officer.b2", "password": "wrong-password-1"})
    assert response.status_code == 403 and "locked" in response.content.decode()
    assert 'href="/accounts/sso/police/"' in response.content.decode()


def test_the_provider_refusing_consent_is_refused_here(sso_client, oidc_provider):
    provider = make_provider(oidc_provider)
    back = urlsplit(oidc_provider.sign_in(start(sso_client, provider), "idp.officer", consent=False))
    assert "error" in parse_qs(back.query)
    _refused(sso_client.get(back.path, parse_qs(back.query)), 403, "did not sign you in", sso_client)


# --- the ID token's checks, with tokens signed by the provider's own key (as a forger who stole nothing cannot) ------


def _token(oidc_provider, provider: IdentityProvider, key_pem: str | None = None, **claims) -> str:
    kid = requests.get(provider.jwks_uri, timeout=5).json()["keys"][0]["kid"]
    now = int(time.time())
    payload = {
        "iss": provider.issuer,
        "aud": provider.client_id,
        "sub": "sub-0001",
        "iat": now,
        "exp": now + 300,
        "nonce": "the-nonce",
    }
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, key_pem or oidc_provider.private_key_pem, algorithm="RS256", headers={"kid": kid})


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "another-client"}, "the ID token is meant for another client"),
        ({"iss": "http://127.0.0.1:1/o"}, "the ID token names another issuer"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "the ID token has expired"),
        ({"nonce": "another-nonce"}, "the ID token's nonce is not the one this sign-in sent"),
        ({"exp": None}, "the ID token is not valid"),
    ],
)
def test_an_id_token_failing_a_check_is_refused(oidc_provider, boston, personas, claims, reason):
    provider = make_provider(oidc_provider)
    client = ProviderClient(provider)
    assert client.checked_claims(id_token=_token(oidc_provider, provider), nonce="the-nonce")["sub"] == "sub-0001"
    with pytest.raises(OidcError, match=reason):
        client.checked_claims(id_token=_token(oidc_provider, provider, **claims), nonce="the-nonce")


def test_an_id_token_signed_by_another_key_is_refused(oidc_provider, personas):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    provider = make_provider(oidc_provider)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(OidcError, match="the ID token is not valid"):
        ProviderClient(provider).checked_claims(
            id_token=_token(oidc_provider, provider, key_pem=other.decode()), nonce="the-nonce"
        )
