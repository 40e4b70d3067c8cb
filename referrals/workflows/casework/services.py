"""The casework writes. Each: lock the envelope and the case, ask the policy, run the transition, save both rows in
one transaction, write the event, and leave side effects to after the commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from notifications.models import Kind
from notifications.services import notify
from programs.deadlines import first_contact_due
from programs.models import Workflow
from referrals import events, policy
from referrals.errors import ReferralError
from referrals.models import Consent, Referral, Subject
from referrals.services import (
    announce,
    due_referral_ids,
    grant_change,
    partner_path,
    save_envelope,
    supervisor_ids,
    tell_officer,
    who,
)
from referrals.workflows.casework import kinds
from referrals.workflows.casework.matching import fingerprint
from referrals.workflows.casework.models import (
    REACHING_STATES,
    AgeBand,
    CaseworkCase,
    CaseworkPerson,
    CaseworkState,
    CloseReason,
    ContactAttempt,
    DeclinedBy,
    Gender,
    Goal,
    RaceEthnicity,
    ServiceTier,
)
from referrals.workflows.transitions import StateRows

ON_SCENE_CONSENT = {"person": Consent.GivenBy.PERSON, "guardian": Consent.GivenBy.GUARDIAN}


def first_due(*, program, now: datetime) -> datetime:
    """First contact is due within the program's time (minutes, hours or business days)."""
    return first_contact_due(program=program, start=now)


def start(*, referral: Referral, new, now: datetime) -> CaseworkCase:
    """At filing: the case in "submitted", the person's contact details, and the consent given on scene."""
    person = dict(new.extra.get("person") or {})
    CaseworkPerson.objects.create(
        referral=referral,
        fingerprint=fingerprint(
            organisation_id=referral.program.organisation_id,
            name=new.subject_name,
            date_of_birth=person.get("date_of_birth"),
        ),
        **{key: value for key, value in person.items() if value not in (None, "")},
    )
    given_by = ON_SCENE_CONSENT.get(new.extra.get("consent", ""))
    if given_by is not None:
        Consent.objects.create(
            referral=referral,
            given_by=given_by,
            giver_name=person.get("guardian_name", "") if given_by == Consent.GivenBy.GUARDIAN else new.subject_name,
            given_at=now,
            recorded_by=referral.officer,
        )
    return CaseworkCase.objects.create(referral=referral)


# --- building blocks ------------------------------------------------------------------------------------------


_case = StateRows(CaseworkCase, related_name="casework", noun="referral")
_locked, _transition, _save, _event = _case.locked, _case.transition, _case.save, _case.event


# --- worker ---------------------------------------------------------------------------------------------------


def referral_assign(*, referral: Referral, actor) -> Referral:
    """A worker takes a referral from the queue: it is theirs to reach out on."""
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "assign", referral)
        from_state = _transition(case, "assign")
        referral.assignee = actor
        _save(referral, case, envelope_fields=["assignee"])
        grant_change(referral, actor)
        event = _event(referral, case, kinds.ASSIGNED, actor=actor, from_state=from_state, message=who(actor))
        announce(referral, event)
    return referral


def contact_attempt_add(*, referral: Referral, actor, method: str, outcome: str, at: datetime | None = None):
    """A call, text or visit, and how it went. The first one meets the first-contact deadline."""
    if method not in ContactAttempt.Method.values:
        raise ReferralError("Choose how contact was attempted.")
    if outcome not in ContactAttempt.Outcome.values:
        raise ReferralError("Choose the outcome of the attempt.")
    at = at or timezone.now()
    if at > timezone.now() + timedelta(minutes=5):
        raise ReferralError("A contact attempt cannot be in the future.")
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "contact_attempt", referral)
        from_state = _transition(case, "attempt", at=at)
        attempt = ContactAttempt.objects.create(
            referral=referral, attempted_at=at, method=method, outcome=outcome, by=actor
        )
        referral.due_at = None  # first contact made: that deadline is met
        _save(referral, case, case_fields=["first_contact_at"], envelope_fields=["due_at"])
        event = _event(
            referral,
            case,
            kinds.CONTACT_ATTEMPT,
            actor=actor,
            from_state=from_state,
            message=f"{attempt.get_method_display()}: {attempt.get_outcome_display().lower()}",
        )
        announce(referral, event)
    return attempt


