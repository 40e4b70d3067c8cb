"""Consent: whether a person's identity may be shared with the partner answering a referral, and its cascade.

A referral that shares identity with a casework partner needs consent in force (who gave it, when, to what, until
when) or an override by someone holding the "override consent" permission, with a reason. A minor's consent is a
guardian's unless the program takes a young person's own from an age (``Program.self_consent_age``).

Revoking consent cascades in one transaction: the workflow ends its work (``WorkflowSpec.end_for_revocation``),
deadlines are cleared, every team's and worker's grant on the referral ends, the referral stays counted, police
see "Closed — declined" and the event is logged.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from referrals import events, policy, workflows
from referrals.errors import ReferralError
from referrals.models import FINAL_POLICE_STATUSES, Consent, Phase, PoliceStatus, Referral
from referrals.services import (
    announce,
    lock,
    record_event,
    revoke_change,
    revoke_teams,
    save_envelope,
    tell_officer,
    who,
)

OVERRIDE_PERMISSION = "referrals.override_consent"


def subject_age(referral: Referral) -> int | None:
    return referral.subject.approximate_age


def needs_guardian(referral: Referral) -> bool:
    """Whether this person's consent is a guardian's: a minor below the program's self-consent age."""
    age = subject_age(referral)
    return age is not None and age < referral.program.self_consent_age


def consent_in_force(referral: Referral) -> Consent | None:
    """The consent (or override) that lets the partner hold this person's identity now, or None.

    Remembered on the instance for one request: a service re-reads the referral under its lock, so the answer
    a service acts on is never older than its transaction.
    """
    cached = getattr(referral, "_consent_in_force", False)
    if cached is not False:
        return cached
    today = timezone.localdate()
    guardian_only = needs_guardian(referral)
    counted = [
        consent
        for consent in Consent.objects.filter(referral=referral, revoked_at__isnull=True)
        if consent.in_force(today)
        # a minor's own word does not count where the program needs a guardian's
        and not (consent.given_by == Consent.GivenBy.PERSON and guardian_only)
    ]
    # The widest one answers: a later consent to identity only does not close services an earlier consent (or an
    # override) opened; only a withdrawal does.
    found = next((consent for consent in counted if opens_services(consent)), counted[0] if counted else None)
    referral._consent_in_force = found
    return found


def opens_services(consent: Consent) -> bool:
    return consent.is_override or consent.scope == Consent.Scope.SERVICES


def forget(referral: Referral) -> None:
    referral.__dict__.pop("_consent_in_force", None)


def override_holders(organisation_id: int) -> list[str]:
    """The names of the partner's active people who hold "override consent" (directly or through a group)."""
    permission = Permission.objects.filter(content_type__app_label="referrals", codename="override_consent").first()
    if permission is None:
        return []
    users = (
        get_user_model()
        .objects.filter(Q(user_permissions=permission) | Q(groups__permissions=permission), is_active=True)
        .filter(memberships__organisation_id=organisation_id, memberships__is_active=True, memberships__pending=False)
        .distinct()
        .order_by("first_name", "last_name")
    )
    return [user.get_full_name() or user.get_username() for user in users[:5]]


def consent_problem(referral: Referral) -> str:
    """ "" when consent (or an override) is in force, else why not and who can override."""
    if consent_in_force(referral) is not None:
        return ""
    organisation = referral.program.organisation
    if needs_guardian(referral):
        whose = f"a parent or guardian of this {subject_age(referral)}-year-old"
    else:
        whose = "the person"
    names = override_holders(organisation.pk)
    if names:
        override = f"or ask someone who can override consent: {', '.join(names)}"
    else:
        override = f"nobody at {organisation} can override consent; an administrator grants that permission"
    return (
        f"Consent needed: {whose} has not consented to sharing with {organisation}. Record their consent, {override}."
    )


def _organisation_name(referral: Referral) -> str:
    organisation = referral.program.organisation
    return organisation.short_name or organisation.name


@transaction.atomic
def consent_record(
    *,
    referral: Referral,
    actor,
    given_by: str,
    giver_name: str = "",
    scope: str = Consent.Scope.SERVICES,
    given_at: datetime | None = None,
    valid_until=None,
) -> Consent:
    if given_by not in {Consent.GivenBy.PERSON, Consent.GivenBy.GUARDIAN}:
        raise ReferralError("Say who gave consent: the young person or a guardian.")
    if scope not in Consent.Scope.values:
        raise ReferralError("Say what the consent covers.")
    giver_name = giver_name.strip()
    referral = lock(referral)
    policy.require(actor, "consent_record", referral)
    if given_by == Consent.GivenBy.PERSON and needs_guardian(referral):
        raise ReferralError(
            f"{referral.program.name} takes a young person's own consent from {referral.program.self_consent_age}; "
            f"this person is {subject_age(referral)}: a guardian consents."
        )
    if given_by == Consent.GivenBy.GUARDIAN and not giver_name:
        raise ReferralError("Name the parent or guardian who consented.")
    consent = Consent.objects.create(
        referral=referral,
        given_by=given_by,
        giver_name=giver_name,
        scope=scope,
        given_at=given_at or timezone.now(),
        valid_until=valid_until,
        recorded_by=actor,
    )
    forget(referral)
    event = record_event(referral, events.CONSENT_RECORDED, actor=actor, message=consent.get_given_by_display())
    announce(referral, event)
    return consent


@transaction.atomic
def consent_override(*, referral: Referral, actor, reason: str) -> Consent:
    reason = reason.strip()
    if not reason:
        raise ReferralError("Give the reason for sharing identity without consent.")
    referral = lock(referral)
    policy.require(actor, "consent_override", referral)
    if consent_in_force(referral) is not None:
        raise ReferralError("Consent is already in force; no override is needed.")
    consent = Consent.objects.create(
        referral=referral,
        given_by=Consent.GivenBy.OVERRIDE,
        reason=reason[:300],
        given_at=timezone.now(),
        recorded_by=actor,
    )
    forget(referral)
    event = record_event(referral, events.CONSENT_OVERRIDDEN, actor=actor, message=f"By {who(actor)}")
    announce(referral, event)
    return consent


@transaction.atomic
def consent_revoke(*, referral: Referral, actor) -> Referral:
    """The person (or guardian) withdrew consent: end the work, the deadlines and every grant, at once."""
    referral = lock(referral)
    policy.require(actor, "consent_revoke", referral)
    now = timezone.now()
    revoked = Consent.objects.filter(referral=referral, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor
    )
    if not revoked:
        raise ReferralError("No consent is in force to withdraw.")
    forget(referral)
    spec = workflows.spec_for(referral)
    from_state = spec.end_for_revocation(referral=referral, actor=actor) if spec.end_for_revocation else ""
    previous_user_id = referral.assignee_id
    was = referral.police_status
    if was not in FINAL_POLICE_STATUSES:  # a status police already saw as final stays ("Declined")
        referral.police_status = PoliceStatus.CLOSED_DECLINED
    referral.phase = Phase.ENDED
    referral.ended_at = referral.ended_at or now
    referral.due_at = None
    referral.status_note = ""
    save_envelope(referral, ["police_status", "phase", "ended_at", "due_at", "status_note"])
    dropped = revoke_teams(referral)
    revoke_change(referral)
    event = record_event(referral, events.CONSENT_REVOKED, actor=actor, from_state=from_state)
    if referral.police_status != was:
        tell_officer(referral, f"Request {referral.public_id}: {referral.get_police_status_display()}.")
    announce(
        referral,
        event,
        extra_team_group_ids=dropped,
        extra_user_ids=(previous_user_id,) if previous_user_id else (),
    )
    return referral
