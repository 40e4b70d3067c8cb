"""The shared writes and the building blocks every workflow's services use.

A write locks or re-checks the envelope, asks ``referrals.policy`` whether the actor may do it, runs the
workflow's transition, saves both rows with ``update_fields`` in one transaction, writes the event row, and
schedules its side effects with ``transaction.on_commit(..., robust=True)``: a hint or a task that cannot be
enqueued (Redis down) is logged and caught up later (pages poll; the outbox sweeps), never a failed request
after a committed change. Views, consumers and commands call services; nothing else saves a referral.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Team
from accounts.services import team_get_or_create
from districts.models import District
from notifications import hints
from notifications.models import Kind
from notifications.services import notify
from programs.models import Program
from referrals import events, policy, workflows
from referrals.errors import ReferralError, Refused
from referrals.models import (
    FINAL_POLICE_STATUSES,
    POLICE_STATUS_RANK,
    REASON_LABELS,
    URGENCY_RANK,
    ClinicalAccessLog,
    ClinicalNote,
    Phase,
    PoliceStatus,
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralUserObjectPermission,
    Subject,
    Urgency,
)
from routing.services import route_choose

__all__ = ["NewReferral", "ReferralError", "Refused"]


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
    reason_names: list[str] = field(default_factory=list)  # the codes' words as the officer saw them
    weapon_seen: bool = False
    violence: bool = False
    medical_emergency: bool = False
    cad_incident_number: str = ""
    subject_name: str = ""
    subject_age: int | None = None
    subject_gender: str = ""
    subject_language: str = ""
    circumstances: str = ""
    extra: dict = field(default_factory=dict)  # what only the program's workflow takes; its ``start`` reads it


# --- building blocks ------------------------------------------------------------------------------------------


def lock(referral: Referral) -> Referral:
    """Re-read the envelope under a row lock (PostgreSQL) or inside SQLite's write transaction (BEGIN IMMEDIATE)."""
    # of=("self",): lock the referral's row only, not the joined program and district rows every other write needs.
    # Only joins that never change: on PostgreSQL a query that waited for the lock re-checks the locked row alone
    # against the joined rows it read before the wait (an accept that lost the race saw no assignee; one that waited
    # for a transfer found no row at all, the team having changed).
    return (
        Referral.objects.select_for_update(no_key=True, of=("self",))
        .select_related("program", "district")
        .get(pk=referral.pk)
    )


def record_event(
    referral: Referral, kind: str, *, actor, from_state: str = "", to_state: str | None = None, message: str = ""
) -> ReferralEvent:
    """The event row of a change, in its transaction. Whether police see it comes from ``referrals.events``;
    ``to_state`` is the workflow state the referral is in after it (its current state unless given)."""
    if to_state is None:
        to_state = workflows.state_of(referral).state
    return ReferralEvent.objects.create(
        referral=referral,
        kind=kind,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        police_visible=events.is_police_visible(kind),
        message=message[:200],
    )


def announce(
    referral: Referral,
    event: ReferralEvent,
    *,
    extra_team_group_ids: tuple[int, ...] = (),
    extra_user_ids: tuple[int, ...] = (),
) -> None:
    """After commit: tell the pages that show this referral that it changed. Hints carry no data.

    Partner pages hear every change; police pages (the filer's, and the district lists of police supervisors)
    hear only a police-visible one.
    """
    partner_groups = {referral.team.group_id, *extra_team_group_ids}
    partner_users = {referral.assignee_id, *extra_user_ids} - {None}
    police_users: set[int] = set()
    police_districts: set[int] = set()
    if event.police_visible:
        police_users = {referral.officer_id}
        police_districts = {referral.district_id, referral.officer_district_id} - {None}
    organisation_id = referral.program.organisation_id
    public_id, sequence = referral.public_id, event.pk
    transaction.on_commit(
        lambda: hints.referral_changed(
            public_id=public_id,
            team_group_ids=partner_groups,
            user_ids=partner_users | police_users,
            organisation_id=organisation_id,
            district_ids=police_districts,
            sequence=sequence,
        ),
        robust=True,
    )


