"""The partner's side: the live queue and the case page. Every read of the subject or clinical record is logged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from referrals import services
from referrals.forms import (
    DeclineForm,
    DepartForm,
    DispositionForm,
    FollowUpDoneForm,
    FollowUpForm,
    NoteForm,
    ReassignForm,
    TransferForm,
)
from referrals.models import ACTIVE_STATES, WAITING_STATES, CoResponseState, Referral
from referrals.selectors import (
    can_supervise,
    can_write_clinical,
    colleagues_for_reassign,
    get_follow_up,
    get_referral_for_user,
    overdue_for,
    partner_case,
    queue_for,
    supervised_organisation_ids,
)
from referrals.views.access import partner_required


@partner_required
def queue(request: HttpRequest) -> HttpResponse:
    context = {**queue_for(user=request.user), "is_supervisor": bool(supervised_organisation_ids(request.user))}
    template = "referrals/queue.html#queue" if request.htmx else "referrals/queue.html"
    return render(request, template, context)


@partner_required
def overdue(request: HttpRequest) -> HttpResponse:
    if not supervised_organisation_ids(request.user):
        raise PermissionDenied("The overdue view is for supervisors.")
    context = {"items": overdue_for(user=request.user, now=timezone.now())}
    template = "referrals/overdue.html#items" if request.htmx else "referrals/overdue.html"
    return render(request, template, context)


def _case_context(request: HttpRequest, referral: Referral, forms_with_errors: dict | None = None) -> dict:
    user = request.user
    writer = can_write_clinical(user, referral)
    assignee = referral.accepted_by_id == user.pk  # the call itself moves only in the hands of who took it
    supervisor = can_supervise(user, referral)
    state = referral.state
    context = {
        "referral": referral,
        "subject": referral.subject,
        "record": referral.clinical_record,
        **partner_case(referral),
        "can_accept": referral.is_waiting,
        "can_decline": referral.is_waiting,
        "can_depart": assignee and state == CoResponseState.ACCEPTED,
        "can_arrive": assignee and state in (CoResponseState.ACCEPTED, CoResponseState.EN_ROUTE),
        "can_record": assignee and state in ACTIVE_STATES,
        "can_note": writer and state not in (CoResponseState.CANCELLED, CoResponseState.DECLINED),
        "can_follow_up": writer and state in (*ACTIVE_STATES, CoResponseState.FOLLOW_UP),
        "can_finish": assignee and state in (*ACTIVE_STATES, CoResponseState.FOLLOW_UP),
        "can_reassign": supervisor and state in (*ACTIVE_STATES, CoResponseState.FOLLOW_UP),
        "can_transfer": supervisor and state in (*WAITING_STATES, CoResponseState.ACCEPTED),
        "decline_form": DeclineForm(),
        "depart_form": DepartForm(),
        "disposition_form": DispositionForm(
            initial={
                "disposition": referral.clinical_record.disposition,
                "section12_by": referral.clinical_record.section12_by,
                "section12_kind": referral.clinical_record.section12_kind,
            }
        ),
        "note_form": NoteForm(),
        "follow_up_form": FollowUpForm(),
        "follow_up_done_form": FollowUpDoneForm(),
        "reassign_form": ReassignForm(clinicians=colleagues_for_reassign(referral)) if supervisor else None,
        "transfer_form": TransferForm() if supervisor else None,
    }
    context.update(forms_with_errors or {})
    return context


@partner_required
def case(request: HttpRequest, public_id: str) -> HttpResponse:
    referral = get_referral_for_user(request.user, public_id)
    services.clinical_record_read(
        user=request.user,
        referral=referral,
        view="referrals:case",
        reason="live refresh" if request.htmx else "case page",
    )
    template = "referrals/case.html#case" if request.htmx else "referrals/case.html"
    return render(request, template, _case_context(request, referral))


@dataclass(frozen=True)
class Action:
    """One button on the case page: its form, who may press it, and the service it calls."""

    form: type[forms.Form] | None
    run: Callable[..., object]
    write: bool = False
    supervise: bool = False
    done: str = ""


def _run_accept(request, referral, data):
    return services.referral_accept(referral=referral, actor=request.user)


def _run_decline(request, referral, data):
    return services.referral_decline(referral=referral, actor=request.user, reason=data["reason"])


def _run_depart(request, referral, data):
    return services.referral_depart(referral=referral, actor=request.user, eta_minutes=data["eta_minutes"])


def _run_arrive(request, referral, data):
    return services.referral_arrive(referral=referral, actor=request.user)


def _run_disposition(request, referral, data):
    return services.clinical_disposition_record(
        referral=referral,
        actor=request.user,
        disposition=data["disposition"],
        section12_by=data["section12_by"],
        section12_kind=data["section12_kind"],
    )


def _run_note(request, referral, data):
    return services.clinical_note_add(referral=referral, actor=request.user, text=data["text"], part2=data["part2"])


def _run_follow_up(request, referral, data):
    return services.follow_up_add(referral=referral, actor=request.user, kind=data["kind"], due_at=data["due_at"])


def _run_follow_up_done(request, referral, data):
    try:
        follow_up_id = int(request.POST.get("follow_up", ""))
    except ValueError:
        raise Http404("No such follow-up") from None
    follow_up = get_follow_up(referral, follow_up_id)
    return services.follow_up_complete(follow_up=follow_up, actor=request.user, outcome=data["outcome"])


def _run_finish(request, referral, data):
    return services.referral_finish(referral=referral, actor=request.user)


def _run_reassign(request, referral, data):
    return services.referral_reassign(
        referral=referral, actor=request.user, clinician=data["clinician"], reason=data["reason"]
    )


def _run_transfer(request, referral, data):
    return services.referral_transfer(
        referral=referral, actor=request.user, district=data["district"], reason=data["reason"]
    )


ACTIONS: dict[str, Action] = {
    "accept": Action(None, _run_accept, done="Accepted. It is yours."),
    "decline": Action(DeclineForm, _run_decline, done="Declined; the officer has been told."),
    "depart": Action(DepartForm, _run_depart, write=True, done="En route; the officer sees your ETA."),
    "arrive": Action(None, _run_arrive, write=True, done="On scene."),
    "disposition": Action(DispositionForm, _run_disposition, write=True, done="Disposition recorded."),
    "note": Action(NoteForm, _run_note, write=True, done="Note added."),
    "follow_up": Action(FollowUpForm, _run_follow_up, write=True, done="Follow-up scheduled."),
    "follow_up_done": Action(FollowUpDoneForm, _run_follow_up_done, write=True, done="Follow-up done."),
    "finish": Action(None, _run_finish, write=True, done="Call ended."),
    "reassign": Action(ReassignForm, _run_reassign, supervise=True, done="Reassigned."),
    "transfer": Action(TransferForm, _run_transfer, supervise=True, done="Transferred."),
}


@partner_required
@require_POST
def case_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    referral = get_referral_for_user(request.user, public_id, write=spec.write)
    if spec.supervise and not can_supervise(request.user, referral):
        raise PermissionDenied("Only a supervisor can do that.")
    form = None
    if spec.form is ReassignForm:
        form = ReassignForm(request.POST, clinicians=colleagues_for_reassign(referral))
    elif spec.form is not None:
        form = spec.form(request.POST)
    if form is not None and not form.is_valid():
        services.clinical_record_read(user=request.user, referral=referral, view="referrals:case", reason=action)
        context = _case_context(request, referral, {f"{action}_form": form, "error_action": action})
        return render(request, "referrals/case.html", context, status=422)
    try:
        spec.run(request, referral, form.cleaned_data if form is not None else {})
    except services.ReferralError as error:
        messages.error(request, str(error))
        referral = get_referral_for_user(request.user, public_id)
        services.clinical_record_read(user=request.user, referral=referral, view="referrals:case", reason=action)
        return render(request, "referrals/case.html", _case_context(request, referral), status=409)
    messages.success(request, spec.done)
    if action == "transfer" and not can_supervise(request.user, referral):
        return redirect("referrals:queue")
    return redirect("referrals:case", public_id=public_id)
