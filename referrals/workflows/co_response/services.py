"""The co-response writes. Each: lock the envelope and the case, ask the policy, run the transition, save both
rows in one transaction, write the event, and leave side effects to after the commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from districts.models import District
from notifications.models import Kind
from notifications.services import notify
from programs.models import Workflow
from referrals import events, policy
from referrals.errors import ReferralError
from referrals.models import ClinicalNote, Referral
from referrals.services import (
    announce,
    grant_change,
    grant_team,
    partner_path,
    revoke_change,
    revoke_teams,
    route_team,
    supervisor_ids,
    team_member_ids,
    tell_officer,
    who,
)
from referrals.workflows.co_response import kinds
from referrals.workflows.co_response.models import (
    CONNECTED_DISPOSITIONS,
    WAITING_STATES,
    ClinicalRecord,
    CoResponseCase,
    CoResponseState,
    DeclineReason,
    Disposition,
    FollowUp,
)
from referrals.workflows.transitions import StateRows
from routing.services import route_choose, route_position_of


def first_due(*, program, now: datetime) -> datetime:
    """A new request waits for acceptance within the program's minutes."""
    return now + timedelta(minutes=program.acceptance_minutes)


def start(*, referral: Referral, new, now: datetime) -> CoResponseCase:
    """At filing: the case in "requested", and an empty clinical record."""
    ClinicalRecord.objects.create(referral=referral)
    return CoResponseCase.objects.create(referral=referral)


# --- building blocks ------------------------------------------------------------------------------------------


_case = StateRows(CoResponseCase, related_name="co_response", noun="request")
_locked, _transition, _save, _event = _case.locked, _case.transition, _case.save, _case.event


# --- officer --------------------------------------------------------------------------------------------------


def referral_cancel(*, referral: Referral, actor) -> Referral:
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "cancel", referral)
        from_state = _transition(case, "cancel")
        referral.due_at = None
        _save(referral, case, envelope_fields=["due_at"])
        event = _event(referral, case, events.CANCELLED, actor=actor, from_state=from_state)
        announce(referral, event)
    return referral


# --- clinician ------------------------------------------------------------------------------------------------


def referral_accept(*, referral: Referral, actor) -> Referral:
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "accept", referral)
        from_state = _transition(case, "accept")
        referral.assignee = actor
        referral.accepted_at = timezone.now()
        referral.due_at = None
        _save(referral, case, envelope_fields=["assignee", "accepted_at", "due_at"])
        # Access narrows as work is taken: the queues it passed through on its way stop reading it.
        dropped = revoke_teams(referral, keep=referral.team)
        grant_team(referral, referral.team)
        grant_change(referral, actor)
        event = _event(referral, case, events.ACCEPTED, actor=actor, from_state=from_state)
        tell_officer(referral, f"Request {referral.public_id} accepted by {who(actor)}.", Kind.ACCEPTED)
        announce(referral, event, extra_team_group_ids=dropped)
    return referral


def referral_decline(*, referral: Referral, actor, reason: str) -> Referral:
    if reason not in DeclineReason.values:
        raise ReferralError("Choose why the request is declined.")
    label = DeclineReason(reason).label
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "decline", referral)
        from_state = _transition(case, "decline", reason=reason)
        referral.due_at = None
        referral.status_note = f"Declined: {label}"[:100]
        _save(referral, case, case_fields=["decline_reason"], envelope_fields=["due_at", "status_note"])
        event = _event(referral, case, events.DECLINED, actor=actor, from_state=from_state, message=label)
        tell_officer(referral, f"Request {referral.public_id} declined: {label}.")
        announce(referral, event)
    return referral


