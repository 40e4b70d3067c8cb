"""Every write to a referral: lock or re-check the row, transition, save, write the event, then side effects after
commit. Views, consumers and commands call these; nothing else saves a referral."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from accounts.models import Team
from accounts.services import team_get_or_create
from districts.models import District
from notifications import hints
from notifications.models import Kind
from notifications.services import notify
from referrals.models import (
    CONNECTED_DISPOSITIONS,
    URGENCY_RANK,
    WAITING_STATES,
    ClinicalAccessLog,
    ClinicalNote,
    ClinicalRecord,
    CoResponseState,
    DeclineReason,
    Disposition,
    FollowUp,
    Program,
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralUserObjectPermission,
    Subject,
    Workflow,
)
from routing.services import route_choose, route_position_of


class ReferralError(Exception):
    """A request that cannot be carried out; the message is meant for the person who asked."""


@dataclass
class NewReferral:
    """What an officer files. Only the program and district are required: a scene cannot always supply more."""

    program: Program
    district: District
    urgency: str
    idempotency_key: uuid.UUID
    location_text: str = ""
    latitude: object = None
    longitude: object = None
    reason_codes: list[str] = field(default_factory=list)
    weapon_seen: bool = False
    violence: bool = False
    medical_emergency: bool = False
    cad_incident_number: str = ""
    subject_name: str = ""
    subject_age: int | None = None
    subject_gender: str = ""
    subject_language: str = ""
    circumstances: str = ""


# --- helpers shared by the services ---------------------------------------------------------------------------


def _lock(referral: Referral) -> Referral:
    """Re-read the row under a lock (PostgreSQL) or inside SQLite's write transaction (BEGIN IMMEDIATE)."""
    # of=("self",): lock the referral's row only, not the joined team and program rows every other write needs.
    return (
        Referral.objects.select_for_update(no_key=True, of=("self",))
        .select_related("team", "program")
        .get(pk=referral.pk)
    )


def _event(
    referral: Referral,
    kind: str,
    *,
    actor,
    police_visible: bool,
    from_state: str = "",
    message: str = "",
) -> ReferralEvent:
    return ReferralEvent.objects.create(
        referral=referral,
        kind=kind,
        actor=actor,
        from_state=from_state,
        to_state=referral.state,
        police_visible=police_visible,
        message=message[:200],
    )


def _announce(referral: Referral, event: ReferralEvent, *, extra_teams: tuple[int, ...] = ()) -> None:
    """After commit: tell the referral's queue, its officer and its clinician that it changed. Hints carry no data."""
    group_ids = {referral.team.group_id, *extra_teams}
    user_ids = {referral.officer_id, referral.accepted_by_id} - {None}
    organisation_id = referral.program.organisation_id
    public_id, sequence = referral.public_id, event.pk
    transaction.on_commit(
        lambda: hints.referral_changed(
            public_id=public_id,
            team_group_ids=group_ids,
            user_ids=user_ids,
            organisation_id=organisation_id,
            sequence=sequence,
        )
    )


def _who(user) -> str:
    return user.get_full_name() or user.get_username()


def _team_member_ids(team: Team) -> list[int]:
    return list(team.group.user_set.filter(is_active=True).values_list("pk", flat=True))


def _supervisor_ids(referral: Referral) -> list[int]:
    team = team_get_or_create(organisation=referral.program.organisation, kind=Team.Kind.SUPERVISORS)
    return _team_member_ids(team)


def _tell_officer(referral: Referral, text: str, kind: str = Kind.STATUS_CHANGED) -> None:
    """Police-side notice: the reference, the police-visible status, who accepted. Never the person or the why."""
    notify(user_ids=[referral.officer_id], kind=kind, text=text, path=f"/referrals/{referral.public_id}/")


def _partner_path(referral: Referral) -> str:
    return f"/queue/{referral.public_id}/"


def _transition(referral: Referral, method_name: str, **kwargs) -> str:
    """Run one @transition on a locked row and save just what it changed. Returns the state it left."""
    method = getattr(referral, method_name)
    if not can_proceed(method):
        raise ReferralError(_refusal(referral, method_name))
    from_state = referral.state
    try:
        method(**kwargs)
    except TransitionNotAllowed:
        raise ReferralError(_refusal(referral, method_name)) from None
    return from_state


