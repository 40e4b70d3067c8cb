"""What the casework workflow registers: police-visible status per state, actions, authority rules, filing."""

from __future__ import annotations

from django.db.models import Q

from programs.models import Workflow
from referrals import consent
from referrals.models import Phase, PoliceStatus, Referral
from referrals.workflows import Action, Rule, WorkflowSpec
from referrals.workflows.casework import forms, services
from referrals.workflows.casework.matching import earlier_referrals
from referrals.workflows.casework.models import (
    HELD_STATES,
    LIVE_STATES,
    OPEN_STATES,
    OUTCOME_STATES,
    REACHING_STATES,
    CaseworkCase,
    CloseReason,
)
from referrals.workflows.casework.models import CaseworkState as S
from referrals.workflows.common import REROUTE, add_information_action, note_action


def police_status(case: CaseworkCase) -> tuple[str, str]:
    match case.state:
        case S.SUBMITTED:
            return PoliceStatus.RECEIVED, Phase.WAITING
        case S.ASSIGNED | S.CONTACT_ATTEMPTED:
            return PoliceStatus.RECEIVED, Phase.ACTIVE
        case S.ENGAGED:
            return PoliceStatus.ACCEPTED, Phase.ACTIVE
        case S.DECLINED:
            return PoliceStatus.DECLINED, Phase.ACTIVE  # over for police; the worker still closes it
        case S.UNABLE_TO_REACH:
            return PoliceStatus.CLOSED_NOT_CONNECTED, Phase.ACTIVE
        case _:  # closed
            if case.close_reason == CloseReason.CONSENT_REVOKED:
                return PoliceStatus.CLOSED_DECLINED, Phase.ENDED
            if case.close_reason == CloseReason.TRANSFERRED:
                return PoliceStatus.REROUTED, Phase.ENDED
            if case.engaged_at is not None:
                return PoliceStatus.CLOSED_CONNECTED, Phase.ENDED
            return PoliceStatus.CLOSED_NOT_CONNECTED, Phase.ENDED


def _consented(referral: Referral) -> str:
    """Services need consent to services (or an override); consent to share identity only is not enough."""
    problem = consent.consent_problem(referral)
    if problem:
        return problem
    if not consent.opens_services(consent.consent_in_force(referral)):
        return "The consent recorded covers sharing identity only: record consent to services before engaging."
    return ""


def _no_consent_yet(referral: Referral) -> str:
    if consent.consent_in_force(referral) is not None:
        return "Consent is already in force; no override is needed."
    return ""


def _has_consent(referral: Referral) -> str:
    return "" if consent.consent_in_force(referral) is not None else "No consent is in force to withdraw."


def _already_taken(referral: Referral) -> str:
    if referral.assignee_id:
        name = referral.assignee.get_full_name() or referral.assignee.get_username()
        return f"{name} has already taken this referral."
    return f"A referral that is {referral.casework.get_state_display().lower()} cannot be taken."


ASSIGNEE_ONLY = "Only the worker this referral is assigned to can do that."
WRITERS = frozenset({"assignee", "supervisor"})
SUPERVISOR_ONLY = "Only a supervisor of the partner can do that."
PARTNER = frozenset({"holder", "assignee", "supervisor"})

