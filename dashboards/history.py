"""A year of past referrals in bulk, for the demo's dashboards, the dashboards' tests and ``make bench``.

Each history referral is an ended envelope with its workflow's state row (co-response: closed with a disposition
and sometimes a follow-up done, declined with a reason, or cancelled; casework: engaged at a tier, declined or
closed), its events (filed, accepted, escalated, closed) and an empty subject: the counts the dashboards read.
A casework referral also has a made-up person ("History person 17", a date of birth) drawn from a pool, so some
are referred more than once (the repeat-persons measure), and an engaged one its coded demographics. Written with
bulk_create, in one transaction.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from accounts.services import team_get_or_create
from districts.models import District
from programs.models import Program, Workflow
from referrals import events
from referrals.models import URGENCY_RANK, Phase, PoliceStatus, Referral, ReferralEvent, Subject, Urgency
from referrals.workflows.casework.matching import fingerprint
from referrals.workflows.casework.models import (
    AgeBand,
    CaseworkCase,
    CaseworkPerson,
    CaseworkState,
    CloseReason,
    DeclinedBy,
    Gender,
    RaceEthnicity,
    ServiceTier,
)
from referrals.workflows.co_response.models import (
    ClinicalRecord,
    CoResponseCase,
    CoResponseState,
    DeclineReason,
    Disposition,
    FollowUp,
)

BATCH = 2000
# Uneven, as a city's are: some groups are small, and their counts get suppressed.
GENDER_WEIGHTS = [(Gender.MALE, 55), (Gender.FEMALE, 40), (Gender.ANOTHER, 2), (Gender.NOT_RECORDED, 3)]
RACE_WEIGHTS = [
    (RaceEthnicity.BLACK, 40),
    (RaceEthnicity.HISPANIC, 34),
    (RaceEthnicity.WHITE, 10),
    (RaceEthnicity.ASIAN, 5),
    (RaceEthnicity.ANOTHER, 5),
    (RaceEthnicity.NOT_RECORDED, 5),
    (RaceEthnicity.NATIVE, 0.5),
    (RaceEthnicity.PACIFIC, 0.5),
]
PERSON_POOL = 400  # casework referrals are of this many made-up people: a few hundred referrals bring repeats


def _person(index: int) -> tuple[str, date]:
    return f"History person {index}", date(2000 + index % 15, 1 + index % 12, 1 + index % 28)


def _chunks(rows: list, size: int = BATCH):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def history_add(count: int, *, seed: int = 7, year: int | None = None, programs: list[Program] | None = None) -> None:
    """``count`` ended referrals spread over ``year`` (this year by default, up to now) and its programs."""
    rng = random.Random(seed)  # noqa: S311 - demo and test data, not secrets
    now = timezone.now()
    year = year or timezone.localdate().year
    tz = timezone.get_current_timezone()
    start = datetime(year, 1, 1, tzinfo=tz)
    end = min(now - timedelta(days=1), datetime(year + 1, 1, 1, tzinfo=tz)) if year >= now.year else None
    end = end or datetime(year + 1, 1, 1, tzinfo=tz)
    span = max(60, int((end - start).total_seconds() // 60) - 60 * 24)
    programs = programs or list(
        Program.objects.filter(is_active=True, workflow__in=[Workflow.CO_RESPONSE, Workflow.CASEWORK]).order_by("pk")
    )
    if not programs:
        return
    User = get_user_model()
    officers = list(User.objects.filter(memberships__role=Role.OFFICER).distinct().order_by("pk"))
    if not officers:
        return
    districts = list(District.objects.order_by("code"))
    teams = {
        (p.pk, d.pk): team_get_or_create(organisation=p.organisation, district=d) for p in programs for d in districts
    }
    reasons = {p.pk: list(p.reasons.values_list("code", flat=True)) for p in programs}
    # Districts differ in size, as they do in a city: a few busy ones, a long tail of quiet ones.
    weights = [1 + (i % 4) * 3 for i in range(len(districts))]
    taken = set(Referral.objects.values_list("public_id", flat=True))
    plans = []
    referrals = []
    for _ in range(count):
        program = rng.choice(programs)
        district = rng.choices(districts, weights)[0]
        created = start + timedelta(minutes=rng.randint(0, span))
        public_id = Referral.new_public_id()
        while public_id in taken:
            public_id = Referral.new_public_id()
        taken.add(public_id)
        plan = _plan(rng, program, reasons[program.pk])
        plans.append((public_id, program, plan, created))
        accepted_at = created + timedelta(minutes=plan["accept_minutes"]) if plan["accepted"] else None
        urgency = Urgency.ON_SCENE_NOW if program.workflow == Workflow.CO_RESPONSE else Urgency.FOLLOW_UP
        referrals.append(
            Referral(
                public_id=public_id,
                idempotency_key=uuid.uuid4(),
                program=program,
                workflow=program.workflow,
                district=district,
                team=teams[(program.pk, district.pk)],
                urgency=urgency,
                urgency_rank=URGENCY_RANK[urgency],
                reason_codes=plan["reasons"],
                officer=rng.choice(officers),
                officer_district=district,
                police_status=plan["police_status"],
                phase=Phase.ENDED,
                accepted_at=accepted_at,
                ended_at=created + timedelta(hours=3),
                created_at=created,
            )
        )
    with transaction.atomic():
        field = Referral._meta.get_field("created_at")
        field.auto_now_add = False  # keep the times given here
        try:
            for chunk in _chunks(referrals):
                Referral.objects.bulk_create(chunk)
        finally:
            field.auto_now_add = True
        ids = dict(Referral.objects.order_by("-pk").values_list("public_id", "pk")[:count])
        _details(ids, plans)


def _plan(rng: random.Random, program: Program, reasons: list[str]) -> dict:
    if program.workflow == Workflow.CO_RESPONSE:
        roll = rng.random()
        if roll < 0.12:
            state, police = CoResponseState.DECLINED, PoliceStatus.DECLINED
        elif roll < 0.18:
            state, police = CoResponseState.CANCELLED, PoliceStatus.CANCELLED
        else:
            state, police = CoResponseState.CLOSED, PoliceStatus.CLOSED_CONNECTED
        return {
            "state": state,
            "police_status": police,
            "accepted": state == CoResponseState.CLOSED,
            "accept_minutes": rng.randint(1, 25),
            "decline_reason": rng.choice(DeclineReason.values) if state == CoResponseState.DECLINED else "",
            "disposition": rng.choice(Disposition.values) if state == CoResponseState.CLOSED else "",
            "follow_up_done": state == CoResponseState.CLOSED and rng.random() < 0.3,
            "known_before": rng.choice([True, False, False, None]) if state == CoResponseState.CLOSED else None,
            "escalated": rng.random() < 0.08,
            "reasons": rng.sample(["suicidal", "psychosis", "welfare_check", "homelessness"], 2),
        }
    roll = rng.random()
    engaged = roll < 0.6
    declined = 0.6 <= roll < 0.8
    person = rng.randrange(PERSON_POOL)
    return {
        "person": person,
        "gender": rng.choices(*zip(*GENDER_WEIGHTS, strict=True))[0] if engaged else "",
        "race_ethnicity": rng.choices(*zip(*RACE_WEIGHTS, strict=True))[0] if engaged else "",
        "state": CaseworkState.CLOSED,
        "police_status": PoliceStatus.CLOSED_CONNECTED if engaged else PoliceStatus.CLOSED_NOT_CONNECTED,
        "accepted": roll < 0.95,
        "accept_minutes": rng.randint(30, 60 * 24 * 3),
        "tier": rng.choice(ServiceTier.values) if engaged else "",
        "declined_by": rng.choice(DeclinedBy.values) if declined else "",
        "close_reason": CloseReason.GOALS_MET if engaged else CloseReason.DISENGAGED,
        "escalated": False,
        "reasons": rng.sample(reasons, min(len(reasons), rng.randint(1, 2))) if reasons else [],
    }


def _details(ids: dict[str, int], plans: list) -> None:
    subjects, co_cases, records, follow_ups, casework, event_rows = [], [], [], [], [], []
    people = []
    fingerprints: dict[tuple[int, int], str] = {}
    actor = get_user_model().objects.filter(memberships__role=Role.OFFICER).order_by("pk").first()
    for public_id, program, plan, created in plans:
        pk = ids[public_id]
        subjects.append(Subject(referral_id=pk))
        event_rows.append(ReferralEvent(referral_id=pk, kind=events.FILED, police_visible=True, message="Filed"))
        if plan["escalated"]:
            event_rows.append(ReferralEvent(referral_id=pk, kind=events.ESCALATED, police_visible=True))
        if plan["accepted"]:
            event_rows.append(ReferralEvent(referral_id=pk, kind=events.ACCEPTED, police_visible=True))
        if program.workflow == Workflow.CO_RESPONSE:
            co_cases.append(
                CoResponseCase(
                    referral_id=pk,
                    state=plan["state"],
                    decline_reason=plan["decline_reason"],
                    connected=True if plan["state"] == CoResponseState.CLOSED else None,
                )
            )
            if plan["disposition"]:
                records.append(
                    ClinicalRecord(referral_id=pk, disposition=plan["disposition"], known_before=plan["known_before"])
                )
            if plan["follow_up_done"]:
                due = created + timedelta(days=1)
                follow_ups.append(
                    FollowUp(
                        referral_id=pk,
                        kind=FollowUp.Kind.PHONE_CALL,
                        due_at=due,
                        done_at=due,
                        outcome=FollowUp.Outcome.REACHED,
                        created_by=actor,
                    )
                )
        else:
            name, born = _person(plan["person"])
            key = (program.organisation_id, plan["person"])
            if key not in fingerprints:
                fingerprints[key] = fingerprint(organisation_id=program.organisation_id, name=name, date_of_birth=born)
            people.append(CaseworkPerson(referral_id=pk, date_of_birth=born, fingerprint=fingerprints[key]))
            engaged_at = created + timedelta(days=2) if plan["tier"] else None
            age_band = ""
            if engaged_at is not None:
                on = timezone.localtime(engaged_at).date()
                age_band = AgeBand.of(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))
            casework.append(
                CaseworkCase(
                    referral_id=pk,
                    state=plan["state"],
                    tier=plan["tier"],
                    declined_by=plan["declined_by"],
                    close_reason=plan["close_reason"],
                    engaged_at=engaged_at,
                    age_band=age_band,
                    gender=plan["gender"],
                    race_ethnicity=plan["race_ethnicity"],
                )
            )
    for model, rows in (
        (Subject, subjects),
        (CoResponseCase, co_cases),
        (ClinicalRecord, records),
        (FollowUp, follow_ups),
        (CaseworkCase, casework),
        (CaseworkPerson, people),
        (ReferralEvent, event_rows),
    ):
        for chunk in _chunks(rows):
            model.objects.bulk_create(chunk)