def _save(referral: Referral, fields: list[str]) -> None:
    try:
        referral.save(update_fields=[*fields, "state", "updated_at"])
    except ConcurrentTransition:
        raise ReferralError("Someone else changed this request at the same moment. Reload and try again.") from None


def _refusal(referral: Referral, action: str) -> str:
    if action == "accept" and referral.state != CoResponseState.REQUESTED and referral.accepted_by_id:
        name = referral.accepted_by.get_full_name() or referral.accepted_by.get_username()
        return f"{name} has already accepted this request."
    state = referral.get_state_display().lower()
    verbs = {
        "accept": "accepted",
        "decline": "declined",
        "cancel": "cancelled",
        "depart": "marked en route",
        "arrive": "marked on scene",
        "close": "closed",
        "start_follow_up": "moved to follow-up",
        "transfer": "transferred",
        "escalate": "escalated",
    }
    return f"A request that is {state} cannot be {verbs.get(action, action)}."


def _grant_team(referral: Referral, team: Team) -> None:
    """Give the team's group read access. One INSERT; a grant it already holds (an escalation back) is kept."""
    permission = Permission.objects.only("pk").get(content_type__app_label="referrals", codename="view_clinical")
    ReferralGroupObjectPermission.objects.bulk_create(
        [ReferralGroupObjectPermission(content_object=referral, group_id=team.group_id, permission=permission)],
        ignore_conflicts=True,
    )


def _revoke_teams(referral: Referral) -> tuple[int, ...]:
    """Take the referral from every team that holds it (an escalation leaves it with each queue on the way)."""
    grants = ReferralGroupObjectPermission.objects.filter(content_object=referral)
    group_ids = tuple(sorted(set(grants.values_list("group_id", flat=True))))
    grants.delete()
    return group_ids


def _grant_change(referral: Referral, user) -> None:
    permission = Permission.objects.get(content_type__app_label="referrals", codename="change_clinical")
    ReferralUserObjectPermission.objects.get_or_create(content_object=referral, user=user, permission=permission)


def _revoke_change(referral: Referral) -> None:
    ReferralUserObjectPermission.objects.filter(
        content_object=referral, permission__codename="change_clinical"
    ).delete()


def route_team(*, program: Program, district: District) -> Team:
    """The district team of the program's partner: where a supervisor's manual transfer sends a request."""
    return team_get_or_create(organisation=program.organisation, district=district)


# --- officer actions ------------------------------------------------------------------------------------------


def referral_file(*, new: NewReferral, officer, officer_district: District | None = None) -> tuple[Referral, bool]:
    """File a co-response request. The same idempotency key always yields the same request: (referral, created)."""
    existing = Referral.objects.filter(idempotency_key=new.idempotency_key).first()
    if existing is not None:
        return _existing_for(existing, officer), False
    if new.program.workflow != Workflow.CO_RESPONSE or not new.program.is_active:
        raise ReferralError("That program does not take co-response requests.")
    now = timezone.now()
    decision = route_choose(program=new.program, district=new.district, at=now)
    team = decision.team
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                public_id=Referral.new_public_id(),
                idempotency_key=new.idempotency_key,
                program=new.program,
                district=new.district,
                team=team,
                urgency=new.urgency,
                urgency_rank=URGENCY_RANK[new.urgency],
                location_text=new.location_text,
                latitude=new.latitude,
                longitude=new.longitude,
                reason_codes=sorted(set(new.reason_codes)),
                weapon_seen=new.weapon_seen,
                violence=new.violence,
                medical_emergency=new.medical_emergency,
                cad_incident_number=new.cad_incident_number,
                officer=officer,
                officer_district=officer_district,
                acceptance_due_at=now + timedelta(minutes=new.program.acceptance_minutes),
            )
            Subject.objects.create(
                referral=referral,
                name=new.subject_name,
                approximate_age=new.subject_age,
                gender=new.subject_gender,
                language=new.subject_language,
                circumstances=new.circumstances,
            )
            ClinicalRecord.objects.create(referral=referral)
            _grant_team(referral, team)
            event = _event(referral, ReferralEvent.Kind.FILED, actor=officer, police_visible=True)
            _event(referral, ReferralEvent.Kind.ROUTED, actor=None, police_visible=False, message=decision.reason)
            # The queue's hint first (on_commit keeps this order): the row matters more than the bell beside it.
            _announce(referral, event)
            notify(
                user_ids=_team_member_ids(team),
                kind=Kind.NEW_IN_QUEUE,
                text=f"New co-response request in {referral.district.code}, {referral.get_urgency_display().lower()}.",
                path=_partner_path(referral),
            )
    except IntegrityError:
        # A double tap raced us between the lookup and the insert: the other one won, return it.
        existing = Referral.objects.filter(idempotency_key=new.idempotency_key).first()
        if existing is None:
            raise
        return _existing_for(existing, officer), False
    return referral, True