RULES: dict[str, Rule] = {
    "assign": Rule(
        frozenset({"holder", "supervisor"}),
        frozenset({S.SUBMITTED}),
        refusal="Only the team holding this referral can take it.",
        state_refusal=_already_taken,
    ),
    "contact_attempt": Rule(frozenset({"assignee"}), REACHING_STATES, refusal=ASSIGNEE_ONLY),
    "engage": Rule(frozenset({"assignee"}), REACHING_STATES, ready=_consented, refusal=ASSIGNEE_ONLY),
    "decline": Rule(frozenset({"assignee"}), REACHING_STATES, refusal=ASSIGNEE_ONLY),
    "unable_to_reach": Rule(
        frozenset({"assignee"}),
        frozenset({S.CONTACT_ATTEMPTED}),
        refusal=ASSIGNEE_ONLY,
        state_refusal=lambda referral: "Record a contact attempt before marking the person unable to reach.",
    ),
    "interim_update": Rule(WRITERS, frozenset({S.ENGAGED}), refusal=ASSIGNEE_ONLY),
    "goal": Rule(WRITERS, frozenset({S.ENGAGED}), ready=_consented, refusal=ASSIGNEE_ONLY),
    "goal_met": Rule(WRITERS, frozenset({S.ENGAGED}), refusal=ASSIGNEE_ONLY),
    "close": Rule(
        WRITERS,
        OUTCOME_STATES,
        refusal=ASSIGNEE_ONLY,
        state_refusal=lambda referral: "A referral is closed once it is engaged, declined or unreachable.",
    ),
    "note": Rule(
        WRITERS,
        LIVE_STATES,
        refusal="Only the worker this referral is assigned to, or a supervisor, can write on it.",
        state_refusal=lambda referral: "Notes are not taken on a closed referral.",
    ),
    "consent_record": Rule(
        PARTNER,
        LIVE_STATES,
        refusal="Only the partner team holding this referral can record consent.",
        state_refusal=lambda referral: "This referral is closed.",
    ),
    "consent_override": Rule(
        PARTNER,
        LIVE_STATES,
        ready=_no_consent_yet,
        permission=consent.OVERRIDE_PERMISSION,
        refusal="Only someone holding the 'override consent' permission can share identity without consent.",
        state_refusal=lambda referral: "This referral is closed.",
    ),
    "consent_revoke": Rule(
        PARTNER,
        LIVE_STATES,
        ready=_has_consent,
        refusal="Only the partner team holding this referral can record a withdrawal of consent.",
        state_refusal=lambda referral: "This referral is already closed.",
    ),
    "reassign": Rule(
        frozenset({"supervisor"}),
        HELD_STATES,
        refusal=SUPERVISOR_ONLY,
        state_refusal=lambda referral: "Only a referral a worker has taken can be reassigned.",
    ),
    "reroute": Rule(
        PARTNER,
        OPEN_STATES,
        refusal="Only the partner team holding this referral can send it to another program.",
        state_refusal=lambda referral: "Only an open referral can be sent to another program.",
    ),
    "add_information": Rule(
        frozenset({"filer"}),
        LIVE_STATES,
        refusal="Only the officer who filed a referral can add information to it.",
        state_refusal=lambda referral: "This referral has closed; call the partner instead.",
    ),
}


def _goal_met(*, referral, actor, data):
    return services.goal_met(referral=referral, actor=actor, goal_id=data["goal"])


ACTIONS: dict[str, Action] = {
    "assign": Action(
        "Assign to me",
        "taken",
        lambda *, referral, actor, data: services.referral_assign(referral=referral, actor=actor),
        done="Assigned to you.",
        style="primary",
    ),
    "consent_record": Action(
        "Record consent",
        "given consent",
        lambda *, referral, actor, data: consent.consent_record(
            referral=referral,
            actor=actor,
            given_by=data["given_by"],
            giver_name=data["giver_name"],
            scope=data["scope"],
            given_at=data["given_at"],
            valid_until=data["valid_until"],
        ),
        form=forms.ConsentForm,
        done="Consent recorded.",
    ),
    "consent_override": Action(
        "Override consent",
        "overridden",
        lambda *, referral, actor, data: consent.consent_override(
            referral=referral, actor=actor, reason=data["reason"]
        ),
        form=forms.OverrideForm,
        done="Override recorded; identity is shared with the team.",
        style="danger",
        confirm="Share this person's identity without their consent? Your name and reason are recorded.",
    ),
    "contact_attempt": Action(
        "Record attempt",
        "given a contact attempt",
        lambda *, referral, actor, data: services.contact_attempt_add(
            referral=referral, actor=actor, method=data["method"], outcome=data["outcome"], at=data["attempted_at"]
        ),
        form=forms.ContactAttemptForm,
        done="Contact attempt recorded.",
    ),
    "engage": Action(
        "Engaged",
        "engaged",
        lambda *, referral, actor, data: services.referral_engage(
            referral=referral,
            actor=actor,
            tier=data["tier"],
            gender=data["gender"],
            race_ethnicity=data["race_ethnicity"],
        ),
        form=forms.EngageForm,
        done="Engaged; the officer sees 'Accepted'.",
        style="primary",
    ),
    "decline": Action(
        "Declined",
        "declined",
        lambda *, referral, actor, data: services.referral_decline(
            referral=referral, actor=actor, declined_by=data["declined_by"]
        ),
        form=forms.DeclineForm,
        done="Recorded as declined.",
    ),
    "unable_to_reach": Action(
        "Unable to reach",
        "marked unable to reach",
        lambda *, referral, actor, data: services.referral_unable_to_reach(referral=referral, actor=actor),
        done="Recorded as unable to reach.",
    ),
    "interim_update": Action(
        "Tell the officer: still engaged",
        "updated",
        lambda *, referral, actor, data: services.interim_update(referral=referral, actor=actor),
        done="The officer sees 'still engaged'.",
    ),
    "goal": Action(
        "Add goal",
        "given goals",
        lambda *, referral, actor, data: services.goal_add(
            referral=referral, actor=actor, area=data["area"], text=data["text"]
        ),
        form=forms.GoalForm,
        done="Goal added.",
    ),
    "goal_met": Action("Met", "updated", _goal_met, form=forms.GoalMetForm, done="Goal met."),
    "note": note_action(forms.NoteForm),
    "close": Action(
        "Close",
        "closed",
        lambda *, referral, actor, data: services.referral_close(referral=referral, actor=actor, reason=data["reason"]),
        form=forms.CloseForm,
        done="Referral closed.",
    ),
    "reassign": Action(
        "Reassign",
        "reassigned",
        lambda *, referral, actor, data: services.referral_reassign(
            referral=referral, actor=actor, worker=data["worker"], reason=data["reason"]
        ),
        form=forms.ReassignForm,
        done="Reassigned.",
    ),
    "reroute": REROUTE,
    "consent_revoke": Action(
        "Consent withdrawn",
        "closed",
        lambda *, referral, actor, data: consent.consent_revoke(referral=referral, actor=actor),
        form=forms.RevokeForm,
        done="Consent withdrawn: the referral is closed and access to the person has ended.",
        style="danger",
        confirm="Record that consent was withdrawn? The referral closes and nobody keeps access to who the person is.",
    ),
    "add_information": add_information_action(to="the worker"),
}