def apply_status(referral: Referral, state_row) -> list[str]:
    """Copy the workflow state's police-visible status and phase onto the envelope; the envelope fields changed.

    The police-visible status never moves backwards and a final one never changes: a transfer back to waiting
    leaves "Accepted", and a call's follow-ups never turn "Closed — connected" into something else.
    """
    status, phase = workflows.spec_for(referral).police_status(state_row)
    changed = []
    current = referral.police_status
    moves_on = current not in FINAL_POLICE_STATUSES and POLICE_STATUS_RANK[status] >= POLICE_STATUS_RANK[current]
    if moves_on and status != current:
        referral.police_status = status
        changed.append("police_status")
    if phase != referral.phase:
        referral.phase = phase
        changed.append("phase")
    if phase == Phase.ENDED and referral.ended_at is None:
        referral.ended_at = timezone.now()
        changed.append("ended_at")
    return changed


def save_envelope(referral: Referral, fields) -> None:
    referral.save(update_fields=sorted({*fields, "updated_at"}))


def who(user) -> str:
    return user.get_full_name() or user.get_username()


def team_member_ids(team: Team) -> list[int]:
    return list(team.group.user_set.filter(is_active=True).values_list("pk", flat=True))


def supervisor_ids(referral: Referral) -> list[int]:
    team = team_get_or_create(organisation=referral.program.organisation, kind=Team.Kind.SUPERVISORS)
    return team_member_ids(team)


def tell_officer(referral: Referral, text: str, kind: str = Kind.STATUS_CHANGED) -> None:
    """Police-side notice: the reference, the police-visible status, who took it. Never the person or the why."""
    notify(user_ids=[referral.officer_id], kind=kind, text=text, path=f"/referrals/{referral.public_id}/")


def partner_path(referral: Referral) -> str:
    return f"/queue/{referral.public_id}/"


def _permission(codename: str) -> Permission:
    return Permission.objects.only("pk").get(content_type__app_label="referrals", codename=codename)


def grant_team(referral: Referral, team: Team) -> None:
    """Give the team's group read access. One INSERT; a grant it already holds (an escalation back) is kept."""
    ReferralGroupObjectPermission.objects.bulk_create(
        [
            ReferralGroupObjectPermission(
                content_object=referral, group_id=team.group_id, permission=_permission("view_clinical")
            )
        ],
        ignore_conflicts=True,
    )


def revoke_teams(referral: Referral, *, keep: Team | None = None) -> tuple[int, ...]:
    """Take the referral from every team that holds it except ``keep``; the groups it was taken from."""
    grants = ReferralGroupObjectPermission.objects.filter(content_object=referral)
    if keep is not None:
        grants = grants.exclude(group_id=keep.group_id)
    group_ids = tuple(sorted(set(grants.values_list("group_id", flat=True))))
    if group_ids:
        grants.delete()
    return group_ids


def grant_change(referral: Referral, user) -> None:
    ReferralUserObjectPermission.objects.get_or_create(
        content_object=referral, user=user, permission=_permission("change_clinical")
    )


def revoke_change(referral: Referral) -> None:
    ReferralUserObjectPermission.objects.filter(
        content_object=referral, permission__codename="change_clinical"
    ).delete()


def route_team(*, program: Program, district: District) -> Team:
    """The district team of the program's partner: where a supervisor's manual transfer sends a request."""
    return team_get_or_create(organisation=program.organisation, district=district)


# --- filing ---------------------------------------------------------------------------------------------------


def referral_file(
    *, new: NewReferral, officer, officer_district: District | None = None, officer_unit=None
) -> tuple[Referral, bool]:
    """File a referral. The same idempotency key always yields the same referral: (referral, created)."""
    existing = Referral.objects.filter(idempotency_key=new.idempotency_key).first()
    if existing is not None:
        return _existing_for(existing, officer), False
    try:
        with transaction.atomic():
            referral = _create(new=new, officer=officer, officer_district=officer_district, unit=officer_unit)
    except IntegrityError:
        # A double tap raced us between the lookup and the insert: the other one won, return it.
        existing = Referral.objects.filter(idempotency_key=new.idempotency_key).first()
        if existing is None:
            raise
        return _existing_for(existing, officer), False
    return referral, True