def _existing_for(referral: Referral, officer) -> Referral:
    if referral.officer_id != officer.pk:
        # A key reused by someone else is not a retry; say nothing about the other request.
        raise ReferralError("This form was already used. Open a new request form and try again.")
    return referral


def referral_cancel(*, referral: Referral, actor) -> Referral:
    with transaction.atomic():
        referral = _lock(referral)
        if referral.officer_id != actor.pk:
            raise ReferralError("Only the officer who filed a request can cancel it.")
        from_state = _transition(referral, "cancel", at=timezone.now())
        _save(referral, ["ended_at", "acceptance_due_at"])
        event = _event(referral, ReferralEvent.Kind.CANCELLED, actor=actor, police_visible=True, from_state=from_state)
        _announce(referral, event)
    return referral


def referral_add_information(*, referral: Referral, actor, text: str) -> Referral:
    """The officer adds what they learned later. It goes to the partner side; police keep only "information added"."""
    text = text.strip()
    if not text:
        raise ReferralError("Write the information to add.")
    with transaction.atomic():
        referral = _lock(referral)
        if referral.officer_id != actor.pk:
            raise ReferralError("Only the officer who filed a request can add information to it.")
        if referral.is_ended:
            raise ReferralError("This request has ended; call the partner's line instead.")
        ClinicalNote.objects.create(referral=referral, kind=ClinicalNote.Kind.OFFICER_ADDENDUM, author=actor, text=text)
        event = _event(referral, ReferralEvent.Kind.INFO_ADDED, actor=actor, police_visible=True)
        _announce(referral, event)
    return referral


# --- clinician actions ----------------------------------------------------------------------------------------


def referral_accept(*, referral: Referral, actor) -> Referral:
    with transaction.atomic():
        referral = _lock(referral)
        from_state = _transition(referral, "accept", by=actor, at=timezone.now())
        _save(referral, ["accepted_by", "accepted_at", "acceptance_due_at"])
        _grant_change(referral, actor)
        event = _event(referral, ReferralEvent.Kind.ACCEPTED, actor=actor, police_visible=True, from_state=from_state)
        _tell_officer(referral, f"Request {referral.public_id} accepted by {_who(actor)}.", Kind.ACCEPTED)
        _announce(referral, event)
    return referral


def referral_decline(*, referral: Referral, actor, reason: str) -> Referral:
    if reason not in DeclineReason.values:
        raise ReferralError("Choose why the request is declined.")
    with transaction.atomic():
        referral = _lock(referral)
        from_state = _transition(referral, "decline", reason=reason, at=timezone.now())
        _save(referral, ["decline_reason", "ended_at", "acceptance_due_at"])
        event = _event(
            referral,
            ReferralEvent.Kind.DECLINED,
            actor=actor,
            police_visible=True,
            from_state=from_state,
            message=DeclineReason(reason).label,
        )
        _tell_officer(referral, f"Request {referral.public_id} declined: {DeclineReason(reason).label}.")
        _announce(referral, event)
    return referral


def _require_assignee(referral: Referral, actor) -> None:
    if referral.accepted_by_id != actor.pk:
        raise ReferralError("Only the clinician who accepted this request can do that.")


