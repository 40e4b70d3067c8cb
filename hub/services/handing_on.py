"""Handing on: a chosen agency opens its own casework referral for a person at the table."""

from __future__ import annotations

import uuid
from datetime import date

from django.db import transaction
from django.utils import timezone

from hub import events, policy
from hub.models import (
    AffectedPerson,
    Situation,
)
from hub.services.common import announce, event_record, lock_situation, save_fields
from programs.models import Program, Workflow
from referrals.errors import ReferralError
from referrals.models import Referral, Urgency


def _age_on(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def casework_referral_open(
    *,
    situation: Situation,
    actor,
    program: Program,
    person: AffectedPerson | None = None,
    consent: str = "",
) -> Referral:
    """From a situation in intervention, a chosen agency opens a referral to its OWN casework program in one step
    (the Hub does no case management; the case goes on there). Filed through ``referrals.services.referral_file``
    with the actor as the filer, in the table's district, as follow-up only.

    Copied into the new referral: the affected person's name (subject), gender (its label), age (from the date of
    birth), date of birth and address (the casework person), and "From Hub situation H-...: <the de-identified
    description>" as the circumstances. Nothing else: no risk factor, status update, reveal or other person.
    ``consent`` ("person" or "guardian") records consent the agency obtained at the door knock, as an officer's
    consent on scene is recorded; "" records none (the program then asks for it before engaging).
    Opening it again for the same person and program returns the same referral.
    """
    from referrals.services import NewReferral, referral_file

    if consent not in ("", "person", "guardian"):
        raise ReferralError("Consent is given by the person or a guardian, or not recorded.")
    with transaction.atomic():
        situation = lock_situation(situation)
        policy.require(actor, "casework_referral_open", situation)
        own = {
            a.organisation_id
            for a in policy.acting_agencies(actor, situation.table_id).filter(assignments__situation=situation)
        }
        if program.workflow != Workflow.CASEWORK or not program.is_active or program.organisation_id not in own:
            raise ReferralError("A chosen agency opens a referral to its own casework program only.")
        persons = list(AffectedPerson.objects.filter(situation=situation).select_related("identity"))
        if person is None:
            if len(persons) != 1:
                raise ReferralError("Choose which affected person the referral is for.")
            person = persons[0]
        person = next((p for p in persons if p.pk == person.pk), None)
        if person is None:
            raise ReferralError("That person is not part of this situation.")
        key = uuid.uuid5(situation.idempotency_key, f"casework:{program.pk}:{person.pk}")
        existing = Referral.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        identity = person.identity
        referral, _ = referral_file(
            new=NewReferral(
                program=program,
                district=situation.table.district,
                urgency=Urgency.FOLLOW_UP,
                idempotency_key=key,
                subject_name=identity.full_name,
                subject_age=_age_on(identity.date_of_birth, timezone.localdate()),
                subject_gender=person.get_gender_display(),
                circumstances=f"From Hub situation {situation.public_id}: {situation.description}",
                extra={
                    "person": {"date_of_birth": identity.date_of_birth, "address": identity.address},
                    "consent": consent,
                },
            ),
            officer=actor,
        )
        save_fields(situation, [])
        event = event_record(
            situation, events.CASEWORK_OPENED, actor=actor, message=f"{program.name} referral {referral.public_id}"
        )
        announce(situation, event)
    return referral
