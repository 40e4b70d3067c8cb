"""The partner's side: the live queue and the case page. Every read of the subject or clinical record is logged.

The case page serves every workflow: the envelope, the person, the workflow's own panel, notes and timeline.
Its buttons are the actions ``referrals.policy`` allows this user now, in the workflow's order.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.audit import client_ip
from referrals import break_glass, policy, services, workflows
from referrals.models import Referral
from referrals.selectors import (
    get_referral_for_user,
    officer_phone,
    overdue_for,
    partner_case,
    queue_for,
    referrals_for_partner,
    supervised_organisation_ids,
)
from referrals.views.access import partner_referral, partner_required


@partner_required
def queue(request: HttpRequest) -> HttpResponse:
    context = {**queue_for(user=request.user), "is_supervisor": bool(supervised_organisation_ids(request.user))}
    template = "referrals/queue.html#queue" if request.htmx else "referrals/queue.html"
    return render(request, template, context)


@partner_required
def overdue(request: HttpRequest) -> HttpResponse:
    if not supervised_organisation_ids(request.user):
        raise PermissionDenied("The overdue view is for supervisors.")
    items = overdue_for(user=request.user, now=timezone.now())
    # A follow-up's kind and due time are the partner's record: reading them is logged like any clinical read.
    services.clinical_records_read(
        user=request.user,
        referrals=[item["referral"] for item in items if item["kind"] == "follow_up"],
        view="referrals:overdue",
        reason="overdue list",
        ip_address=client_ip(request),
    )
    context = {"items": items}
    template = "referrals/overdue.html#items" if request.htmx else "referrals/overdue.html"
    return render(request, template, context)


def _case_context(request: HttpRequest, referral: Referral, bound_form: tuple[str, object] | None = None) -> dict:
    spec = workflows.spec_for(referral)
    allowed = policy.allowed_actions(request.user, referral, side="partner")
    context = {
        "referral": referral,
        "subject": referral.subject,
        "officer_phone": officer_phone(referral),
        "workflow_template": spec.case_template,
        "assignee_label": spec.assignee_label,
        # "" when this user may see who the person is; else why not (casework: no consent in force).
        "identity_withheld": spec.identity_gate(referral) if spec.identity_gate else "",
        "allowed": allowed,
        **partner_case(referral, user=request.user),
        **(spec.case_context(referral=referral, user=request.user) if spec.case_context else {}),
    }
    for name in allowed:
        action = spec.actions[name]
        context[f"can_{name}"] = True
        if action.form is not None:
            context[f"{name}_form"] = action.form(referral=referral)
    if bound_form is not None:
        name, form = bound_form
        context[f"{name}_form"] = form
        context["error_action"] = name
    return context


def _render_case(request, referral, *, status=200, bound_form=None, reason="case page") -> HttpResponse:
    # No relation to it: the selector returned it for an unexpired break-glass opening (its probe runs only then).
    if not policy.relations(request.user, referral) and break_glass.is_open(request.user, referral):
        reason = break_glass.READ_REASON
    services.clinical_record_read(
        user=request.user, referral=referral, view="referrals:case", reason=reason, ip_address=client_ip(request)
    )
    template = "referrals/case.html#case" if request.htmx and status == 200 else "referrals/case.html"
    return render(request, template, _case_context(request, referral, bound_form), status=status)


@partner_required
def case(request: HttpRequest, public_id: str) -> HttpResponse:
    referral = partner_referral(request, public_id)
    return _render_case(request, referral, reason="live refresh" if request.htmx else "case page")


@sensitive_post_parameters()  # notes, dispositions, the subject's details
@partner_required
@require_POST
def case_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    referral = partner_referral(request, public_id)
    spec = workflows.spec_for(referral)
    chosen = spec.actions.get(action)
    if chosen is None or chosen.side != "partner":
        raise Http404("No such action")
    data: dict = {}
    if chosen.form is not None:
        form = chosen.form(request.POST, referral=referral)
        if not form.is_valid():
            return _render_case(request, referral, status=422, bound_form=(action, form), reason=action)
        data = form.cleaned_data
    try:
        chosen.run(referral=referral, actor=request.user, data=data)
    except services.Refused as refusal:
        raise PermissionDenied(str(refusal)) from None
    except services.ReferralError as error:
        messages.error(request, str(error))
        referral = get_referral_for_user(request.user, public_id)
        return _render_case(request, referral, status=409, reason=action)
    messages.success(request, chosen.done)
    if not referrals_for_partner(user=request.user).filter(pk=referral.pk).exists():
        return redirect("referrals:queue")  # handed on (a transfer): it is no longer this user's to read
    return redirect("referrals:case", public_id=public_id)