def referral_depart(*, referral: Referral, actor, eta_minutes: int) -> Referral:
    if not 0 < eta_minutes <= 240:
        raise ReferralError("Give an arrival time between 1 and 240 minutes.")
    with transaction.atomic():
        referral = _lock(referral)
        _require_assignee(referral, actor)
        eta_at = timezone.now() + timedelta(minutes=eta_minutes)
        from_state = _transition(referral, "depart", eta_at=eta_at)
        _save(referral, ["eta_at"])
        event = _event(
            referral,
            ReferralEvent.Kind.EN_ROUTE,
            actor=actor,
            police_visible=True,
            from_state=from_state,
            message=f"ETA {eta_minutes} min",
        )
        _tell_officer(referral, f"Request {referral.public_id}: {_who(actor)} en route, ETA {eta_minutes} min.")
        _announce(referral, event)
    return referral


def referral_arrive(*, referral: Referral, actor) -> Referral:
    with transaction.atomic():
        referral = _lock(referral)
        _require_assignee(referral, actor)
        from_state = _transition(referral, "arrive")
        _save(referral, ["eta_at"])
        event = _event(referral, ReferralEvent.Kind.ON_SCENE, actor=actor, police_visible=True, from_state=from_state)
        _tell_officer(referral, f"Request {referral.public_id}: {_who(actor)} on scene.")
        _announce(referral, event)
    return referral


def clinical_disposition_record(
    *, referral: Referral, actor, disposition: str, section12_by: str = "", section12_kind: str = ""
) -> ClinicalRecord:
    if disposition not in Disposition.values:
        raise ReferralError("Choose a disposition.")
    with transaction.atomic():
        referral = _lock(referral)
        _require_assignee(referral, actor)
        if referral.state not in (CoResponseState.EN_ROUTE, CoResponseState.ON_SCENE, CoResponseState.ACCEPTED):
            raise ReferralError("A disposition is recorded while the call is open, before it is closed.")
        record = ClinicalRecord.objects.select_for_update().get(referral=referral)
        record.disposition = disposition
        record.section12_by = section12_by if disposition == Disposition.ED_SECTION_12 else ""
        record.section12_kind = section12_kind if disposition == Disposition.ED_SECTION_12 else ""
        if disposition == Disposition.ED_SECTION_12 and not (record.section12_by and record.section12_kind):
            raise ReferralError("A Section 12 needs who authorised it and whether it is 12(a) or 12(b).")
        record.disposition_at = timezone.now()
        record.disposition_by = actor
        record.save(update_fields=["disposition", "section12_by", "section12_kind", "disposition_at", "disposition_by"])
        event = _event(referral, ReferralEvent.Kind.DISPOSITION, actor=actor, police_visible=False)
        _announce(referral, event)
    return record


def clinical_note_add(*, referral: Referral, actor, text: str, part2: bool = False) -> ClinicalNote:
    text = text.strip()
    if not text:
        raise ReferralError("A note needs some text.")
    with transaction.atomic():
        referral = _lock(referral)
        if referral.state in (CoResponseState.CANCELLED, CoResponseState.DECLINED):
            raise ReferralError("Notes are not taken on a cancelled or declined request.")
        note = ClinicalNote.objects.create(referral=referral, author=actor, text=text, part2=part2)
        event = _event(referral, ReferralEvent.Kind.NOTE, actor=actor, police_visible=False)
        _announce(referral, event)
    return note


def follow_up_add(*, referral: Referral, actor, kind: str, due_at: datetime) -> FollowUp:
    if kind not in FollowUp.Kind.values:
        raise ReferralError("Choose what kind of follow-up it is.")
    with transaction.atomic():
        referral = _lock(referral)
        if referral.state not in (*[CoResponseState.ACCEPTED, CoResponseState.EN_ROUTE], "on_scene", "follow_up"):
            raise ReferralError("Follow-ups are scheduled on an accepted request that is not closed.")
        follow_up = FollowUp.objects.create(referral=referral, kind=kind, due_at=due_at, created_by=actor)
        event = _event(referral, ReferralEvent.Kind.FOLLOW_UP_ADDED, actor=actor, police_visible=False)
        _announce(referral, event)
    return follow_up


