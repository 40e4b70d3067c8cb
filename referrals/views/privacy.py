"""Issue 12's pages: break-glass (open a record outside one's scope; review others' openings) and a referral's
accounting of Part 2 disclosures."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.audit import client_ip
from referrals import break_glass, part2, services
from referrals.models import BreakGlassReview, ClinicalNote, Part2Consent
from referrals.views.access import partner_referral, partner_required, read_refused


class BreakGlassForm(forms.Form):
    public_id = forms.CharField(label="Public reference", max_length=12)
    reason = forms.CharField(
        label="The serious and imminent threat",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Reviewed by a second person. Part 2 (substance-use treatment) records stay closed.",
    )


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(choices=BreakGlassReview.Outcome.choices)
    comment = forms.CharField(max_length=500, required=False)


@partner_required
def break_glass_open(request: HttpRequest) -> HttpResponse:
    if not break_glass.is_partner_supervisor(request.user):
        raise PermissionDenied("Opening a record outside your scope is for partner supervisors.")
    form = BreakGlassForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            referral = break_glass.referral_by_reference(form.cleaned_data["public_id"])
            if referral is None:
                form.add_error("public_id", "No request has that reference.")
            else:
                try:
                    break_glass.break_glass_open(
                        referral=referral,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        ip_address=client_ip(request),
                    )
                except services.Refused as refusal:
                    raise PermissionDenied(str(refusal)) from None
                except services.ReferralError as error:
                    form.add_error(None, str(error))
                else:
                    messages.warning(request, "Opened by break-glass. Every read is logged and will be reviewed.")
                    return redirect("referrals:case", public_id=referral.public_id)
    return render(request, "referrals/break_glass.html", {"form": form}, status=status)


@partner_required
def break_glass_reviews(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(break_glass.REVIEW_PERMISSION):
        raise PermissionDenied("Reviewing break-glass openings is for partner supervisors.")
    context = {"openings": list(break_glass.unreviewed(user=request.user)), "form": ReviewForm()}
    return render(request, "referrals/break_glass_reviews.html", context)


@partner_required
@require_POST
def break_glass_review(request: HttpRequest, pk: int) -> HttpResponse:
    opening = get_object_or_404(break_glass.unreviewed(user=request.user), pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say whether the opening was justified.")
        return redirect("referrals:break_glass_reviews")
    try:
        break_glass.break_glass_review(
            opening=opening,
            actor=request.user,
            outcome=form.cleaned_data["outcome"],
            comment=form.cleaned_data["comment"],
        )
    except services.Refused as refusal:
        raise PermissionDenied(str(refusal)) from None
    except services.ReferralError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Review recorded.")
    return redirect("referrals:break_glass_reviews")


@partner_required
def disclosures(request: HttpRequest, public_id: str) -> HttpResponse:
    referral = partner_referral(request, public_id)
    if not part2.reads_part2(request.user, referral):
        read_refused(request, public_id, reason="does not read Part 2 records on this referral")
        raise Http404("No such referral")  # that Part 2 records exist is itself Part 2 information
    rows = list(part2.accounting_of_disclosures(referral))
    services.clinical_record_read(
        user=request.user,
        referral=referral,
        view="referrals:disclosures",
        reason="accounting of disclosures",
        ip_address=client_ip(request),
    )
    return render(request, "referrals/disclosures.html", {"referral": referral, "disclosures": rows})


# --- 42 CFR Part 2: the treating staff record and revoke consents, and disclose under them ---------------------------


class Part2ConsentForm(forms.Form):
    giver_name = forms.CharField(label="Signed by", max_length=120, help_text="The person, or who signed for them.")
    recipient = forms.CharField(label="Recipient", max_length=200, help_text="The person or organisation named.")
    purpose = forms.CharField(label="Purpose", max_length=300)
    information = forms.CharField(
        label="Information", max_length=300, help_text="How much and what kind of information may go."
    )
    expires_on = forms.DateField(
        label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Optional."
    )

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        if expires_on is not None and expires_on < timezone.localdate():
            raise forms.ValidationError("A consent cannot end before today.")
        return expires_on


class Part2RevokeForm(forms.Form):
    consent = forms.ModelChoiceField(queryset=Part2Consent.objects.none(), label="Consent")

    def __init__(self, *args, referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].queryset = referral.part2_consents.filter(revoked_at__isnull=True)


class Part2DiscloseForm(forms.Form):
    note = forms.ModelChoiceField(queryset=ClinicalNote.objects.none(), label="Part 2 note")
    consent = forms.ModelChoiceField(queryset=Part2Consent.objects.none(), label="Under the consent")
    recipient = forms.CharField(label="Recipient", max_length=200, help_text="As the consent names them.")

    def __init__(self, *args, referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].queryset = referral.notes.filter(part2=True).order_by("created_at", "pk")
        self.fields["note"].label_from_instance = lambda note: (
            f"Note of {timezone.localtime(note.created_at):%b %-d, %H:%M}"
        )
        self.fields["consent"].queryset = referral.part2_consents.filter(revoked_at__isnull=True)
        self.fields["consent"].label_from_instance = lambda consent: f"{consent.recipient}: {consent.purpose}"


PART2_FORMS = {"record": Part2ConsentForm, "revoke": Part2RevokeForm, "disclose": Part2DiscloseForm}


def _part2_forms(referral, bound: tuple[str, forms.Form] | None = None) -> dict:
    made = {
        name: form_class() if name == "record" else form_class(referral=referral)
        for name, form_class in PART2_FORMS.items()
    }
    if bound is not None:
        made[bound[0]] = bound[1]
    return {f"{name}_form": form for name, form in made.items()}


def _part2_run(request: HttpRequest, referral, action: str, form: forms.Form):
    data = form.cleaned_data
    if action == "record":
        part2.part2_consent_record(referral=referral, actor=request.user, **data)
        return "Consent recorded.", None
    if action == "revoke":
        part2.part2_consent_revoke(consent=data["consent"], actor=request.user)
        return "Consent revoked: nothing more is disclosed under it.", None
    disclosure = part2.part2_disclose(
        note=data["note"],
        actor=request.user,
        recipient=data["recipient"],
        consent=data["consent"],
        ip_address=client_ip(request),
    )
    return "Disclosed. Send the record with the notice below; the accounting lists it.", disclosure


@sensitive_post_parameters()
@partner_required
def part2_consents(request: HttpRequest, public_id: str) -> HttpResponse:
    """The Part 2 consents of a referral and what was disclosed under them: the treating staff only (404 for
    anyone else, as for a referral that does not exist)."""
    referral = partner_referral(request, public_id)
    if not part2.reads_part2(request.user, referral):
        read_refused(request, public_id, reason="does not read Part 2 records on this referral")
        raise Http404("No such referral")
    status, bound, packet = 200, None, None
    if request.method == "POST":
        action = request.POST.get("do", "")
        form_class = PART2_FORMS.get(action)
        if form_class is None:
            messages.error(request, "No such Part 2 action.")
            status = 400
        else:
            form = form_class(request.POST) if action == "record" else form_class(request.POST, referral=referral)
            if not form.is_valid():
                status, bound = 422, (action, form)
            else:
                try:
                    done, disclosure = _part2_run(request, referral, action, form)
                except services.Refused as refusal:
                    raise PermissionDenied(str(refusal)) from None
                except services.ReferralError as error:
                    messages.error(request, str(error))
                    status, bound = 409, (action, form)
                else:
                    messages.success(request, done)
                    if disclosure is None:
                        return redirect("referrals:part2", public_id=referral.public_id)
                    packet = part2.disclosure_packet(disclosure)
    services.clinical_record_read(
        user=request.user,
        referral=referral,
        view="referrals:part2",
        reason="part 2 consents",
        ip_address=client_ip(request),
    )
    context = {
        "referral": referral,
        "consents": part2.part2_consents(referral),
        "packet": packet,
        "notice": part2.REDISCLOSURE_NOTICE,
        **_part2_forms(referral, bound),
    }
    return render(request, "referrals/part2.html", context, status=status)
