"""Service tests, one file per service. The helpers below reach every state through the services themselves and
snapshot everything a refused call must leave as it was."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Team
from districts.models import District
from referrals import services
from referrals.models import (
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

S = CoResponseState

SUBJECT_NAME = "Marcus Hill"
CIRCUMSTANCES = "Says he wants to end his life; standing near the platform edge."


def co_response() -> Program:
    return Program.objects.get(slug="co-response")


def team_of(district_code: str) -> Team:
    return Team.objects.get(organisation=co_response().organisation, district__code=district_code)


def supervisors_team() -> Team:
    return Team.objects.get(organisation=co_response().organisation, kind=Team.Kind.SUPERVISORS)


def new_referral(*, district: str = "B2", key: uuid.UUID | None = None, **fields) -> services.NewReferral:
    values = {
        "urgency": Urgency.ON_SCENE_NOW,
        "location_text": "Dudley Sq bus station",
        "reason_codes": ["suicidal"],
        "subject_name": SUBJECT_NAME,
        "subject_age": 34,
        "circumstances": CIRCUMSTANCES,
        **fields,
    }
    return services.NewReferral(
        program=co_response(),
        district=District.objects.get(code=district),
        idempotency_key=key or uuid.uuid4(),
        **values,
    )


def file_referral(personas, *, officer: str = "officer.b2", district: str = "B2", **fields) -> Referral:
    referral, created = services.referral_file(
        new=new_referral(district=district, **fields),
        officer=personas[officer],
        officer_district=District.objects.get(code="B2"),
    )
    assert created
    return referral


def reach(personas, state: str) -> Referral:
    """A fresh B2 request filed by officer.b2 and taken to ``state`` by clinician.b2 (or the supervisor, or the
    deadline sweep)."""
    officer, clinician = personas["officer.b2"], personas["clinician.b2"]
    referral = file_referral(personas)
    if state == S.CANCELLED:
        services.referral_cancel(referral=referral, actor=officer)
    elif state == S.DECLINED:
        services.referral_decline(referral=referral, actor=clinician, reason="safety")
    elif state == S.ESCALATED:
        assert services.referral_escalate_if_due(referral_id=referral.pk, now=referral.acceptance_due_at)
    elif state == S.TRANSFERRED:
        services.referral_transfer(
            referral=referral,
            actor=personas["clinician.supervisor"],
            district=District.objects.get(code="C11"),
            reason="No B2 clinician free; C11 is closest.",
        )
    elif state != S.REQUESTED:
        services.referral_accept(referral=referral, actor=clinician)
        if state in (S.EN_ROUTE, S.ON_SCENE, S.FOLLOW_UP, S.CLOSED):
            services.referral_depart(referral=referral, actor=clinician, eta_minutes=12)
        if state in (S.ON_SCENE, S.FOLLOW_UP, S.CLOSED):
            services.referral_arrive(referral=referral, actor=clinician)
        if state in (S.FOLLOW_UP, S.CLOSED):
            services.clinical_disposition_record(referral=referral, actor=clinician, disposition=Disposition.REFERRED)
        if state == S.FOLLOW_UP:
            services.follow_up_add(
                referral=referral,
                actor=clinician,
                kind=FollowUp.Kind.PHONE_CALL,
                due_at=timezone.now() + timedelta(days=1),
            )
        if state in (S.FOLLOW_UP, S.CLOSED):
            services.referral_finish(referral=referral, actor=clinician)
    referral = Referral.objects.get(pk=referral.pk)
    assert referral.state == state
    return referral


def events_of(referral: Referral) -> list[ReferralEvent]:
    return list(ReferralEvent.objects.filter(referral=referral).order_by("created_at", "pk"))


def last_event(referral: Referral) -> ReferralEvent:
    return events_of(referral)[-1]


def group_grants(referral: Referral) -> list[tuple[int, str]]:
    rows = ReferralGroupObjectPermission.objects.filter(content_object=referral)
    return sorted(rows.values_list("group_id", "permission__codename"))


def user_grants(referral: Referral) -> list[tuple[int, str]]:
    rows = ReferralUserObjectPermission.objects.filter(content_object=referral)
    return sorted(rows.values_list("user_id", "permission__codename"))


def snapshot(referral: Referral) -> dict:
    """Every row a service may write for this referral, as plain values."""
    return {
        "referral": Referral.objects.filter(pk=referral.pk).values().get(),
        "subject": Subject.objects.filter(referral=referral).values().get(),
        "record": ClinicalRecord.objects.filter(referral=referral).values().get(),
        "events": list(ReferralEvent.objects.filter(referral=referral).order_by("pk").values()),
        "notes": list(ClinicalNote.objects.filter(referral=referral).order_by("pk").values()),
        "follow_ups": list(FollowUp.objects.filter(referral=referral).order_by("pk").values()),
        "group_grants": group_grants(referral),
        "user_grants": user_grants(referral),
    }


def assert_refused(call, referral: Referral, message: str) -> None:
    """``call`` raises ReferralError with exactly ``message`` and leaves every row of the referral untouched."""
    before = snapshot(referral)
    with pytest.raises(services.ReferralError) as error:
        call()
    assert str(error.value) == message
    assert snapshot(referral) == before


def assert_one_event(referral: Referral, events_before: int, **expected) -> ReferralEvent:
    """Exactly one event was added since ``events_before``, and it has the ``expected`` values."""
    events = events_of(referral)
    assert len(events) == events_before + 1
    event = events[-1]
    assert {name: getattr(event, name) for name in expected} == expected
    return event


class _RolledBack(Exception):
    pass


@contextmanager
def patched_hint():
    with mock.patch.object(services.hints, "referral_changed") as hint:
        yield hint


def run_and_commit(capture, call):
    """Run ``call`` as if its transaction committed. Returns (result, hint mock, hint calls made before commit)."""
    with patched_hint() as hint, capture(execute=True):
        result = call()
        calls_before_commit = hint.call_count
    return result, hint, calls_before_commit


def run_and_roll_back(capture, call):
    """Run ``call`` inside a transaction that then rolls back. Returns (hint mock, callbacks left for commit)."""
    with patched_hint() as hint, capture(execute=True) as callbacks, pytest.raises(_RolledBack), transaction.atomic():
        call()
        raise _RolledBack
    return hint, callbacks


def expected_hint(referral: Referral, *, extra_group_ids=()) -> dict:
    """The arguments referral_changed gets for ``referral`` as it is now in the database."""
    referral = Referral.objects.select_related("team", "program").get(pk=referral.pk)
    return {
        "public_id": referral.public_id,
        "team_group_ids": {referral.team.group_id, *extra_group_ids},
        "user_ids": {referral.officer_id, referral.accepted_by_id} - {None},
        "organisation_id": referral.program.organisation_id,
        "sequence": last_event(referral).pk,
    }