def follow_up_complete(*, follow_up: FollowUp, actor, outcome: str) -> FollowUp:
    if outcome not in FollowUp.Outcome.values:
        raise ReferralError("Choose the outcome of the follow-up.")
    with transaction.atomic():
        referral = _lock(follow_up.referral)
        follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if follow_up.done_at is not None:
            raise ReferralError("This follow-up is already done.")
        follow_up.done_at = timezone.now()
        follow_up.outcome = outcome
        follow_up.save(update_fields=["done_at", "outcome"])
        event = _event(referral, ReferralEvent.Kind.FOLLOW_UP_DONE, actor=actor, police_visible=False)
        _announce(referral, event)
    return follow_up


def referral_finish(*, referral: Referral, actor) -> Referral:
    """End the call: on to follow-up while follow-ups are open, closed otherwise. Needs a disposition."""
    with transaction.atomic():
        referral = _lock(referral)
        _require_assignee(referral, actor)
        record = ClinicalRecord.objects.get(referral=referral)
        if not record.disposition:
            raise ReferralError("Record a disposition before closing.")
        open_follow_ups = referral.follow_ups.filter(done_at__isnull=True).exists()
        if open_follow_ups and referral.state != CoResponseState.FOLLOW_UP:
            from_state = _transition(referral, "start_follow_up")
            _save(referral, ["closed_connected"])
            kind = ReferralEvent.Kind.FOLLOW_UP
        elif open_follow_ups:
            raise ReferralError("Complete the open follow-ups before closing.")
        else:
            connected = record.disposition in CONNECTED_DISPOSITIONS
            from_state = _transition(referral, "close", connected=connected, at=timezone.now())
            _save(referral, ["closed_connected", "ended_at", "eta_at"])
            kind = ReferralEvent.Kind.CLOSED
        event = _event(referral, kind, actor=actor, police_visible=True, from_state=from_state)
        _tell_officer(referral, f"Request {referral.public_id}: {referral.police_status.label}.")
        _announce(referral, event)
    return referral


# --- supervisor actions ---------------------------------------------------------------------------------------


def referral_reassign(*, referral: Referral, actor, clinician, reason: str) -> Referral:
    """Hand an accepted request to another clinician of the same organisation, with a reason for the timeline."""
    reason = reason.strip()
    if not reason:
        raise ReferralError("Give a reason for the reassignment.")
    with transaction.atomic():
        referral = _lock(referral)
        if referral.state not in (*[CoResponseState.ACCEPTED, CoResponseState.EN_ROUTE], "on_scene", "follow_up"):
            raise ReferralError("Only an accepted request can be reassigned; a waiting one can be transferred.")
        if clinician.pk == referral.accepted_by_id:
            raise ReferralError("That clinician already holds this request.")
        previous_user_id = referral.accepted_by_id
        referral.accepted_by = clinician
        _save(referral, ["accepted_by"])
        _revoke_change(referral)
        _grant_change(referral, clinician)
        ClinicalNote.objects.create(referral=referral, kind=ClinicalNote.Kind.HANDOVER, author=actor, text=reason)
        name = clinician.get_full_name() or clinician.get_username()
        event = _event(
            referral,
            ReferralEvent.Kind.REASSIGNED,
            actor=actor,
            police_visible=True,
            message=f"Reassigned to {name}",
        )
        notify(
            user_ids=[clinician.pk],
            kind=Kind.REASSIGNED,
            text=f"Request {referral.public_id} in {referral.district.code} reassigned to you.",
            path=_partner_path(referral),
        )
        _announce(referral, event)
        if previous_user_id:
            transaction.on_commit(lambda: hints.user_changed(user_id=previous_user_id))
    return referral


def referral_transfer(*, referral: Referral, actor, district: District, reason: str) -> Referral:
    """Move a request to another district's queue; it waits for acceptance there."""
    reason = reason.strip()
    if not reason:
        raise ReferralError("Give a reason for the transfer.")
    with transaction.atomic():
        referral = _lock(referral)
        old_team = referral.team
        if district.pk == old_team.district_id:
            raise ReferralError("The request is already in that district's queue.")
        new_team = route_team(program=referral.program, district=district)
        due_at = timezone.now() + timedelta(minutes=referral.program.acceptance_minutes)
        from_state = _transition(referral, "transfer", team=new_team, due_at=due_at)
        _save(referral, ["team", "district", "accepted_by", "accepted_at", "eta_at", "acceptance_due_at"])
        old_group_ids = _revoke_teams(referral)
        _revoke_change(referral)
        _grant_team(referral, new_team)
        ClinicalNote.objects.create(referral=referral, kind=ClinicalNote.Kind.HANDOVER, author=actor, text=reason)
        event = _event(
            referral,
            ReferralEvent.Kind.TRANSFERRED,
            actor=actor,
            police_visible=True,
            from_state=from_state,
            message=f"Transferred to {district.code}",
        )
        _announce(referral, event, extra_teams=(old_team.group_id, *old_group_ids))
    return referral


