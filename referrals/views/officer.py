"""The officer's side: file a request, follow its police-visible status. Nothing here reads partner-side models."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from referrals.forms import AddInformationForm, CoResponseRequestForm
from referrals.models import Program, Workflow
from referrals.selectors import (
    get_police_referral_for_user,
    officer_home_district,
    police_district_ids,
    police_list,
    police_timeline,
)
from referrals.services import NewReferral, ReferralError, referral_add_information, referral_cancel, referral_file
from referrals.views.access import police_required

MY_REFERRALS_LIMIT = 50


def _co_response_program() -> Program | None:
    return Program.objects.filter(workflow=Workflow.CO_RESPONSE, is_active=True).order_by("pk").first()


@police_required
@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest) -> HttpResponse:
    program = _co_response_program()
    if program is None:
        messages.error(request, "No co-response program is set up yet. Ask an administrator.")
        return redirect("referrals:mine")
    home = officer_home_district(request.user)
    if request.method == "POST":
        form = CoResponseRequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            new = NewReferral(
                program=program,
                district=data["district"],
                urgency=data["urgency"],
                idempotency_key=data["idempotency_key"],
                location_text=data["location_text"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                reason_codes=data["reason_codes"],
                weapon_seen=data["weapon_seen"],
                violence=data["violence"],
                medical_emergency=data["medical_emergency"],
                cad_incident_number=data["cad_incident_number"],
                subject_name=data["subject_name"],
                subject_age=data["subject_age"],
                subject_gender=data["subject_gender"],
                subject_language=data["subject_language"],
                circumstances=data["circumstances"],
            )
            try:
                referral, created = referral_file(new=new, officer=request.user, officer_district=home)
            except ReferralError as error:
                form.add_error(None, str(error))
            else:
                if created:
                    messages.success(request, f"Request {referral.public_id} sent to {program.organisation}.")
                else:
                    messages.info(request, f"Request {referral.public_id} was already sent; here it is.")
                return redirect("referrals:police_detail", public_id=referral.public_id)
        return render(request, "referrals/new.html", {"form": form, "program": program}, status=422)
    form = CoResponseRequestForm(
        initial={"district": home, "idempotency_key": CoResponseRequestForm.fresh_key(), "urgency": "now"}
    )
    return render(request, "referrals/new.html", {"form": form, "program": program})


@police_required
def my_referrals(request: HttpRequest) -> HttpResponse:
    referrals = police_list(user=request.user, limit=MY_REFERRALS_LIMIT)
    context = {
        "referrals": referrals,
        "oversees_districts": bool(police_district_ids(request.user)),
    }
    template = "referrals/mine.html#rows" if request.htmx else "referrals/mine.html"
    return render(request, template, context)


@police_required
def police_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    referral = get_police_referral_for_user(request.user, public_id)
    context = {
        "referral": referral,
        "events": list(police_timeline(referral)),
        "can_cancel": referral.officer_id == request.user.pk and referral.is_waiting,
        "can_add_information": referral.officer_id == request.user.pk and not referral.is_ended,
        "info_form": AddInformationForm(),
    }
    template = "referrals/police_detail.html#status" if request.htmx else "referrals/police_detail.html"
    return render(request, template, context)


@police_required
@require_POST
def cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    referral = get_police_referral_for_user(request.user, public_id)
    try:
        referral_cancel(referral=referral, actor=request.user)
    except ReferralError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Request {referral.public_id} cancelled.")
    return redirect("referrals:police_detail", public_id=referral.public_id)


@police_required
@require_POST
def add_information(request: HttpRequest, public_id: str) -> HttpResponse:
    referral = get_police_referral_for_user(request.user, public_id)
    form = AddInformationForm(request.POST)
    if form.is_valid():
        try:
            referral_add_information(referral=referral, actor=request.user, text=form.cleaned_data["text"])
        except ReferralError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Information sent to the clinician.")
        return redirect("referrals:police_detail", public_id=referral.public_id)
    context = {
        "referral": referral,
        "events": list(police_timeline(referral)),
        "can_cancel": referral.officer_id == request.user.pk and referral.is_waiting,
        "can_add_information": True,
        "info_form": form,
    }
    return render(request, "referrals/police_detail.html", context, status=422)
