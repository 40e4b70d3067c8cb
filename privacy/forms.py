from __future__ import annotations

from django import forms

from privacy.selectors import LogFilter, Outcome

REFERENCE_HELP = "A public reference, such as R-7KQ4M2X."


class AccessLogFilterForm(forms.Form):
    """The access log's filters, read from the URL (GET), so a filtered view can be bookmarked and exported."""

    person = forms.CharField(
        required=False,
        max_length=16,
        label="Person (referral reference)",
        help_text="The referral, its re-routes and the Hub situations started from them.",
    )
    record = forms.CharField(required=False, max_length=16, label="Record", help_text=REFERENCE_HELP)
    user = forms.CharField(required=False, max_length=150, label="Who (username)")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(required=False, choices=[("", "Any"), *Outcome.CHOICES], label="Outcome")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def log_filter(self) -> LogFilter:
        data = self.cleaned_data
        return LogFilter(
            person=data["person"],
            record=data["record"],
            username=data["user"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            outcome=data["outcome"],
        )


class PersonForm(forms.Form):
    person = forms.CharField(max_length=16, label="Person (referral reference)", help_text=REFERENCE_HELP)
