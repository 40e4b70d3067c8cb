from __future__ import annotations

from django import forms
from django.forms.models import BaseInlineFormSet

from districts.models import District


class ShiftForm(forms.Form):
    user = forms.ModelChoiceField(queryset=None, label="Who", empty_label="Choose…")
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Earlier than the start: ends next morning.",
    )
    districts = forms.ModelMultipleChoiceField(
        queryset=District.objects.filter(is_active=True), required=False, widget=forms.CheckboxSelectMultiple
    )
    on_call = forms.BooleanField(label="Citywide on-call", required=False)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff
        self.fields["user"].label_from_instance = lambda user: user.get_full_name() or user.get_username()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("districts") and not cleaned.get("on_call"):
            raise forms.ValidationError("Tick at least one district, or citywide on-call.")
        if cleaned.get("start") is not None and cleaned.get("start") == cleaned.get("end"):
            raise forms.ValidationError("A shift cannot start and end at the same time.")
        return cleaned


class RouteStepFormSet(BaseInlineFormSet):
    """A route must lead somewhere: at least one step. (Django's own unique check refuses repeated positions.)"""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        steps = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not steps:
            raise forms.ValidationError("A route must have at least one step: it points nowhere otherwise.")
