"""Bulk data for the benchmark: referrals with events, notes, follow-ups and permission rows in realistic ratios.

Per referral: a subject and a clinical record (always), about five events, one note, one team grant and, once
accepted, a clinician's grant; a follow-up on one in five. Most referrals are long closed; a few hundred wait
in queues, spread over the twelve districts, as on a busy evening.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, Role, Team
from accounts.services import membership_create, team_get_or_create
from districts.models import District
from referrals.models import (
    OPEN_STATES,
    URGENCY_RANK,
    ClinicalNote,
    ClinicalRecord,
    CoResponseState,
    Disposition,
    FollowUp,
    Program,
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralUserObjectPermission,
    Subject,
    Urgency,
)
from routing.models import Shift
from routing.services import shift_create

BATCH = 5000
ENDED = [CoResponseState.CLOSED] * 8 + [CoResponseState.CANCELLED, CoResponseState.DECLINED]
# Open requests (waiting or held) at any one time, whatever the history's size: about 10 waiting and 20 held per
# district on a busy evening.
OPEN_NOW = 360
WAITING_SHARE = 0.3
ACTIVE_SHARE = 0.7


FAN_OUT_DISTRICT = "B3"


def bench_clinicians(count: int) -> list:
    """Extra clinicians of the B3 team, on shift now, for the websocket fan-out; they have no password (sessions
    are made directly). B3, so the B2 queue measured under load keeps its usual single clinician."""
    User = get_user_model()
    best = Organisation.objects.get(short_name="BEST")
    district = District.objects.get(code=FAN_OUT_DISTRICT)
    users = []
    for number in range(count):
        user, created = User.objects.get_or_create(username=f"bench.clinician.{number:03d}")
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            membership_create(user=user, organisation=best, role=Role.CLINICIAN, districts=[district])
        users.append(user)
    if users and not Shift.objects.filter(user=users[0]).exists():
        now = timezone.now()
        shift_create(
            organisation=best,
            user=users[0],
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=12),
            districts=[district],
        )
    return users


def _chunks(rows: list, size: int = BATCH):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def referrals_add(count: int, *, seed: int = 7) -> None:
    """Add ``count`` referrals (and their partner-side rows) in bulk. Not through the services: this is load."""
    rng = random.Random(seed + Referral.objects.count())
    User = get_user_model()
    program = Program.objects.get(slug="co-response")
    officers = list(User.objects.filter(memberships__role=Role.OFFICER).distinct())
    clinicians = {
        d: list(User.objects.filter(memberships__role=Role.CLINICIAN, memberships__districts=d))
        for d in District.objects.all()
    }
    fallback_clinician = User.objects.get(username="clinician.supervisor")
    teams = {d.pk: team_get_or_create(organisation=program.organisation, district=d) for d in District.objects.all()}
    districts = list(District.objects.all())
    view_clinical = Permission.objects.get(codename="view_clinical")
    change_clinical = Permission.objects.get(codename="change_clinical")
    now = timezone.now()
    open_left = max(0, OPEN_NOW - Referral.objects.filter(state__in=OPEN_STATES).count())
    with transaction.atomic():
        referrals = []
        for _ in range(count):
            district = rng.choice(districts)
            # Only this evening's requests can still be open: at any size, the same few hundred wait or are held,
            # and a year of history is closed, cancelled or declined.
            open_now = open_left > 0
            roll = rng.random() if open_now else 1.0
            if roll < WAITING_SHARE / (WAITING_SHARE + ACTIVE_SHARE):
                state = CoResponseState.REQUESTED
                open_left -= 1
            elif roll <= 1.0 and open_now:
                state = rng.choice([CoResponseState.ACCEPTED, CoResponseState.EN_ROUTE, CoResponseState.ON_SCENE])
                open_left -= 1
            else:
                state = rng.choice(ENDED)
            created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 365))
            if state == CoResponseState.REQUESTED:
                created = now - timedelta(minutes=rng.randint(1, 9))
            elif state in (CoResponseState.ACCEPTED, CoResponseState.EN_ROUTE, CoResponseState.ON_SCENE):
                created = now - timedelta(minutes=rng.randint(10, 180))
            urgency = rng.choice(list(Urgency))
            accepted = state in (CoResponseState.ACCEPTED, CoResponseState.EN_ROUTE, CoResponseState.ON_SCENE) or (
                state == CoResponseState.CLOSED
            )
            clinician = rng.choice(clinicians[district] or [fallback_clinician]) if accepted else None
            referrals.append(
                Referral(
                    public_id=Referral.new_public_id(),
                    idempotency_key=uuid.uuid4(),
                    program=program,
                    district=district,
                    team=teams[district.pk],
                    urgency=urgency,
                    urgency_rank=URGENCY_RANK[urgency],
                    location_text=f"{rng.randint(1, 999)} Washington St",
                    reason_codes=rng.sample(["suicidal", "psychosis", "welfare_check", "homelessness"], 2),
                    officer=rng.choice(officers),
                    officer_district=district,
                    state=state,
                    accepted_by=clinician,
                    accepted_at=created + timedelta(minutes=4) if accepted else None,
                    closed_connected=True if state == CoResponseState.CLOSED else None,
                    ended_at=created + timedelta(hours=2) if state in ENDED else None,
                    acceptance_due_at=created + timedelta(minutes=10) if state == CoResponseState.REQUESTED else None,
                    created_at=created,
                )
            )
        # A year of history: created_at is auto_now_add, so let bulk_create keep the times given here.
        created_at = Referral._meta.get_field("created_at")
        created_at.auto_now_add = False
        try:
            for chunk in _chunks(referrals):
                Referral.objects.bulk_create(chunk)
        finally:
            created_at.auto_now_add = True
        saved = list(
            Referral.objects.order_by("-pk").values_list("pk", "state", "accepted_by_id", "team__group_id")[:count]
        )
        rows_subject, rows_record, rows_event, rows_note, rows_follow, rows_gperm, rows_uperm = ([] for _ in range(7))
        for pk, state, accepted_by_id, group_id in saved:
            rows_subject.append(Subject(referral_id=pk, name="Bench Person", approximate_age=rng.randint(14, 80)))
            disposition = Disposition.STABILISED if state == CoResponseState.CLOSED else ""
            rows_record.append(ClinicalRecord(referral_id=pk, disposition=disposition))
            officer_kinds = ["filed", "routed"]
            if accepted_by_id:
                officer_kinds += ["accepted", "en_route", "on_scene"]
            if state == CoResponseState.CLOSED:
                officer_kinds += ["disposition", "closed"]
            for kind in officer_kinds:
                rows_event.append(
                    ReferralEvent(
                        referral_id=pk,
                        kind=kind,
                        to_state=state,
                        police_visible=kind not in ("routed", "disposition"),
                        message="",
                    )
                )
            if accepted_by_id:
                rows_note.append(ClinicalNote(referral_id=pk, author_id=accepted_by_id, text="Bench note."))
                rows_uperm.append(
                    ReferralUserObjectPermission(
                        content_object_id=pk, user_id=accepted_by_id, permission=change_clinical
                    )
                )
                if rng.random() < 0.2:
                    rows_follow.append(
                        FollowUp(
                            referral_id=pk,
                            kind=FollowUp.Kind.PHONE_CALL,
                            due_at=now + timedelta(days=rng.randint(-30, 30)),
                            done_at=now if state == CoResponseState.CLOSED else None,
                            created_by_id=accepted_by_id,
                        )
                    )
            rows_gperm.append(
                ReferralGroupObjectPermission(content_object_id=pk, group_id=group_id, permission=view_clinical)
            )
        for model, rows in [
            (Subject, rows_subject),
            (ClinicalRecord, rows_record),
            (ReferralEvent, rows_event),
            (ClinicalNote, rows_note),
            (FollowUp, rows_follow),
            (ReferralGroupObjectPermission, rows_gperm),
            (ReferralUserObjectPermission, rows_uperm),
        ]:
            for chunk in _chunks(rows):
                model.objects.bulk_create(chunk)


def due_referrals_add(count: int, *, overdue_by: timedelta = timedelta(minutes=5)) -> None:
    """Waiting requests already past their acceptance deadline, outside B2 (whose team holds the 200 sockets)."""
    program = Program.objects.get(slug="co-response")
    officer = get_user_model().objects.get(username="officer.d4")
    districts = list(District.objects.exclude(code="B2"))
    view_clinical = Permission.objects.get(codename="view_clinical")
    teams = {d.pk: team_get_or_create(organisation=program.organisation, district=d) for d in districts}
    due = timezone.now() - overdue_by
    with transaction.atomic():
        rows = []
        for number in range(count):
            district = districts[number % len(districts)]
            rows.append(
                Referral(
                    public_id=Referral.new_public_id(),
                    idempotency_key=uuid.uuid4(),
                    program=program,
                    district=district,
                    team=teams[district.pk],
                    urgency=Urgency.WITHIN_HOUR,
                    urgency_rank=URGENCY_RANK[Urgency.WITHIN_HOUR],
                    officer=officer,
                    acceptance_due_at=due,
                )
            )
        for chunk in _chunks(rows):
            Referral.objects.bulk_create(chunk)
        pks = list(Referral.objects.filter(acceptance_due_at=due).values_list("pk", "team__group_id"))
        for chunk in _chunks(pks):
            Subject.objects.bulk_create([Subject(referral_id=pk) for pk, _ in chunk])
            ClinicalRecord.objects.bulk_create([ClinicalRecord(referral_id=pk) for pk, _ in chunk])
            ReferralGroupObjectPermission.objects.bulk_create(
                [
                    ReferralGroupObjectPermission(content_object_id=pk, group_id=g, permission=view_clinical)
                    for pk, g in chunk
                ]
            )


def team_of(district_code: str) -> Team:
    program = Program.objects.get(slug="co-response")
    return Team.objects.get(organisation=program.organisation, district__code=district_code)
