"""Forms every workflow shares. A workflow's own forms live in its module (referrals/workflows/<name>/forms.py)."""

from __future__ import annotations

from django import forms

from programs.models import Program


class AddInformationForm(forms.Form):
    text = forms.CharField(label="Information to add", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class RerouteForm(forms.Form):
    """Send one intake on to another program (any workflow); the first program keeps its own records."""

    program = forms.ModelChoiceField(queryset=Program.objects.none(), empty_label="Choose a program")
    reason = forms.CharField(max_length=500)

    def __init__(self, *args, referral=None, **kwargs):
        super().__init__(*args, **kwargs)
        from programs.registry import available_workflows

        programs = Program.objects.filter(is_active=True, workflow__in=available_workflows())
        if referral is not None:
            programs = programs.exclude(pk=referral.program_id)
        self.fields["program"].queryset = programs.select_related("organisation").order_by("name")