def _create(
    *,
    new: NewReferral,
    officer,
    officer_district: District | None,
    rerouted_from: Referral | None = None,
    unit=None,
) -> Referral:
    """The envelope, the subject, the workflow's state row, the grant, the events and the notices of a new referral.
    Runs inside the caller's transaction."""
    program = new.program
    try:
        spec = workflows.get(program.workflow)
    except KeyError:
        spec = None
    if spec is None or not program.is_active:
        raise ReferralError("That program does not take requests.")
    now = timezone.now()
    decision = route_choose(program=program, district=new.district, at=now, unit=unit)
    team = decision.team
    codes = sorted(set(new.reason_codes))
    referral = Referral.objects.create(
        public_id=Referral.new_public_id(),
        idempotency_key=new.idempotency_key,
        program=program,
        workflow=program.workflow,
        district=new.district,
        team=team,
        urgency=new.urgency,
        urgency_rank=URGENCY_RANK[new.urgency],
        location_text=new.location_text,
        latitude=new.latitude,
        longitude=new.longitude,
        reason_codes=codes,
        reason_names=new.reason_names or [REASON_LABELS[c] for c in codes if c in REASON_LABELS],
        weapon_seen=new.weapon_seen,
        violence=new.violence,
        medical_emergency=new.medical_emergency,
        cad_incident_number=new.cad_incident_number,
        officer=officer,
        officer_district=officer_district,
        due_at=spec.first_due(program=program, now=now),
        rerouted_from=rerouted_from,
    )
    Subject.objects.create(
        referral=referral,
        name=new.subject_name,
        approximate_age=new.subject_age,
        gender=new.subject_gender,
        language=new.subject_language,
        circumstances=new.circumstances,
    )
    state_row = spec.start(referral=referral, new=new, now=now)
    changed = apply_status(referral, state_row)  # nothing, when the first state maps to the defaults
    if changed:
        save_envelope(referral, changed)
    grant_team(referral, team)
    event = record_event(referral, events.FILED, actor=officer, to_state=state_row.state)
    if rerouted_from is not None:
        record_event(referral, events.ROUTED, actor=None, message=f"Re-routed from {rerouted_from.public_id}")
    record_event(referral, events.ROUTED, actor=None, message=decision.reason)
    # The queue's hint first (on_commit keeps this order): the row matters more than the bell beside it.
    announce(referral, event)
    notify(
        user_ids=team_member_ids(team),
        kind=Kind.NEW_IN_QUEUE,
        text=f"New {program.name} request in {referral.district.code}, {referral.get_urgency_display().lower()}.",
        path=partner_path(referral),
    )
    return referral


def _existing_for(referral: Referral, officer) -> Referral:
    if referral.officer_id != officer.pk:
        # A key reused by someone else is not a retry; say nothing about the other request.
        raise ReferralError("This form was already used. Open a new request form and try again.")
    return referral


# --- shared actions -------------------------------------------------------------------------------------------


def referral_add_information(*, referral: Referral, actor, text: str) -> Referral:
    """The officer adds what they learned later. It goes to the partner side; police keep only "information added"."""
    text = text.strip()
    if not text:
        raise ReferralError("Write the information to add.")
    with transaction.atomic():
        referral = lock(referral)
        policy.require(actor, "add_information", referral)
        ClinicalNote.objects.create(referral=referral, kind=ClinicalNote.Kind.OFFICER_ADDENDUM, author=actor, text=text)
        event = record_event(referral, events.INFO_ADDED, actor=actor)
        announce(referral, event)
    return referral


