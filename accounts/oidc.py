"""Talking to an OpenID Connect provider, on mozilla-django-oidc: the authorization request, the code exchange, the
ID token's checks, discovery.

mozilla-django-oidc reads one provider from settings; ``ProviderClient`` answers its settings from an
``IdentityProvider`` row instead, so each provider an administrator configures is its own client. The library
exchanges the code (with the PKCE verifier), fetches the provider's keys and checks the signature and nonce; it checks
neither issuer nor audience, so ``_verify_jws`` here does, and requires ``exp``, ``iat``, ``iss``, ``aud`` and ``sub``.

Nothing here logs or raises with a secret, a code or a token in its message: ``OidcError`` says what failed in plain
words, and the response bodies of the provider's errors are dropped.
"""

from __future__ import annotations

import jwt
import requests
from django.core.exceptions import SuspiciousOperation
from django.utils.crypto import get_random_string
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import generate_code_challenge, import_from_settings

from accounts.models import IdentityProvider

TIMEOUT_SECONDS = 10
CLOCK_SKEW_SECONDS = 60
PKCE_VERIFIER_LENGTH = 64
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


class OidcError(Exception):
    """The provider did not sign the person in: a plain reason, without secrets (it goes to the security log)."""


def authorization_request(*, provider: IdentityProvider, redirect_uri: str) -> tuple[str, dict]:
    """The provider's authorization URL, and what the callback needs to check its answer (state, nonce, verifier)."""
    state = get_random_string(32)
    nonce = get_random_string(32)
    verifier = get_random_string(PKCE_VERIFIER_LENGTH)
    params = {
        "response_type": "code",
        "scope": "openid email",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "nonce": nonce,
        "code_challenge": generate_code_challenge(verifier, "S256"),
        "code_challenge_method": "S256",
    }
    request = requests.Request("GET", provider.authorization_endpoint, params=params).prepare()
    return request.url, {"state": state, "nonce": nonce, "code_verifier": verifier}


class ProviderClient(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend as a client of one provider (never in AUTHENTICATION_BACKENDS)."""

    def __init__(self, provider: IdentityProvider):
        self.provider = provider
        super().__init__()

    def get_settings(self, attr, *args):
        provider = self.provider
        values = {
            "OIDC_OP_TOKEN_ENDPOINT": provider.token_endpoint,
            "OIDC_OP_USER_ENDPOINT": provider.userinfo_endpoint,
            "OIDC_OP_JWKS_ENDPOINT": provider.jwks_uri,
            "OIDC_RP_CLIENT_ID": provider.client_id,
            "OIDC_RP_CLIENT_SECRET": provider.client_secret,
            "OIDC_RP_SIGN_ALGO": provider.signing_algorithm,
            "OIDC_RP_IDP_SIGN_KEY": None,
            "OIDC_USE_NONCE": True,
            "OIDC_ALLOW_UNSECURED_JWT": False,
            "OIDC_TOKEN_USE_BASIC_AUTH": False,
            "OIDC_VERIFY_SSL": True,
            "OIDC_TIMEOUT": TIMEOUT_SECONDS,
            "OIDC_PROXY": None,
            "OIDC_STORE_ACCESS_TOKEN": False,
            "OIDC_STORE_ID_TOKEN": False,
        }
        if attr in values:
            return values[attr]
        return import_from_settings(attr, *args)

    def _verify_jws(self, payload, key):
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.provider.signing_algorithm:
            raise SuspiciousOperation("the ID token is not signed with the provider's algorithm")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[self.provider.signing_algorithm],
                audience=self.provider.client_id,
                issuer=self.provider.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise SuspiciousOperation("the ID token has expired") from None
        except jwt.InvalidIssuerError:
            raise SuspiciousOperation("the ID token names another issuer") from None
        except jwt.InvalidAudienceError:
            raise SuspiciousOperation("the ID token is meant for another client") from None
        except jwt.InvalidTokenError:
            raise SuspiciousOperation("the ID token is not valid") from None

    def claims_for_code(self, *, code: str, redirect_uri: str, nonce: str, code_verifier: str) -> dict:
        """Exchange the code at the token endpoint and return the checked ID token's claims (with the email from
        the userinfo endpoint if the ID token has none, for the same subject only)."""
        try:
            tokens = self.get_token(
                {
                    "client_id": self.provider.client_id,
                    "client_secret": self.provider.client_secret,
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": code_verifier,
                }
            )
        except requests.HTTPError as exc:
            # The provider's error body may echo what was sent; only the status is kept.
            status = exc.response.status_code if exc.response is not None else "no"
            raise OidcError(f"the provider refused the code ({status} answer)") from None
        except (requests.RequestException, ValueError):
            raise OidcError("the provider's token endpoint did not answer") from None
        id_token = tokens.get("id_token") if isinstance(tokens, dict) else None
        if not isinstance(id_token, str):
            raise OidcError("the provider sent no ID token")
        return self.checked_claims(id_token=id_token, nonce=nonce, access_token=tokens.get("access_token"))

    def checked_claims(self, *, id_token: str, nonce: str, access_token=None) -> dict:
        try:
            claims = self.verify_token(id_token, nonce=nonce)
        except SuspiciousOperation as exc:
            reason = str(exc)
            if "Nonce" in reason:
                reason = "the ID token's nonce is not the one this sign-in sent"
            elif not reason.startswith("the ID token"):
                reason = "the ID token is not valid"
            raise OidcError(reason) from None
        except jwt.InvalidTokenError:
            raise OidcError("the ID token is not valid") from None
        except (requests.RequestException, KeyError, ValueError):
            raise OidcError("the provider's signing keys could not be read") from None
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise OidcError("the ID token names no subject")
        if "email" not in claims and self.provider.userinfo_endpoint and isinstance(access_token, str):
            try:
                info = self.get_userinfo(access_token, id_token, claims)
            except (requests.RequestException, ValueError, SuspiciousOperation):
                info = {}
            if isinstance(info, dict) and info.get("sub") == claims["sub"]:
                claims = {**claims, **{k: info[k] for k in ("email", "email_verified") if k in info}}
        return claims


DISCOVERY_FIELDS = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")


def discover(issuer: str) -> dict[str, str]:
    """The provider's endpoints from its discovery document; OidcError if it cannot be read or names another issuer."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError):
        raise OidcError(f"the discovery document at {url} could not be read") from None
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise OidcError(f"the discovery document at {url} names another issuer")
    endpoints = {name: document.get(name) for name in DISCOVERY_FIELDS}
    required = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [name for name in required if not isinstance(endpoints[name], str)]
    if missing:
        raise OidcError(f"the discovery document names no {', '.join(missing)}")
    return {name: value if isinstance(value, str) else "" for name, value in endpoints.items()}