def referral_depart(*, referral: Referral, actor, eta_minutes: int) -> Referral:
    if not 0 < eta_minutes <= 240:
        raise ReferralError("Give an arrival time between 1 and 240 minutes.")
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "depart", referral)
        eta_at = timezone.now() + timedelta(minutes=eta_minutes)
        from_state = _transition(case, "depart", eta_at=eta_at)
        referral.status_note = f"ETA {timezone.localtime(eta_at):%H:%M}"
        _save(referral, case, case_fields=["eta_at"], envelope_fields=["status_note"])
        event = _event(
            referral, case, kinds.EN_ROUTE, actor=actor, from_state=from_state, message=f"ETA {eta_minutes} min"
        )
        tell_officer(referral, f"Request {referral.public_id}: {who(actor)} en route, ETA {eta_minutes} min.")
        announce(referral, event)
    return referral


def referral_arrive(*, referral: Referral, actor) -> Referral:
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "arrive", referral)
        from_state = _transition(case, "arrive")
        referral.status_note = ""
        _save(referral, case, case_fields=["eta_at"], envelope_fields=["status_note"])
        event = _event(referral, case, kinds.ON_SCENE, actor=actor, from_state=from_state)
        tell_officer(referral, f"Request {referral.public_id}: {who(actor)} on scene.")
        announce(referral, event)
    return referral


def clinical_disposition_record(
    *,
    referral: Referral,
    actor,
    disposition: str,
    section12_by: str = "",
    section12_kind: str = "",
    known_before: bool | None = None,
) -> ClinicalRecord:
    """The call's disposition (and a Section 12's who and which), and whether the team already knew the person."""
    if disposition not in Disposition.values:
        raise ReferralError("Choose a disposition.")
    section12 = disposition == Disposition.ED_SECTION_12
    if section12 and not (section12_by and section12_kind):
        raise ReferralError("A Section 12 needs who authorised it and whether it is 12(a) or 12(b).")
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "disposition", referral)
        record = ClinicalRecord.objects.select_for_update().get(referral=referral)
        record.disposition = disposition
        record.section12_by = section12_by if section12 else ""
        record.section12_kind = section12_kind if section12 else ""
        record.disposition_at = timezone.now()
        record.disposition_by = actor
        record.known_before = known_before
        record.save(
            update_fields=[
                "disposition",
                "section12_by",
                "section12_kind",
                "disposition_at",
                "disposition_by",
                "known_before",
            ]
        )
        event = _event(referral, case, kinds.DISPOSITION, actor=actor)
        announce(referral, event)
    return record


def follow_up_add(*, referral: Referral, actor, kind: str, due_at: datetime) -> FollowUp:
    if kind not in FollowUp.Kind.values:
        raise ReferralError("Choose what kind of follow-up it is.")
    now = timezone.now()
    if not now - timedelta(minutes=5) <= due_at <= now + timedelta(days=366):
        raise ReferralError("A follow-up is due from now to a year ahead.")
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "follow_up", referral)
        follow_up = FollowUp.objects.create(referral=referral, kind=kind, due_at=due_at, created_by=actor)
        event = _event(referral, case, kinds.FOLLOW_UP_ADDED, actor=actor)
        announce(referral, event)
    return follow_up


def follow_up_complete(*, follow_up: FollowUp, actor, outcome: str) -> FollowUp:
    if outcome not in FollowUp.Outcome.values:
        raise ReferralError("Choose the outcome of the follow-up.")
    with transaction.atomic():
        referral, case = _locked(follow_up.referral)
        policy.require(actor, "follow_up_done", referral)
        follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if follow_up.done_at is not None:
            raise ReferralError("This follow-up is already done.")
        follow_up.done_at = timezone.now()
        follow_up.outcome = outcome
        follow_up.save(update_fields=["done_at", "outcome"])
        event = _event(referral, case, kinds.FOLLOW_UP_DONE, actor=actor)
        announce(referral, event)
    return follow_up


