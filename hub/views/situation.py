"""A situation's page: de-identified facts, the timeline, the identity block (only through
``hub.selectors.identity_for``, which decides names / full / none and logs the read) and the actions
``hub.policy`` allows this person now. Filter 2 and 3 happen in meeting mode, not here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.audit import client_ip
from hub import events, policy, selectors, services
from hub import forms as hub_forms
from hub.models import Assignment, OutcomeCheck, Situation


@dataclass(frozen=True)
class Action:
    form: type[forms.Form]
    run: Callable[..., object]
    done: str


def _agenda_add(situation, actor, data):
    services.agenda_add(situation=situation, actor=actor, meeting=data["meeting"])


def _door_knock_plan(situation, actor, data):
    services.door_knock_plan(
        situation=situation, actor=actor, agencies=data["agencies"], planned_for=data["planned_for"]
    )


def _door_knock_log(situation, actor, data):
    services.door_knock_log(situation=situation, actor=actor, response=data["response"], at=data.get("at"))


def _status_update(situation, actor, data):
    services.status_update_add(situation=situation, actor=actor, text=data["text"], services=data["services"])


def _conclude(situation, actor, data):
    services.situation_conclude(situation=situation, actor=actor, code=data["code"], services=data["services"])


def _outcome_check(situation, actor, data):
    services.outcome_check_record(
        situation=situation,
        actor=actor,
        days=data["days"],
        still_connected=data["still_connected"],
        new_incidents=data["new_incidents"],
        note=data["note"],
    )


def _casework_referral_open(situation, actor, data):
    referral = services.casework_referral_open(
        situation=situation, actor=actor, program=data["program"], person=data["person"], consent=data["consent"]
    )
    return f"Referral {referral.public_id} opened in {referral.program.name}."


ACTIONS: dict[str, Action] = {
    "agenda_add": Action(hub_forms.AgendaAddForm, _agenda_add, "Put on the meeting's agenda."),
    "door_knock_plan": Action(hub_forms.DoorKnockPlanForm, _door_knock_plan, "Door knock planned."),
    "door_knock_log": Action(hub_forms.DoorKnockLogForm, _door_knock_log, "Door knock logged."),
    "status_update": Action(hub_forms.StatusUpdateForm, _status_update, "Status update added."),
    "conclude": Action(hub_forms.ConcludeForm, _conclude, "Situation concluded."),
    "outcome_check": Action(hub_forms.OutcomeCheckForm, _outcome_check, "Outcome check recorded."),
    "casework_referral_open": Action(hub_forms.CaseworkReferralForm, _casework_referral_open, ""),
}


def _form_kwargs(name: str, situation: Situation, user) -> dict:
    kwargs = {"situation": situation}
    if name == "casework_referral_open":
        kwargs["user"] = user
    return kwargs


def _context(request: HttpRequest, situation: Situation, *, bound: tuple[str, forms.Form] | None, reason: str) -> dict:
    user = request.user
    details = selectors.situation_details(situation)
    # The one read of who the persons are: the rule and the access log are identity_for's.
    identity = selectors.identity_for(user, details, view="hub:situation", reason=reason, ip_address=client_ip(request))
    allowed = [name for name in policy.allowed_actions(user, details) if name in ACTIONS]
    if not details.table.outcome_checks and "outcome_check" in allowed:
        allowed.remove("outcome_check")
    assignments = sorted(details.assignments.all(), key=lambda a: (a.role != Assignment.Role.LEAD, a.pk))
    timeline = [{"event": e, "label": events.label(e.kind)} for e in selectors.timeline_for(details)]
    context = {
        "situation": details,
        "identity": identity,
        "assignments": assignments,
        "reveals": list(details.reveals.all()),
        "timeline": timeline,
        "allowed": allowed,
        "is_coordinator": "coordinator" in policy.relations(user, details),
        "decide_in_meeting": policy.can(user, "threshold_decide", details)
        or policy.can(user, "agencies_choose", details),
        "now": timezone.now(),
    }
    if details.concluded_at is not None:
        done = {c.days for c in details.outcome_checks.all()}
        context["checks_due"] = [
            {"days": days, "due": details.concluded_at + timedelta(days=days), "done": days in done}
            for days in OutcomeCheck.Days.values
        ]
    for name in allowed:
        context[f"can_{name}"] = True
        context[f"{name}_form"] = ACTIONS[name].form(**_form_kwargs(name, details, user))
    if bound is not None:
        name, form = bound
        context[f"{name}_form"] = form
        context["error_action"] = name
    return context


def _render(request, situation, *, status=200, bound=None, reason="situation page") -> HttpResponse:
    template = "hub/situation.html#situation" if request.htmx and status == 200 else "hub/situation.html"
    return render(request, template, _context(request, situation, bound=bound, reason=reason), status=status)


@login_required
def situation(request: HttpRequest, public_id: str) -> HttpResponse:
    found = selectors.get_situation_for_user(request.user, public_id)
    return _render(request, found, reason="live refresh" if request.htmx else "situation page")


@login_required
@require_POST
def situation_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    found = selectors.get_situation_for_user(request.user, public_id)
    chosen = ACTIONS.get(action)
    if chosen is None:
        raise Http404("No such action")
    try:
        policy.require(request.user, action, found)  # before reading the form: not yours is 403 whatever was sent
    except services.Refused as refusal:
        raise PermissionDenied(str(refusal)) from None
    except services.ReferralError as error:
        messages.error(request, str(error))
        return _render(request, found, status=409, reason=action)
    form = chosen.form(request.POST, **_form_kwargs(action, found, request.user))
    if not form.is_valid():
        return _render(request, found, status=422, bound=(action, form), reason=action)
    try:
        done = chosen.run(found, request.user, form.cleaned_data) or chosen.done
    except services.Refused as refusal:
        raise PermissionDenied(str(refusal)) from None
    except services.ReferralError as error:
        form.add_error(None, str(error))
        found = selectors.get_situation_for_user(request.user, public_id)
        return _render(request, found, status=409, bound=(action, form), reason=action)
    messages.success(request, done)
    return redirect("hub:situation", public_id=public_id)
