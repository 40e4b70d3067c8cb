"""Filter 1: an agency proposes a situation, de-identified, idempotent by key."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from hub import events, policy
from hub.models import (
    AffectedIdentity,
    AffectedPerson,
    AgeBand,
    DiscussionType,
    Gender,
    ProtectiveFactor,
    ReferenceCounter,
    RiskFactor,
    Situation,
    StudyFlag,
    Table,
    TableAgency,
)
from hub.services.common import announce, clean_text, coordinator_ids, event_record, situation_path
from notifications.models import Kind
from notifications.services import notify
from referrals.errors import ReferralError, Refused
from referrals.models import Referral


@dataclass
class NewPerson:
    """An affected person as the originating agency enters them: the table hears ``age_band`` and ``gender``;
    ``full_name``, ``date_of_birth`` and ``address`` stay with the originating agency (``AffectedIdentity``)."""

    age_band: AgeBand
    gender: str
    full_name: str
    date_of_birth: date | None = None
    address: str = ""


def _next_public_id(now: datetime) -> str:
    year = timezone.localdate(now).year
    ReferenceCounter.objects.get_or_create(year=year)
    counter = ReferenceCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"H-{year}-{counter.last:04d}"


def situation_propose(
    *,
    table: Table,
    actor,
    idempotency_key: uuid.UUID,
    discussion_type: str,
    description: str,
    persons: Sequence[NewPerson],
    risk_factors: Iterable[RiskFactor],
    protective_factors: Iterable[ProtectiveFactor] = (),
    study_flags: Iterable[StudyFlag] = (),
    agency: TableAgency | None = None,
    referral: Referral | None = None,
) -> tuple[Situation, bool]:
    """Filter 1: an agency (or an officer, for the police) brings a situation to the table: (situation, created).

    The same idempotency key always yields the same situation: a double submit makes one. ``agency`` is the
    originating agency; it may be left out when the actor can propose for exactly one. ``referral``, optional,
    must be one the actor filed; only the link is kept (nothing a partner learned about it is copied).
    """
    existing = Situation.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _existing_for(existing, actor), False
    agencies = policy.proposing_agencies(actor, table)
    if not agencies:
        raise Refused("Only an agency sitting at this table can propose a situation to it.")
    if agency is None:
        if len(agencies) > 1:
            raise ReferralError("Choose which of your agencies proposes this situation.")
        agency = agencies[0]
    elif agency.pk not in {a.pk for a in agencies}:
        raise Refused("You can propose only for an agency you act for at this table.")
    if referral is not None and referral.officer_id != actor.pk:
        raise Refused("You can link only a referral you filed yourself.")
    if discussion_type not in DiscussionType.values:
        raise ReferralError("Choose the discussion type: person, family, group or location.")
    persons = list(persons)
    if not persons and discussion_type != DiscussionType.LOCATION:
        raise ReferralError("Add the affected person (age band and gender).")
    if discussion_type == DiscussionType.PERSON and len(persons) != 1:
        raise ReferralError("A discussion about a person has one affected person; choose family or group.")
    for person in persons:
        if person.gender not in Gender.values:
            raise ReferralError("Choose each affected person's gender (or unknown).")
        if not person.age_band.is_active:
            raise ReferralError(f"The age band {person.age_band} is no longer offered.")
        if not (person.full_name or "").strip():
            raise ReferralError("Enter each affected person's name: it stays with your agency.")
    risk_factors = list(risk_factors)
    if not risk_factors:
        raise ReferralError("Choose at least one risk factor.")
    protective_factors, study_flags = list(protective_factors), list(study_flags)
    for item in (*risk_factors, *protective_factors, *study_flags):
        if not item.is_active:
            raise ReferralError(f"{item} is no longer offered.")
    description = clean_text(description, names=[p.full_name for p in persons], what="description")
    try:
        with transaction.atomic():
            situation = _create(
                table=table,
                agency=agency,
                actor=actor,
                idempotency_key=idempotency_key,
                discussion_type=discussion_type,
                description=description,
                persons=persons,
                risk_factors=risk_factors,
                protective_factors=protective_factors,
                study_flags=study_flags,
                referral=referral,
            )
    except IntegrityError:
        # A double submit raced us between the lookup and the insert: the other one won, return it.
        existing = Situation.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _existing_for(existing, actor), False
    return situation, True


def _existing_for(situation: Situation, actor) -> Situation:
    if situation.proposed_by_id != actor.pk:
        raise ReferralError("This form was already used. Open a new form and try again.")
    return situation


def _create(*, table, agency, actor, idempotency_key, persons, risk_factors, protective_factors, study_flags, **fields):
    now = timezone.now()
    situation = Situation.objects.create(
        public_id=_next_public_id(now),
        idempotency_key=idempotency_key,
        table=table,
        originating=agency,
        proposed_by=actor,
        **fields,
    )
    situation.risk_factors.set(risk_factors)
    situation.protective_factors.set(protective_factors)
    situation.study_flags.set(study_flags)
    for position, person in enumerate(persons):
        row = AffectedPerson.objects.create(
            situation=situation, age_band=person.age_band, gender=person.gender, position=position
        )
        AffectedIdentity.objects.create(
            person=row,
            full_name=person.full_name.strip()[:200],
            date_of_birth=person.date_of_birth,
            address=(person.address or "").strip()[:300],
        )
    event = event_record(situation, events.PROPOSED, actor=actor, message=f"By {agency.organisation}")
    # Inbox rows in this transaction; notify sends and hints after the commit.
    notify(
        user_ids=coordinator_ids(table),
        kind=Kind.NEW_IN_QUEUE,
        text=f"New Hub situation {situation.public_id} proposed to {table.name}.",
        path=situation_path(situation),
    )
    announce(situation, event)
    return situation
