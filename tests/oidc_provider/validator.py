"""The claims the test provider puts in its ID tokens and userinfo: a stable subject, the email and whether it is
verified, and ``amr`` (RFC 8176) as its configuration says for each user."""

from __future__ import annotations

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "amr": "openid"}

    def get_additional_claims(self, request):
        person = next(p for p in settings.CONFIG["users"] if p["username"] == request.user.username)
        claims = {"sub": person["sub"], "email": person["email"], "email_verified": person["email_verified"]}
        if person.get("amr"):
            claims["amr"] = person["amr"]
        return claims