def referral_reroute(*, referral: Referral, actor, program: Program, reason: str) -> Referral:
    """Send one intake on to another program (a co-response call that needs YouthConnect, a YouthConnect referral
    that needs a clinician now). The first referral ends as "Re-routed" and keeps its partner-side records; the new
    one starts in the other program's queue with the envelope and the person, never the first partner's notes.
    A referral is re-routed once: a second attempt is refused and names the first onward referral."""
    reason = reason.strip()
    if not reason:
        raise ReferralError("Give a reason for the re-route.")
    with transaction.atomic():
        referral = lock(referral)
        policy.require(actor, "reroute", referral)
        previous = Referral.objects.filter(rerouted_from=referral).select_related("program").first()
        if previous is not None:
            raise ReferralError(f"Already re-routed to {previous.program.name} as {previous.public_id}.")
        if program.pk == referral.program_id:
            raise ReferralError("It is already with that program.")
        if not program.is_active or program.workflow not in {spec.key for spec in workflows.registered()}:
            raise ReferralError(f"{program.name} does not take referrals.")
        subject = Subject.objects.get(referral=referral)
        if subject.approximate_age is not None and not program.eligible(subject.approximate_age):
            raise ReferralError(
                f"{program.name} serves {program.age_range_label()}; this person is {subject.approximate_age}."
            )
        from_state = workflows.spec_for(referral).end_for_reroute(referral=referral, actor=actor)
        target = workflows.get(program.workflow)
        new = NewReferral(
            program=program,
            district=referral.district,
            urgency=_onward_urgency(target, referral),
            idempotency_key=uuid.uuid5(referral.idempotency_key, f"reroute:{program.pk}"),
            location_text=referral.location_text,
            latitude=referral.latitude,
            longitude=referral.longitude,
            cad_incident_number=referral.cad_incident_number,
            reason_codes=list(referral.reason_codes),
            reason_names=referral.reason_labels(),  # what the officer entered, in the words they chose
            subject_name=subject.name,
            subject_age=subject.approximate_age,
            subject_gender=subject.gender,
            subject_language=subject.language,
            circumstances=subject.circumstances,
        )
        onward = _create(
            new=new, officer=referral.officer, officer_district=referral.officer_district, rerouted_from=referral
        )
        previous_user_id = referral.assignee_id
        if referral.police_status not in FINAL_POLICE_STATUSES:  # a call police saw closed stays as they saw it
            referral.police_status = PoliceStatus.REROUTED
        referral.phase = Phase.ENDED
        referral.ended_at = referral.ended_at or timezone.now()
        referral.due_at = None
        referral.status_note = f"Now {onward.public_id}, {program.name}"[:100]
        save_envelope(referral, ["police_status", "phase", "ended_at", "due_at", "status_note"])
        ClinicalNote.objects.create(referral=referral, kind=ClinicalNote.Kind.HANDOVER, author=actor, text=reason)
        event = record_event(
            referral,
            events.REROUTED,
            actor=actor,
            from_state=from_state,
            message=f"To {program.name} as {onward.public_id}",
        )
        tell_officer(referral, f"Request {referral.public_id} re-routed to {program.name} as {onward.public_id}.")
        announce(referral, event, extra_user_ids=(previous_user_id,) if previous_user_id else ())
    return onward


def _onward_urgency(target, referral: Referral) -> str:
    """An urgent workflow keeps the urgency (a follow-up-only intake becomes "within the hour"); others follow up."""
    if not target.urgent:
        return Urgency.FOLLOW_UP
    return Urgency.WITHIN_HOUR if referral.urgency == Urgency.FOLLOW_UP else referral.urgency


def clinical_note_add(*, referral: Referral, actor, text: str, part2: bool = False) -> ClinicalNote:
    text = text.strip()
    if not text:
        raise ReferralError("A note needs some text.")
    with transaction.atomic():
        referral = lock(referral)
        policy.require(actor, "note", referral)
        note = ClinicalNote.objects.create(referral=referral, author=actor, text=text, part2=part2)
        event = record_event(referral, events.NOTE, actor=actor)
        announce(referral, event)
    return note


def clinical_record_read(*, user, referral: Referral, view: str, reason: str, ip_address: str | None = None) -> None:
    """Write the access-log row for a read of the subject or clinical record; call it in the request that reads."""
    ClinicalAccessLog.objects.create(user=user, referral=referral, view=view, reason=reason, ip_address=ip_address)


def clinical_records_read(*, user, referrals, view: str, reason: str, ip_address: str | None = None) -> None:
    """One access-log row per referral whose clinical record a list showed, in one INSERT."""
    ClinicalAccessLog.objects.bulk_create(
        [
            ClinicalAccessLog(user=user, referral=r, view=view, reason=reason, ip_address=ip_address)
            for r in {r.pk: r for r in referrals}.values()
        ]
    )


def clinical_read_refused(*, user, public_id: str, view: str, reason: str, ip_address: str | None = None) -> bool:
    """Write a "refused" access-log row when a signed-in person asked for a referral's partner side and was refused
    (not theirs, or not their role). A reference that names no referral writes nothing: no record was asked for.
    The person still gets the same answer as for a reference that does not exist."""
    referral_id = Referral.objects.filter(public_id=str(public_id)[:12]).values_list("pk", flat=True).first()
    if referral_id is None or not getattr(user, "is_authenticated", False):
        return False
    ClinicalAccessLog.objects.create(
        user=user,
        referral_id=referral_id,
        view=view[:100],
        reason=reason[:100],
        outcome=ClinicalAccessLog.Outcome.REFUSED,
        ip_address=ip_address,
    )
    return True


def due_referral_ids(*, workflow: str, now: datetime, limit: int = 1000) -> list[int]:
    """Waiting referrals of a workflow whose due time has passed, oldest first (the "referral_due" index)."""
    return list(
        Referral.objects.filter(workflow=workflow, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
