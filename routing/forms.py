from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.formats import date_format

from districts.models import District

# How far from today a roster can be read or written: enough to plan ahead and to look back over a year's cover,
# and far from the ends of the calendar, where a week's arithmetic overflows.
ROSTER_REACH = timedelta(days=2 * 366)


def roster_reach() -> tuple[date, date]:
    today = timezone.localdate()
    return today - ROSTER_REACH, today + ROSTER_REACH


def _check_within_reach(day: date) -> date:
    earliest, latest = roster_reach()
    if not earliest <= day <= latest:
        raise forms.ValidationError(
            f"Choose a day between {date_format(earliest, 'M j, Y')} and {date_format(latest, 'M j, Y')}.",
            code="out_of_reach",
        )
    return day


class WeekForm(forms.Form):
    """The roster's ?week=: any day of the week to show; empty means this week."""

    week = forms.DateField(required=False)

    def clean_week(self) -> date | None:
        week = self.cleaned_data["week"]
        return week if week is None else _check_within_reach(week)


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

    def clean_day(self) -> date:
        return _check_within_reach(self.cleaned_data["day"])

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
