"""What the co-response workflow registers: police-visible status per state, actions, authority rules, filing."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from programs.models import Workflow
from referrals.models import Phase, PoliceStatus, Referral
from referrals.workflows import Action, Rule, WorkflowSpec
from referrals.workflows.co_response import forms, services
from referrals.workflows.co_response.models import (
    ACTIVE_STATES,
    HELD_STATES,
    OPEN_STATES,
    WAITING_STATES,
    ClinicalRecord,
    CoResponseCase,
    FollowUp,
)
from referrals.workflows.co_response.models import CoResponseState as S
from referrals.workflows.common import REROUTE, add_information_action, note_action


def police_status(case: CoResponseCase) -> tuple[str, str]:
    closed = PoliceStatus.CLOSED_CONNECTED if case.connected else PoliceStatus.CLOSED_NOT_CONNECTED
    match case.state:
        case S.ACCEPTED:
            return PoliceStatus.ACCEPTED, Phase.ACTIVE
        case S.EN_ROUTE:
            return PoliceStatus.EN_ROUTE, Phase.ACTIVE
        case S.ON_SCENE:
            return PoliceStatus.ON_SCENE, Phase.ACTIVE
        case S.FOLLOW_UP:
            return closed, Phase.ACTIVE  # the call is over for police; the partner still has follow-ups to do
        case S.CLOSED:
            return closed, Phase.ENDED
        case S.DECLINED:
            return PoliceStatus.DECLINED, Phase.ENDED
        case S.CANCELLED:
            return PoliceStatus.CANCELLED, Phase.ENDED
        case _:
            return PoliceStatus.RECEIVED, Phase.WAITING


# --- readiness checks: "" when the action can succeed now, else why not ----------------------------------------


def _disposition_of(referral: Referral) -> str:
    """The recorded disposition ("" if none). The record the envelope's own query loaded (the case page's
    ``case_related``) is as fresh as the envelope the rest of the answer reads; otherwise it is read now, and not
    kept on the instance. A service asks about the row it has just locked and re-read (``referrals.services.lock``
    loads no clinical record), so its answer always comes from the database at that moment."""
    if Referral.clinical_record.is_cached(referral):
        try:
            return referral.clinical_record.disposition
        except ClinicalRecord.DoesNotExist:
            return ""
    return ClinicalRecord.objects.filter(referral=referral).values_list("disposition", flat=True).first() or ""


# Whether a follow-up is still open, computed in the case page's query of the envelope (``case_annotations``).
OPEN_FOLLOW_UPS = "co_response_open_follow_ups"


def _open_follow_ups() -> Exists:
    return Exists(FollowUp.objects.filter(referral=OuterRef("pk"), done_at__isnull=True))


def _has_open_follow_ups(referral: Referral) -> bool:
    """Read with the envelope where the case page's query computed it, otherwise now (a service's locked row)."""
    loaded = referral.loaded_value(OPEN_FOLLOW_UPS)
    if loaded is not None:
        return bool(loaded)
    return referral.follow_ups.filter(done_at__isnull=True).exists()


def _finish_ready(referral: Referral) -> str:
    if not _disposition_of(referral):
        return "Record a disposition before closing."
    if referral.co_response.state == S.FOLLOW_UP and _has_open_follow_ups(referral):
        return "Complete the open follow-ups before closing."
    return ""


def _already_taken(referral: Referral) -> str:
    if referral.assignee_id:
        name = referral.assignee.get_full_name() or referral.assignee.get_username()
        return f"{name} has already accepted this request."
    return f"A request that is {referral.co_response.get_state_display().lower()} cannot be accepted."


ASSIGNEE_ONLY = "Only the clinician who accepted this request can do that."
PARTNER_ONLY = "Only the partner team holding this request can do that."
SUPERVISOR_ONLY = "Only a supervisor of the partner can do that."
FILER_ONLY = "Only the officer who filed a request can do that."
WRITERS = frozenset({"assignee", "supervisor"})
NOTES_OPEN = frozenset(set(S.values) - {S.CANCELLED, S.DECLINED})

RULES: dict[str, Rule] = {
    "cancel": Rule(frozenset({"filer"}), WAITING_STATES, refusal="Only the officer who filed a request can cancel it."),
    "add_information": Rule(
        frozenset({"filer"}),
        OPEN_STATES,
        refusal="Only the officer who filed a request can add information to it.",
        state_refusal=lambda referral: "This request has ended; call the partner's line instead.",
    ),
    "accept": Rule(
        frozenset({"holder", "supervisor"}), WAITING_STATES, refusal=PARTNER_ONLY, state_refusal=_already_taken
    ),
    "decline": Rule(frozenset({"holder", "supervisor"}), WAITING_STATES, refusal=PARTNER_ONLY),
    "depart": Rule(frozenset({"assignee"}), frozenset({S.ACCEPTED}), refusal=ASSIGNEE_ONLY),
    "arrive": Rule(frozenset({"assignee"}), frozenset({S.ACCEPTED, S.EN_ROUTE}), refusal=ASSIGNEE_ONLY),
    "disposition": Rule(
        frozenset({"assignee"}),
        ACTIVE_STATES,
        refusal=ASSIGNEE_ONLY,
        state_refusal=lambda referral: "A disposition is recorded while the call is open, before it is closed.",
    ),
    "finish": Rule(frozenset({"assignee"}), HELD_STATES, ready=_finish_ready, refusal=ASSIGNEE_ONLY),
    "note": Rule(
        WRITERS,
        NOTES_OPEN,
        refusal="Only the clinician who accepted this request, or a supervisor, can write on it.",
        state_refusal=lambda referral: "Notes are not taken on a cancelled or declined request.",
    ),
    "follow_up": Rule(
        WRITERS,
        HELD_STATES,
        refusal="Only the clinician who accepted this request, or a supervisor, can schedule follow-ups.",
        state_refusal=lambda referral: "Follow-ups are scheduled on an accepted request that is not closed.",
    ),
    "follow_up_done": Rule(WRITERS, HELD_STATES, refusal=ASSIGNEE_ONLY),
    "reassign": Rule(
        frozenset({"supervisor"}),
        HELD_STATES,
        refusal=SUPERVISOR_ONLY,
        state_refusal=lambda referral: "Only an accepted request can be reassigned; a waiting one can be transferred.",
    ),
    "transfer": Rule(frozenset({"supervisor"}), WAITING_STATES | {S.ACCEPTED}, refusal=SUPERVISOR_ONLY),
    "reroute": Rule(
        frozenset({"assignee", "supervisor"}),
        OPEN_STATES,
        refusal="Only the clinician who accepted this request, or a supervisor, can send it to another program.",
        state_refusal=lambda referral: "Only an open request can be sent to another program.",
    ),
}


# --- actions: what each button runs ---------------------------------------------------------------------------


def _follow_up_done(*, referral, actor, data):
    follow_up = FollowUp.objects.filter(referral=referral, pk=data["follow_up"]).first()
    if follow_up is None:
        raise Http404("No such follow-up")
    return services.follow_up_complete(follow_up=follow_up, actor=actor, outcome=data["outcome"])


ACTIONS: dict[str, Action] = {
    "accept": Action(
        "Accept",
        "accepted",
        lambda *, referral, actor, data: services.referral_accept(referral=referral, actor=actor),
        done="Accepted. It is yours.",
        style="primary",
    ),
    "depart": Action(
        "En route",
        "marked en route",
        lambda *, referral, actor, data: services.referral_depart(
            referral=referral, actor=actor, eta_minutes=data["eta_minutes"]
        ),
        form=forms.DepartForm,
        done="En route; the officer sees your ETA.",
        style="primary",
    ),
    "arrive": Action(
        "On scene",
        "marked on scene",
        lambda *, referral, actor, data: services.referral_arrive(referral=referral, actor=actor),
        done="On scene.",
        style="primary",
    ),
    "disposition": Action(
        "Record disposition",
        "given a disposition",
        lambda *, referral, actor, data: services.clinical_disposition_record(
            referral=referral,
            actor=actor,
            disposition=data["disposition"],
            section12_by=data["section12_by"],
            section12_kind=data["section12_kind"],
            known_before=data["known_before"],
        ),
        form=forms.DispositionForm,
        done="Disposition recorded.",
    ),
    "finish": Action(
        "End call",
        "closed",
        lambda *, referral, actor, data: services.referral_finish(referral=referral, actor=actor),
        done="Call ended.",
    ),
    "follow_up": Action(
        "Schedule",
        "given a follow-up",
        lambda *, referral, actor, data: services.follow_up_add(
            referral=referral, actor=actor, kind=data["kind"], due_at=data["due_at"]
        ),
        form=forms.FollowUpForm,
        done="Follow-up scheduled.",
    ),
    "follow_up_done": Action("Done", "updated", _follow_up_done, form=forms.FollowUpDoneForm, done="Follow-up done."),
    "note": note_action(forms.NoteForm),
    "decline": Action(
        "Decline",
        "declined",
        lambda *, referral, actor, data: services.referral_decline(
            referral=referral, actor=actor, reason=data["reason"]
        ),
        form=forms.DeclineForm,
        done="Declined; the officer has been told.",
        style="danger",
    ),
    "reassign": Action(
        "Reassign",
        "reassigned",
        lambda *, referral, actor, data: services.referral_reassign(
            referral=referral, actor=actor, clinician=data["clinician"], reason=data["reason"]
        ),
        form=forms.ReassignForm,
        done="Reassigned.",
    ),
    "transfer": Action(
        "Transfer",
        "transferred",
        lambda *, referral, actor, data: services.referral_transfer(
            referral=referral, actor=actor, district=data["district"], reason=data["reason"]
        ),
        form=forms.TransferForm,
        done="Transferred.",
    ),
    "reroute": REROUTE,
    "cancel": Action(
        "Cancel request",
        "cancelled",
        lambda *, referral, actor, data: services.referral_cancel(referral=referral, actor=actor),
        done="Request cancelled.",
        style="danger",
        confirm="Cancel this request? The clinician will no longer come.",
        side="police",
    ),
    "add_information": add_information_action(to="the clinician"),
}


def case_context(*, referral: Referral, user) -> dict:
    """The co-response panel of the case page: the case, the disposition and the follow-ups, in two queries."""
    return {
        "case": referral.co_response,
        "record": referral.clinical_record,
        "follow_ups": list(referral.follow_ups.order_by("due_at", "pk")),
    }


def overdue(*, organisation_ids: list[int], now) -> list[dict]:
    """Requests not accepted in time (or escalated) and follow-ups past due, for a supervisor's overdue view."""
    waiting = (
        Referral.objects.filter(
            workflow=Workflow.CO_RESPONSE, program__organisation_id__in=organisation_ids, phase=Phase.WAITING
        )
        .filter(Q(due_at__lte=now) | Q(co_response__state=S.ESCALATED))
        .select_related("program", "district", "team", "team__organisation", "team__district", "co_response")
    )
    follow_ups = FollowUp.objects.filter(
        referral__program__organisation_id__in=organisation_ids, done_at__isnull=True, due_at__lte=now
    ).select_related("referral", "referral__assignee", "referral__district")
    items = [
        {
            "kind": "acceptance",
            "since": referral.created_at + timedelta(minutes=referral.program.acceptance_minutes),
            "referral": referral,
            "state": referral.co_response.get_state_display(),
        }
        for referral in waiting[:500]
    ]
    items += [
        {"kind": "follow_up", "since": follow_up.due_at, "referral": follow_up.referral, "follow_up": follow_up}
        for follow_up in follow_ups[:500]
    ]
    return items


SPEC = WorkflowSpec(
    key=Workflow.CO_RESPONSE,
    state_model=CoResponseCase,
    related_name="co_response",
    police_status=police_status,
    actions=ACTIONS,
    rules=RULES,
    filing_form=forms.CoResponseRequestForm,
    start=services.start,
    first_due=services.first_due,
    state_label=lambda case: case.get_state_display(),
    deadlines={
        "co_response.acceptance": services.referrals_escalate_due,
        "co_response.follow_up_due": services.follow_ups_remind_due,
    },
    case_template="co_response/case_panel.html",
    case_context=case_context,
    overdue=overdue,
    case_related=("clinical_record",),
    end_for_reroute=services.end_for_reroute,
    case_annotations={OPEN_FOLLOW_UPS: _open_follow_ups},
)