def age_at(referral: Referral, when: datetime) -> int | None:
    """The person's age on ``when``: from the date of birth the partner holds, else the officer's approximate age."""
    person = CaseworkPerson.objects.filter(referral=referral).values_list("date_of_birth", flat=True).first()
    if person is not None:
        day = timezone.localtime(when).date()
        return day.year - person.year - ((day.month, day.day) < (person.month, person.day))
    return Subject.objects.filter(referral=referral).values_list("approximate_age", flat=True).first()


def referral_engage(
    *,
    referral: Referral,
    actor,
    tier: str,
    gender: str = Gender.NOT_RECORDED,
    race_ethnicity: str = RaceEthnicity.NOT_RECORDED,
) -> Referral:
    """The young person (and family) accepted services, at a tier. Police see "Accepted". The person's age band,
    gender and race or ethnicity are kept, coded, for the program's annual demographics."""
    if tier not in ServiceTier.values:
        raise ReferralError("Choose the service tier.")
    if gender not in Gender.values:
        raise ReferralError("Choose the gender from the list (or 'Not recorded').")
    if race_ethnicity not in RaceEthnicity.values:
        raise ReferralError("Choose the race or ethnicity from the list (or 'Not recorded').")
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "engage", referral)
        now = timezone.now()
        from_state = _transition(
            case,
            "engage",
            tier=tier,
            at=now,
            age_band=AgeBand.of(age_at(referral, now)),
            gender=gender,
            race_ethnicity=race_ethnicity,
        )
        referral.accepted_at = now
        referral.due_at = None
        _save(
            referral,
            case,
            case_fields=["tier", "engaged_at", "first_contact_at", "age_band", "gender", "race_ethnicity"],
            envelope_fields=["accepted_at", "due_at"],
        )
        event = _event(referral, case, kinds.ENGAGED, actor=actor, from_state=from_state)
        tell_officer(
            referral, f"Referral {referral.public_id}: accepted, engaged with {referral.program.name}.", Kind.ACCEPTED
        )
        announce(referral, event)
    return referral


def referral_decline(*, referral: Referral, actor, declined_by: str) -> Referral:
    if declined_by not in DeclinedBy.values:
        raise ReferralError("Say who declined: the young person or the guardian.")
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "decline", referral)
        from_state = _transition(case, "decline", by=declined_by)
        referral.due_at = None
        _save(referral, case, case_fields=["declined_by"], envelope_fields=["due_at"])
        # Police hear "Declined"; who declined stays with the partner.
        event = _event(referral, case, events.DECLINED, actor=actor, from_state=from_state)
        tell_officer(referral, f"Referral {referral.public_id}: declined.")
        announce(referral, event)
    return referral


def referral_unable_to_reach(*, referral: Referral, actor) -> Referral:
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "unable_to_reach", referral)
        from_state = _transition(case, "give_up")
        referral.due_at = None
        _save(referral, case, envelope_fields=["due_at"])
        event = _event(referral, case, kinds.UNABLE_TO_REACH, actor=actor, from_state=from_state)
        tell_officer(referral, f"Referral {referral.public_id}: {referral.get_police_status_display()}.")
        announce(referral, event)
    return referral


def interim_update(*, referral: Referral, actor) -> Referral:
    """Tell the officer "still engaged", and nothing else."""
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "interim_update", referral)
        now = timezone.now()
        case.interim_at = now
        case.save(update_fields=["interim_at"])
        referral.status_note = f"Still engaged as of {timezone.localtime(now):%b %-d}"
        save_envelope(referral, ["status_note"])
        event = _event(referral, case, kinds.INTERIM_UPDATE, actor=actor)
        tell_officer(referral, f"Referral {referral.public_id}: still engaged.")
        announce(referral, event)
    return referral


def goal_add(*, referral: Referral, actor, area: str, text: str = "") -> Goal:
    if area not in Goal.Area.values:
        raise ReferralError("Choose the goal.")
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "goal", referral)
        goal = Goal.objects.create(referral=referral, area=area, text=text.strip()[:300], created_by=actor)
        event = _event(referral, case, kinds.GOAL_ADDED, actor=actor)
        announce(referral, event)
    return goal


