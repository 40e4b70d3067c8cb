"""Issue 12's pages: break-glass (open a record outside one's scope; review others' openings) and a referral's
accounting of Part 2 disclosures."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from referrals import break_glass, part2, services
from referrals.models import BreakGlassReview
from referrals.selectors import get_referral_for_user
from referrals.views.access import partner_required


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
                        referral=referral, actor=request.user, reason=form.cleaned_data["reason"]
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
        raise PermissionDenied("Reviewing break-glass openings is for supervisors and the privacy officer.")
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
    referral = get_referral_for_user(request.user, public_id)
    if not part2.reads_part2(request.user, referral):
        raise Http404("No such referral")  # that Part 2 records exist is itself Part 2 information
    rows = list(part2.accounting_of_disclosures(referral))
    services.clinical_record_read(
        user=request.user, referral=referral, view="referrals:disclosures", reason="accounting of disclosures"
    )
    return render(request, "referrals/disclosures.html", {"referral": referral, "disclosures": rows})
