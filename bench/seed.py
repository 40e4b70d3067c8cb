"""Bulk data for the benchmark: referrals with events, notes, follow-ups and permission rows in realistic ratios.

Nine in ten referrals are co-response requests. Per request: the envelope and its co-response case (its state, and
the police-visible status and phase that state maps to), a subject and a clinical record (always), about five
events, one note, one team grant and, once accepted, a clinician's grant; a follow-up on one in five. Most requests
are closed (with any disposition), cancelled or declined (with any reason) over the past year, one in twelve of
those escalated first (some twice); a few hundred wait in queues, spread over the twelve districts, as on a busy
evening. The other tenth are casework referrals of the casework programs, this year, ended: the dashboards'
history (``dashboards.history.history_add``: reasons, engaged at a tier, declined by the person or a guardian).
So every dashboard measure has data to count at every size.
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
from dashboards.history import history_add
from districts.models import District
from programs.models import Program, Workflow
from referrals import events
from referrals.models import (
    URGENCY_RANK,
    ClinicalNote,
    Phase,
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralUserObjectPermission,
    Subject,
    Urgency,
)
from referrals.workflows.co_response.models import (
    ACTIVE_STATES,
    CONNECTED_DISPOSITIONS,
    ENDED_STATES,
    ClinicalRecord,
    CoResponseCase,
    CoResponseState,
    DeclineReason,
    Disposition,
    FollowUp,
)
from referrals.workflows.co_response.spec import police_status
from routing.models import Shift
from routing.services import shift_create

BATCH = 5000
ENDED = [CoResponseState.CLOSED] * 8 + [CoResponseState.CANCELLED, CoResponseState.DECLINED]
# Open requests (waiting or held) at any one time, whatever the history's size: about 10 waiting and 20 held per
# district on a busy evening.
OPEN_NOW = 360
WAITING_SHARE = 0.3
ACTIVE_SHARE = 0.7
CASEWORK_SHARE = 0.1  # of the referrals added; the rest are co-response requests
ESCALATED_SHARE = 0.08  # of the ended requests: not accepted in time, escalated (one in four of them twice)


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


def _envelope_status(state: str, connected: bool | None) -> tuple[str, str]:
    """The police-visible status and phase the co-response workflow stores for ``state`` (its own mapping)."""
    return police_status(CoResponseCase(state=state, connected=connected))


def referrals_add(count: int, *, seed: int = 7) -> None:
    """Add ``count`` referrals (and their workflow and partner-side rows) in bulk. Not through the services: this is
    load."""
    rng = random.Random(seed + Referral.objects.count())
    casework = list(Program.objects.filter(is_active=True, workflow=Workflow.CASEWORK).order_by("pk"))
    casework_count = round(count * CASEWORK_SHARE) if casework else 0
    co_response_add(count - casework_count, rng)
    if casework_count:
        history_add(casework_count, seed=rng.randrange(2**31), programs=casework)


def _escalations(rng: random.Random, state: str) -> int:
    """How many times an ended request escalated before anyone took it: 0, 1 or 2."""
    if state in ACTIVE_STATES or state == CoResponseState.REQUESTED or rng.random() >= ESCALATED_SHARE:
        return 0
    return 2 if rng.random() < 0.25 else 1


def co_response_add(count: int, rng: random.Random) -> None:
    """``count`` co-response requests with all their rows."""
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
    open_left = max(0, OPEN_NOW - Referral.objects.exclude(phase=Phase.ENDED).count())
    # 100,000 random ids of 7 characters collide now and then, with each other and with the rows already there.
    taken = set(Referral.objects.values_list("public_id", flat=True))
    with transaction.atomic():
        referrals = []
        cases: dict[str, CoResponseCase] = {}  # by public id: the case row of each referral, saved after it
        plans: dict[str, tuple] = {}  # by public id: (created, disposition, escalations)
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
            elif state in ACTIVE_STATES:
                created = now - timedelta(minutes=rng.randint(10, 180))
            urgency = rng.choice(list(Urgency))
            accepted = state in ACTIVE_STATES or state == CoResponseState.CLOSED
            clinician = rng.choice(clinicians[district] or [fallback_clinician]) if accepted else None
            disposition = rng.choice(Disposition.values) if state == CoResponseState.CLOSED else ""
            connected = disposition in CONNECTED_DISPOSITIONS if state == CoResponseState.CLOSED else None
            escalations = _escalations(rng, state)
            eta_at = now + timedelta(minutes=rng.randint(5, 30)) if state == CoResponseState.EN_ROUTE else None
            decline_reason = rng.choice(DeclineReason.values) if state == CoResponseState.DECLINED else ""
            status, phase = _envelope_status(state, connected)
            status_note = ""
            if eta_at is not None:
                status_note = f"ETA {timezone.localtime(eta_at):%H:%M}"
            elif decline_reason:
                status_note = f"Declined: {DeclineReason(decline_reason).label}"
            public_id = Referral.new_public_id()
            while public_id in cases or public_id in taken:
                public_id = Referral.new_public_id()
            referrals.append(
                Referral(
                    public_id=public_id,
                    idempotency_key=uuid.uuid4(),
                    program=program,
                    workflow=Workflow.CO_RESPONSE,
                    district=district,
                    team=teams[district.pk],
                    urgency=urgency,
                    urgency_rank=URGENCY_RANK[urgency],
                    location_text=f"{rng.randint(1, 999)} Washington St",
                    reason_codes=rng.sample(["suicidal", "psychosis", "welfare_check", "homelessness"], 2),
                    officer=rng.choice(officers),
                    officer_district=district,
                    assignee=clinician,
                    police_status=status,
                    phase=phase,
                    status_note=status_note,
                    due_at=created + timedelta(minutes=10) if state == CoResponseState.REQUESTED else None,
                    # An escalated request was taken after its 10 minutes ran out.
                    accepted_at=created + timedelta(minutes=rng.randint(11, 25) if escalations else 4)
                    if accepted
                    else None,
                    ended_at=created + timedelta(hours=2) if state in ENDED_STATES else None,
                    created_at=created,
                )
            )
            cases[public_id] = CoResponseCase(
                state=state, eta_at=eta_at, decline_reason=decline_reason, connected=connected
            )
            plans[public_id] = (created, disposition, escalations)
        # A year of history: created_at is auto_now_add, so let bulk_create keep the times given here.
        created_at = Referral._meta.get_field("created_at")
        created_at.auto_now_add = False
        try:
            for chunk in _chunks(referrals):
                Referral.objects.bulk_create(chunk)
        finally:
            created_at.auto_now_add = True
        # The rows just made are the newest ``count`` (one transaction); an IN of 100,000 ids is too long for SQLite.
        saved = list(
            Referral.objects.order_by("-pk").values_list("pk", "public_id", "assignee_id", "team__group_id")[:count]
        )
        rows_case, rows_subject, rows_record, rows_event, rows_note, rows_follow, rows_gperm, rows_uperm = (
            [] for _ in range(8)
        )
        for pk, public_id, assignee_id, group_id in saved:
            case = cases[public_id]
            case.referral_id = pk
            rows_case.append(case)
            state = case.state
            created, disposition, escalations = plans[public_id]
            rows_subject.append(Subject(referral_id=pk, name="Bench Person", approximate_age=rng.randint(14, 80)))
            rows_record.append(ClinicalRecord(referral_id=pk, disposition=disposition))
            kinds = ["filed", "routed", *[events.ESCALATED] * escalations]
            if assignee_id:
                kinds += ["accepted", "en_route", "on_scene"]
            if state == CoResponseState.CLOSED:
                kinds += ["disposition", "closed"]
            for kind in kinds:
                rows_event.append(
                    ReferralEvent(
                        referral_id=pk,
                        kind=kind,
                        to_state=state,
                        police_visible=events.is_police_visible(kind),
                        message="",
                    )
                )
            if assignee_id:
                rows_note.append(ClinicalNote(referral_id=pk, author_id=assignee_id, text="Bench note."))
                rows_uperm.append(
                    ReferralUserObjectPermission(content_object_id=pk, user_id=assignee_id, permission=change_clinical)
                )
                if rng.random() < 0.2:
                    rows_follow.append(_follow_up(rng, pk, assignee_id, state, created, now))
            rows_gperm.append(
                ReferralGroupObjectPermission(content_object_id=pk, group_id=group_id, permission=view_clinical)
            )
        assert len(rows_case) == count, "every referral seeded needs its co-response case"
        for model, rows in [
            (CoResponseCase, rows_case),
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


def _follow_up(rng: random.Random, pk: int, assignee_id: int, state: str, created, now) -> FollowUp:
    """A closed request's follow-up was done days after the call (in the next month, or next year, now and then);
    an open one's is still to do."""
    if state != CoResponseState.CLOSED:
        due = now + timedelta(days=rng.randint(-30, 30))
        return FollowUp(referral_id=pk, kind=FollowUp.Kind.PHONE_CALL, due_at=due, created_by_id=assignee_id)
    due = created + timedelta(days=rng.randint(1, 10))
    return FollowUp(
        referral_id=pk,
        kind=FollowUp.Kind.PHONE_CALL,
        due_at=due,
        done_at=min(now, due + timedelta(hours=rng.randint(0, 48))),
        outcome=FollowUp.Outcome.REACHED,
        created_by_id=assignee_id,
    )