def referral_finish(*, referral: Referral, actor) -> Referral:
    """End the call: on to follow-up while follow-ups are open, closed otherwise. Needs a disposition.

    Whether it ended connected is decided by the disposition when the call ends and told to the officer once.
    """
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "finish", referral)
        record = ClinicalRecord.objects.get(referral=referral)
        connected = record.disposition in CONNECTED_DISPOSITIONS
        was = referral.police_status
        if referral.follow_ups.filter(done_at__isnull=True).exists():
            from_state = _transition(case, "start_follow_up", connected=connected)
            kind = kinds.FOLLOW_UP
        else:
            from_state = _transition(case, "close", connected=connected)
            kind = events.CLOSED
        referral.status_note = ""
        _save(referral, case, case_fields=["connected", "eta_at"], envelope_fields=["status_note"])
        event = _event(referral, case, kind, actor=actor, from_state=from_state)
        if referral.police_status != was:
            tell_officer(referral, f"Request {referral.public_id}: {referral.get_police_status_display()}.")
        announce(referral, event)
    return referral


def end_for_reroute(*, referral: Referral, actor) -> str:
    """The shared re-route's hook: the call ends here; the envelope is the caller's to save."""
    return _case.end(referral, "reroute", ["eta_at"])


# --- supervisor -----------------------------------------------------------------------------------------------


def referral_reassign(*, referral: Referral, actor, clinician, reason: str) -> Referral:
    """Hand an accepted call to another clinician of the same partner, with a reason for the timeline."""
    from referrals.workflows.co_response.forms import clinicians_of

    return _case.reassign(
        referral=referral, actor=actor, to=clinician, reason=reason, among=clinicians_of, role="clinician"
    )


def referral_transfer(*, referral: Referral, actor, district: District, reason: str) -> Referral:
    """Move a request to another district's queue; it waits for acceptance there. The incident district stays."""
    reason = reason.strip()
    if not reason:
        raise ReferralError("Give a reason for the transfer.")
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "transfer", referral)
        old_team = referral.team
        if district.pk == old_team.district_id:
            raise ReferralError("The request is already in that district's queue.")
        new_team = route_team(program=referral.program, district=district)
        previous_user_id = referral.assignee_id
        from_state = _transition(case, "transfer")
        referral.team = new_team
        referral.assignee = None
        referral.accepted_at = None
        referral.status_note = ""
        referral.due_at = timezone.now() + timedelta(minutes=referral.program.acceptance_minutes)
        _save(
            referral,
            case,
            case_fields=["eta_at"],
            envelope_fields=["team", "assignee", "accepted_at", "status_note", "due_at"],
        )
        old_group_ids = revoke_teams(referral)
        revoke_change(referral)
        grant_team(referral, new_team)
        ClinicalNote.objects.create(referral=referral, kind=ClinicalNote.Kind.HANDOVER, author=actor, text=reason)
        event = _event(
            referral,
            case,
            events.TRANSFERRED,
            actor=actor,
            from_state=from_state,
            message=f"Transferred to {district.code}",
        )
        notify(
            user_ids=team_member_ids(new_team),
            kind=Kind.NEW_IN_QUEUE,
            text=f"Request {referral.public_id} transferred to {district.code}.",
            path=partner_path(referral),
        )
        announce(
            referral,
            event,
            extra_team_group_ids=(old_team.group_id, *old_group_ids),
            extra_user_ids=(previous_user_id,) if previous_user_id else (),
        )
    return referral


# --- deadlines ------------------------------------------------------------------------------------------------


