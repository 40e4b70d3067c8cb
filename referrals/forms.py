"""Forms every workflow shares. A workflow's own forms live in its module (referrals/workflows/<name>/forms.py)."""

from __future__ import annotations

from django import forms


class AddInformationForm(forms.Form):
    text = forms.CharField(label="Information to add", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