def case_context(*, referral: Referral, user) -> dict:
    """The casework panel: the case, consent, the person's details (when consent allows), attempts, goals."""
    withheld = consent.consent_problem(referral)
    live = referral.casework.state in LIVE_STATES
    return {
        "case": referral.casework,
        "consent": consent.consent_in_force(referral),
        "person": None if withheld else referral.casework_person,
        # Whom to ask, while asking is still the work: never after the referral closed (a withdrawal included).
        "consent_contact": _consent_contact(referral) if withheld and live else None,
        "attempts": list(referral.contact_attempts.select_related("by").order_by("attempted_at", "pk")),
        "goals": list(referral.goals.order_by("created_at", "pk")),
        # Derived from the name and date of birth: shown only with them.
        "earlier": None if withheld else earlier_referrals(referral),
        "engage_blocked": withheld
        if referral.assignee_id == user.pk and referral.casework.state in REACHING_STATES
        else "",
    }


def _consent_contact(referral: Referral) -> dict:
    """Who to ask for consent, shown while identity is withheld: the guardian for a minor, else the person."""
    person = referral.casework_person
    if consent.needs_guardian(referral):
        return {
            "name": person.guardian_name,
            "relationship": person.guardian_relationship,
            "phone": person.guardian_phone,
        }
    return {"name": referral.subject.name, "relationship": "", "phone": person.phone}


def overdue(*, organisation_ids: list[int], now) -> list[dict]:
    """Referrals whose first contact is overdue (due and not yet made, or already escalated)."""
    late = (
        Referral.objects.filter(workflow=Workflow.CASEWORK, program__organisation_id__in=organisation_ids)
        .filter(casework__state__in=[S.SUBMITTED, *REACHING_STATES], casework__first_contact_at__isnull=True)
        .filter(Q(due_at__lte=now) | Q(casework__escalated_at__isnull=False))
        .select_related("program", "district", "team", "team__organisation", "team__district", "casework", "assignee")
        .order_by("created_at")
    )
    return [
        {
            "kind": "first_contact",
            "since": referral.casework.escalated_at or referral.due_at,
            "referral": referral,
            "state": referral.casework.get_state_display(),
        }
        for referral in late[:500]
    ]


SPEC = WorkflowSpec(
    key=Workflow.CASEWORK,
    state_model=CaseworkCase,
    related_name="casework",
    police_status=police_status,
    actions=ACTIONS,
    rules=RULES,
    filing_form=forms.CaseworkReferralForm,
    start=services.start,
    first_due=services.first_due,
    state_label=lambda case: case.get_state_display(),
    deadlines={"casework.first_contact": services.first_contacts_escalate_due},
    case_template="casework/case_panel.html",
    case_context=case_context,
    overdue=overdue,
    case_related=("casework_person",),
    filing_template="casework/new.html",
    assignee_label="Worker",
    take="assign",
    urgent=False,
    identity_gate=consent.consent_problem,
    end_for_reroute=services.end_for_reroute,
    end_for_revocation=services.end_for_revocation,
)