def referral_escalate_if_due(*, referral_id: int, now: datetime) -> bool:
    """Escalate one unaccepted request whose acceptance deadline has passed: on to the next queue with someone on
    shift, a notice to the supervisors, a new deadline. Exactly once per deadline, whoever else is sweeping: the
    row is locked and re-checked, and the deadline moves in the same transaction."""
    with transaction.atomic():
        # skip_locked (PostgreSQL): a row another sweeper or a service holds is left for the next sweep, so a worker
        # frozen inside its transaction cannot stall every other worker behind it.
        referral = (
            Referral.objects.select_for_update(no_key=True, of=("self",), skip_locked=True)
            .select_related("team", "program", "district")
            .filter(pk=referral_id, due_at__lte=now)
            .first()
        )
        if referral is None:
            return False  # accepted, cancelled, already escalated by another sweeper, or locked: next sweep
        case = CoResponseCase.objects.select_for_update().get(referral=referral)
        if case.state not in WAITING_STATES:
            return False
        old_team = referral.team
        chain_district = referral.district
        position = route_position_of(program=referral.program, district=chain_district, team=old_team)
        if position < 0 and old_team.district_id is not None:
            # A supervisor transferred it to a queue outside the incident district's chain: it escalates along
            # that queue's own chain, not back to the queue it was taken from.
            chain_district = old_team.district
            position = route_position_of(program=referral.program, district=chain_district, team=old_team)
        decision = route_choose(program=referral.program, district=chain_district, at=now, after=position)
        from_state = _transition(case, "escalate")
        referral.team = decision.team
        # At the end of the chain there is nobody further to hand it to: the supervisors hold it, no new deadline.
        moved = decision.team.pk != old_team.pk
        final = decision.final and not moved
        referral.due_at = None if final else now + timedelta(minutes=referral.program.acceptance_minutes)
        _save(referral, case, envelope_fields=["team", "due_at"])
        grant_team(referral, decision.team)
        event = _event(
            referral,
            case,
            events.ESCALATED,
            actor=None,
            from_state=from_state,
            message="Not yet accepted: still being placed",
        )
        _event(referral, case, events.ROUTED, actor=None, message=decision.reason)
        notify(
            user_ids={*supervisor_ids(referral), *team_member_ids(decision.team)},
            kind=Kind.ESCALATED,
            text=(
                f"Request {referral.public_id} in {referral.district.code} "
                f"({referral.get_urgency_display().lower()}) not accepted in time: now with {decision.team}."
            ),
            path=partner_path(referral),
        )
        announce(referral, event, extra_team_group_ids=(old_team.group_id,))
    return True


def referrals_escalate_due(now: datetime) -> int:
    """The deadline sweeper for co-response acceptance."""
    from referrals.services import due_referral_ids

    return sum(
        referral_escalate_if_due(referral_id=pk, now=now)
        for pk in due_referral_ids(workflow=Workflow.CO_RESPONSE, now=now)
    )


def follow_ups_remind_due(now: datetime) -> int:
    """The deadline sweeper for follow-ups: tell the clinician once when one falls due (claimed by a conditional
    update of ``reminded_at``, so two sweepers never remind twice)."""
    due = list(
        FollowUp.objects.filter(done_at__isnull=True, reminded_at__isnull=True, due_at__lte=now)
        .select_related("referral", "referral__district", "referral__program")
        .order_by("due_at", "pk")[:1000]
    )
    reminded = 0
    for follow_up in due:
        with transaction.atomic():
            claimed = FollowUp.objects.filter(pk=follow_up.pk, reminded_at__isnull=True).update(reminded_at=now)
            if not claimed:
                continue
            referral = follow_up.referral
            notify(
                user_ids=[referral.assignee_id] if referral.assignee_id else supervisor_ids(referral),
                kind=Kind.FOLLOW_UP_DUE,
                text=f"A follow-up ({follow_up.get_kind_display().lower()}) on {referral.public_id} is due.",
                path=partner_path(referral),
            )
            reminded += 1
    return reminded


__all__ = [
    "CoResponseState",
    "clinical_disposition_record",
    "end_for_reroute",
    "first_due",
    "follow_up_add",
    "follow_up_complete",
    "follow_ups_remind_due",
    "referral_accept",
    "referral_arrive",
    "referral_cancel",
    "referral_decline",
    "referral_depart",
    "referral_escalate_if_due",
    "referral_finish",
    "referral_reassign",
    "referral_transfer",
    "referrals_escalate_due",
    "start",
]