def goal_met(*, referral: Referral, actor, goal_id: int) -> Goal:
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "goal_met", referral)
        goal = Goal.objects.select_for_update().filter(referral=referral, pk=goal_id).first()
        if goal is None:
            raise ReferralError("That goal is not on this referral.")
        if goal.met_at is not None:
            raise ReferralError("That goal is already met.")
        goal.met_at = timezone.now()
        goal.save(update_fields=["met_at"])
        event = _event(referral, case, kinds.GOAL_MET, actor=actor)
        announce(referral, event)
    return goal


def referral_close(*, referral: Referral, actor, reason: str) -> Referral:
    """Close an engaged, declined or unreachable referral with its reason. Police see how it ended, not why."""
    if reason not in {CloseReason.GOALS_MET, CloseReason.DISENGAGED, CloseReason.AGED_OUT}:
        raise ReferralError("Choose the closing reason.")
    with transaction.atomic():
        referral, case = _locked(referral)
        policy.require(actor, "close", referral)
        was = referral.police_status
        from_state = _transition(case, "close", reason=reason)
        referral.status_note = ""
        _save(referral, case, case_fields=["close_reason"], envelope_fields=["status_note"])
        event = _event(referral, case, events.CLOSED, actor=actor, from_state=from_state)
        if referral.police_status != was:
            tell_officer(referral, f"Referral {referral.public_id}: {referral.get_police_status_display()}.")
        announce(referral, event)
    return referral


# --- supervisor -----------------------------------------------------------------------------------------------


def referral_reassign(*, referral: Referral, actor, worker, reason: str) -> Referral:
    from referrals.workflows.casework.forms import workers_of

    return _case.reassign(referral=referral, actor=actor, to=worker, reason=reason, among=workers_of, role="worker")


# --- the shared cascades' hooks -------------------------------------------------------------------------------


def _end(referral: Referral, reason: str) -> str:
    return _case.end(referral, "end", ["close_reason"], reason=reason)


def end_for_reroute(*, referral: Referral, actor) -> str:
    return _end(referral, CloseReason.TRANSFERRED)


def end_for_revocation(*, referral: Referral, actor) -> str:
    """Consent withdrawn: the case closes, and the fingerprint goes, so a later referral is not matched to it."""
    CaseworkPerson.objects.filter(referral=referral).update(fingerprint="")
    return _end(referral, CloseReason.CONSENT_REVOKED)


# --- deadlines ------------------------------------------------------------------------------------------------


def first_contact_escalate_if_due(*, referral_id: int, now: datetime) -> bool:
    """Tell the program's supervisors once that a first contact is overdue. Exactly once per deadline, whoever
    else is sweeping: the row is locked and re-checked, and the deadline clears in the same transaction."""
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(no_key=True, of=("self",), skip_locked=True)
            .select_related("program", "district", "team")
            .filter(pk=referral_id, due_at__lte=now)
            .first()
        )
        if referral is None:
            return False
        case = CaseworkCase.objects.select_for_update().get(referral=referral)
        referral.due_at = None
        save_envelope(referral, ["due_at"])
        if case.state not in {CaseworkState.SUBMITTED, *REACHING_STATES} or case.first_contact_at is not None:
            return False
        case.escalated_at = now
        case.save(update_fields=["escalated_at"])
        event = _event(referral, case, kinds.FIRST_CONTACT_OVERDUE, actor=None)
        notify(
            user_ids={*supervisor_ids(referral), *([referral.assignee_id] if referral.assignee_id else [])},
            kind=Kind.ESCALATED,
            text=(
                f"{referral.program.name} referral {referral.public_id} in {referral.district.code}: "
                "first contact overdue."
            ),
            path=partner_path(referral),
        )
        announce(referral, event)
    return True


def first_contacts_escalate_due(now: datetime) -> int:
    """The deadline sweeper for casework first contact."""
    return sum(
        first_contact_escalate_if_due(referral_id=pk, now=now)
        for pk in due_referral_ids(workflow=Workflow.CASEWORK, now=now)
    )
