"""The officer's side: file a request, follow its police-visible status. Nothing here reads partner-side models."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from programs.models import Program
from programs.selectors import programs_serving
from referrals import policy, workflows
from referrals.forms import AddInformationForm, ProgramFilterForm
from referrals.selectors import (
    get_police_referral_for_user,
    officer_home_district,
    officer_unit,
    phone_of,
    police_district_ids,
    police_list,
    police_timeline,
)
from referrals.services import ReferralError, Refused, referral_file
from referrals.views.access import police_required

MY_REFERRALS_LIMIT = 50


def _programs() -> list[Program]:
    """The programs an officer can file with: active, and carried by an installed workflow."""
    return list(programs_serving(district=None))


CHOOSER_PARAMS = ("district", "age")


def _narrowing(request: HttpRequest) -> bool:
    """The officer is narrowing the chooser's list by district or age (its form's own GET)."""
    return request.method == "GET" and any(name in request.GET for name in CHOOSER_PARAMS)


def _chosen_program(request: HttpRequest, programs: list[Program]) -> Program | None:
    slug = request.POST.get("program") or request.GET.get("program")
    if slug:
        return next((p for p in programs if p.slug == slug), None)
    # Nothing to choose between: straight to the one program's form (unless the chooser itself is asking).
    return programs[0] if len(programs) == 1 and not _narrowing(request) else None


def _choose_program(request: HttpRequest, *, home) -> HttpResponse:
    """The programs serving the person's district and age. The officer's home district is the first answer; every
    change re-renders the list (htmx), and without script the form's button does the same."""
    if _narrowing(request):
        data = {name: request.GET.get(name, "") for name in CHOOSER_PARAMS}
        if "district" not in request.GET and home is not None:
            data["district"] = str(home.pk)
        form = ProgramFilterForm(data)
    else:
        form = ProgramFilterForm(initial={"district": home})
    status = 200
    programs: list[Program] = []
    district, age = home, None
    if form.is_bound and not form.is_valid():
        # htmx swaps only a 2xx answer: the list with its message replaces the old list; a whole page says 400.
        status = 200 if request.htmx else 400
    else:
        if form.is_bound:
            district, age = form.cleaned_data["district"], form.cleaned_data["age"]
        programs = list(programs_serving(district=district, age=age))
    carried = {"district": district.pk if district is not None else None, "age": age}
    context = {
        "form": form,
        "programs": programs,
        "district": district,
        "age": age,
        "carry": urlencode({name: value for name, value in carried.items() if value is not None}),
    }
    template = "referrals/choose_program.html#programs" if request.htmx else "referrals/choose_program.html"
    return render(request, template, context, status=status)


@sensitive_post_parameters()  # the subject's identifying details
@police_required
@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest) -> HttpResponse:
    programs = _programs()
    if not programs:
        messages.error(request, "No program takes requests yet. Ask an administrator.")
        return redirect("referrals:mine")
    home = officer_home_district(request.user)
    program = _chosen_program(request, programs)
    if program is None:
        if request.method == "POST":
            messages.error(request, "Choose what the request is for.")
        return _choose_program(request, home=home)
    spec = workflows.get(program.workflow)
    form_class = spec.filing_form
    if request.method == "POST":
        form = form_class(request.POST, program=program)
        if form.is_valid():
            new = form.new_referral(program=program)
            try:
                referral, created = referral_file(
                    new=new, officer=request.user, officer_district=home, officer_unit=officer_unit(request.user)
                )
            except ReferralError as error:
                form.add_error(None, str(error))
            else:
                if created:
                    messages.success(request, f"Request {referral.public_id} sent to {program.organisation}.")
                else:
                    messages.info(request, f"Request {referral.public_id} was already sent; here it is.")
                return redirect("referrals:police_detail", public_id=referral.public_id)
        return render(request, spec.filing_template, {"form": form, "program": program}, status=422)
    initial = {"district": home, "idempotency_key": form_class.fresh_key(), "urgency": "now", **_carried(request)}
    form = form_class(initial=initial, program=program)
    return render(request, spec.filing_template, {"form": form, "program": program})


def _carried(request: HttpRequest) -> dict:
    """The incident district and age chosen on the program chooser, as the form's starting values (ignored when
    they are not valid: the form asks again)."""
    carried: dict = {}
    district = request.GET.get("district", "")
    # ASCII digits only: str.isdigit() is also true of "²" and other digits int() refuses.
    if district.isascii() and district.isdigit() and len(district) < 10:
        carried["district"] = int(district)
    age = request.GET.get("age", "")
    if age.isascii() and age.isdigit() and len(age) < 4 and int(age) <= 120:
        carried["subject_age"] = int(age)
    return carried


@police_required
def my_referrals(request: HttpRequest) -> HttpResponse:
    referrals = police_list(user=request.user, limit=MY_REFERRALS_LIMIT)
    context = {
        "referrals": referrals,
        "oversees_districts": bool(police_district_ids(request.user)),
    }
    template = "referrals/mine.html#rows" if request.htmx else "referrals/mine.html"
    return render(request, template, context)


def _detail_context(request: HttpRequest, referral, info_form=None) -> dict:
    allowed = policy.allowed_actions(request.user, referral, side="police")
    return {
        "referral": referral,
        "events": list(police_timeline(referral)),
        "assignee_phone": phone_of(referral.assignee, referral.program.organisation_id),
        "assignee_label": workflows.spec_for(referral).assignee_label,
        "can_cancel": "cancel" in allowed,
        "cancel_confirm": workflows.spec_for(referral).actions["cancel"].confirm if "cancel" in allowed else "",
        "can_add_information": "add_information" in allowed,
        "info_form": info_form or AddInformationForm(),
    }


@police_required
def police_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    referral = get_police_referral_for_user(request.user, public_id)
    template = "referrals/police_detail.html#status" if request.htmx else "referrals/police_detail.html"
    return render(request, template, _detail_context(request, referral))


def _run_police_action(request: HttpRequest, referral, name: str, data: dict) -> bool:
    action = workflows.spec_for(referral).actions.get(name)
    if action is None or action.side != "police":
        raise PermissionDenied("That cannot be done on this kind of request.")
    try:
        action.run(referral=referral, actor=request.user, data=data)
    except Refused as refusal:
        raise PermissionDenied(str(refusal)) from None
    except ReferralError as error:
        messages.error(request, str(error))
        return False
    messages.success(request, action.done)
    return True


@police_required
@require_POST
def cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    referral = get_police_referral_for_user(request.user, public_id)
    _run_police_action(request, referral, "cancel", {})
    return redirect("referrals:police_detail", public_id=referral.public_id)


@sensitive_post_parameters()
@police_required
@require_POST
def add_information(request: HttpRequest, public_id: str) -> HttpResponse:
    referral = get_police_referral_for_user(request.user, public_id)
    form = AddInformationForm(request.POST)
    if form.is_valid():
        _run_police_action(request, referral, "add_information", form.cleaned_data)
        return redirect("referrals:police_detail", public_id=referral.public_id)
    return render(request, "referrals/police_detail.html", _detail_context(request, referral, form), status=422)