def due_referrals_add(count: int, *, overdue_by: timedelta = timedelta(minutes=5)) -> None:
    """Waiting requests already past their acceptance deadline, outside B2 (whose team holds the 200 sockets)."""
    program = Program.objects.get(slug="co-response")
    officer = get_user_model().objects.get(username="officer.d4")
    districts = list(District.objects.exclude(code="B2"))
    view_clinical = Permission.objects.get(codename="view_clinical")
    teams = {d.pk: team_get_or_create(organisation=program.organisation, district=d) for d in districts}
    due = timezone.now() - overdue_by
    status, phase = _envelope_status(CoResponseState.REQUESTED, None)
    with transaction.atomic():
        rows = []
        for number in range(count):
            district = districts[number % len(districts)]
            rows.append(
                Referral(
                    public_id=Referral.new_public_id(),
                    idempotency_key=uuid.uuid4(),
                    program=program,
                    workflow=Workflow.CO_RESPONSE,
                    district=district,
                    team=teams[district.pk],
                    urgency=Urgency.WITHIN_HOUR,
                    urgency_rank=URGENCY_RANK[Urgency.WITHIN_HOUR],
                    officer=officer,
                    police_status=status,
                    phase=phase,
                    due_at=due,
                )
            )
        for chunk in _chunks(rows):
            Referral.objects.bulk_create(chunk)
        pks = list(Referral.objects.filter(due_at=due).values_list("pk", "team__group_id"))
        for chunk in _chunks(pks):
            CoResponseCase.objects.bulk_create(
                [CoResponseCase(referral_id=pk, state=CoResponseState.REQUESTED) for pk, _ in chunk]
            )
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