def clinical_record_read(*, user, referral: Referral, view: str, reason: str) -> None:
    """Write the access-log row for a read of the subject or clinical record; call it in the request that reads."""
    ClinicalAccessLog.objects.create(user=user, referral=referral, view=view, reason=reason)


# --- deadlines ------------------------------------------------------------------------------------------------


def referral_escalate_if_due(*, referral_id: int, now: datetime) -> bool:
    """Escalate one unaccepted request whose acceptance deadline has passed: on to the next queue with someone on
    shift, a notice to the supervisors, a new deadline. Exactly once per deadline, whoever else is sweeping: the
    row is locked and re-checked, and the deadline moves in the same transaction."""
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(no_key=True, of=("self",))
            .select_related("team", "program", "district")
            .filter(pk=referral_id, state__in=WAITING_STATES, acceptance_due_at__lte=now)
            .first()
        )
        if referral is None:
            return False  # accepted, cancelled, or already escalated by another sweeper
        old_team = referral.team
        position = route_position_of(program=referral.program, district=referral.district, team=old_team)
        decision = route_choose(program=referral.program, district=referral.district, at=now, after=position)
        from_state = _transition(referral, "escalate")
        referral.team = decision.team
        # At the end of the chain there is nobody further to hand it to: the supervisors hold it, no new deadline.
        moved = decision.team.pk != old_team.pk
        referral.acceptance_due_at = (
            None if decision.final and not moved else now + timedelta(minutes=referral.program.acceptance_minutes)
        )
        _save(referral, ["team", "acceptance_due_at"])
        _grant_team(referral, decision.team)
        event = _event(
            referral,
            ReferralEvent.Kind.ESCALATED,
            actor=None,
            police_visible=True,
            from_state=from_state,
            message="Not yet accepted: still being placed",
        )
        _event(referral, ReferralEvent.Kind.ROUTED, actor=None, police_visible=False, message=decision.reason)
        notify(
            user_ids={*_supervisor_ids(referral), *_team_member_ids(decision.team)},
            kind=Kind.ESCALATED,
            text=(
                f"Request {referral.public_id} in {referral.district.code} "
                f"({referral.get_urgency_display().lower()}) not accepted in time: now with {decision.team}."
            ),
            path=_partner_path(referral),
        )
        _announce(referral, event, extra_teams=(old_team.group_id,))
    return True


def referrals_escalate_due(now: datetime) -> int:
    """The deadline sweeper for co-response acceptance (registered with routing.deadlines)."""
    due = list(
        Referral.objects.filter(state__in=WAITING_STATES, acceptance_due_at__lte=now)
        .order_by("acceptance_due_at", "pk")
        .values_list("pk", flat=True)[:1000]
    )
    return sum(referral_escalate_if_due(referral_id=pk, now=now) for pk in due)


def follow_ups_remind_due(now: datetime) -> int:
    """The deadline sweeper for follow-ups: tell the clinician once when one falls due (claimed by a conditional
    update of ``reminded_at``, so two sweepers never remind twice)."""
    due = list(
        FollowUp.objects.filter(done_at__isnull=True, reminded_at__isnull=True, due_at__lte=now)
        .select_related("referral", "referral__district")
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
                user_ids=[referral.accepted_by_id] if referral.accepted_by_id else _supervisor_ids(referral),
                kind=Kind.FOLLOW_UP_DUE,
                text=f"A follow-up ({follow_up.get_kind_display().lower()}) on {referral.public_id} is due.",
                path=_partner_path(referral),
            )
            reminded += 1
    return reminded
