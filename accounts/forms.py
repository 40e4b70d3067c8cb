from __future__ import annotations

from django import forms


class SecondFactorCodeForm(forms.Form):
    """Six digits from the authenticator app, or (at the verify step) a recovery code."""

    code = forms.CharField(
        max_length=40,
        strip=True,
        error_messages={"required": "Type the code your authenticator app shows.", "max_length": "That is too long."},
    )
