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
from notifications.models import Kind, Notification
from programs.models import Program
from referrals import services
from referrals.errors import ReferralError
from referrals.models import (
    ClinicalNote,
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralUserObjectPermission,
    Subject,
    Urgency,
)
from referrals.workflows.co_response import services as co_response_services
from referrals.workflows.co_response.models import (
    ClinicalRecord,
    CoResponseCase,
    CoResponseState,
    Disposition,
    FollowUp,
)
from routing.models import Route, RouteStep

S = CoResponseState

SUBJECT_NAME = "Marcus Hill"
CIRCUMSTANCES = "Says he wants to end his life; standing near the platform edge."


def co_response() -> Program:
    return Program.objects.get(slug="co-response")


def team_of(district_code: str) -> Team:
    return Team.objects.get(organisation=co_response().organisation, district__code=district_code)


def supervisors_team() -> Team:
    return Team.objects.get(organisation=co_response().organisation, kind=Team.Kind.SUPERVISORS)


def on_call_team() -> Team:
    return Team.objects.get(organisation=co_response().organisation, kind=Team.Kind.ON_CALL)


def route_b2_through_on_call() -> Route:
    """B2's co-response chain: the B2 queue, then citywide on-call (clinician.c11 in the demo roster), then the
    supervisors."""
    route = Route.objects.create(program=co_response(), district=District.objects.get(code="B2"))
    RouteStep.objects.create(
        route=route, position=1, kind=RouteStep.Kind.DISTRICT_TEAM, district=District.objects.get(code="B2")
    )
    RouteStep.objects.create(route=route, position=2, kind=RouteStep.Kind.ON_CALL)
    RouteStep.objects.create(route=route, position=3, kind=RouteStep.Kind.SUPERVISORS)
    return route


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
        co_response_services.referral_cancel(referral=referral, actor=officer)
    elif state == S.DECLINED:
        co_response_services.referral_decline(referral=referral, actor=clinician, reason="safety")
    elif state == S.ESCALATED:
        assert co_response_services.referral_escalate_if_due(referral_id=referral.pk, now=referral.due_at)
    elif state == S.TRANSFERRED:
        co_response_services.referral_transfer(
            referral=referral,
            actor=personas["clinician.supervisor"],
            district=District.objects.get(code="C11"),
            reason="No B2 clinician free; C11 is closest.",
        )
    elif state != S.REQUESTED:
        co_response_services.referral_accept(referral=referral, actor=clinician)
        if state in (S.EN_ROUTE, S.ON_SCENE, S.FOLLOW_UP, S.CLOSED):
            co_response_services.referral_depart(referral=referral, actor=clinician, eta_minutes=12)
        if state in (S.ON_SCENE, S.FOLLOW_UP, S.CLOSED):
            co_response_services.referral_arrive(referral=referral, actor=clinician)
        if state in (S.FOLLOW_UP, S.CLOSED):
            co_response_services.clinical_disposition_record(
                referral=referral, actor=clinician, disposition=Disposition.REFERRED
            )
        if state == S.FOLLOW_UP:
            co_response_services.follow_up_add(
                referral=referral,
                actor=clinician,
                kind=FollowUp.Kind.PHONE_CALL,
                due_at=timezone.now() + timedelta(days=1),
            )
        if state in (S.FOLLOW_UP, S.CLOSED):
            co_response_services.referral_finish(referral=referral, actor=clinician)
    referral = Referral.objects.get(pk=referral.pk)
    assert referral.co_response.state == state
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


def notifications_of(referral: Referral) -> list[dict]:
    """Inbox rows that point at this referral (the officer's status page or the partner's case page)."""
    rows = Notification.objects.filter(url__contains=referral.public_id).order_by("pk")
    return list(rows.values("pk", "user_id", "kind", "text", "url", "read_at"))


def status_notices(referral: Referral, user) -> list[str]:
    """The texts of the status notifications ``user`` got about ``referral``, oldest first."""
    rows = Notification.objects.filter(user=user, kind=Kind.STATUS_CHANGED, url__contains=referral.public_id)
    return list(rows.order_by("created_at", "pk").values_list("text", flat=True))


def snapshot(referral: Referral) -> dict:
    """Every row a service may write for this referral, as plain values."""
    return {
        "referral": Referral.objects.filter(pk=referral.pk).values().get(),
        "case": CoResponseCase.objects.filter(referral=referral).values().get(),
        "subject": Subject.objects.filter(referral=referral).values().get(),
        "record": ClinicalRecord.objects.filter(referral=referral).values().get(),
        "events": list(ReferralEvent.objects.filter(referral=referral).order_by("pk").values()),
        "notes": list(ClinicalNote.objects.filter(referral=referral).order_by("pk").values()),
        "follow_ups": list(FollowUp.objects.filter(referral=referral).order_by("pk").values()),
        "group_grants": group_grants(referral),
        "user_grants": user_grants(referral),
        "notifications": notifications_of(referral),
    }


def assert_refused(call, referral: Referral, expected: str | ReferralError) -> None:
    """``call`` raises exactly ``expected`` and leaves every row of the referral untouched.

    A string means a plain ``ReferralError`` ("not now", "not like that"); pass ``Refused("...")`` for "not yours".
    """
    if isinstance(expected, str):
        expected = ReferralError(expected)
    before = snapshot(referral)
    with pytest.raises(ReferralError) as error:
        call()
    assert (type(error.value), str(error.value)) == (type(expected), str(expected))
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


def expected_hint(referral: Referral, *, police: bool, extra_group_ids=(), extra_user_ids=()) -> dict:
    """The arguments referral_changed gets for ``referral`` as it is now in the database.

    Partner pages (the holding queue, the assignee) always hear; police pages (the filer, the district lists) only
    when ``police``: the last event must be police-visible exactly then.
    """
    referral = Referral.objects.select_related("team", "program").get(pk=referral.pk)
    event = last_event(referral)
    assert event.police_visible is police
    police_users = {referral.officer_id} if police else set()
    police_districts = {referral.district_id, referral.officer_district_id} - {None} if police else set()
    return {
        "public_id": referral.public_id,
        "team_group_ids": {referral.team.group_id, *extra_group_ids},
        "user_ids": ({referral.assignee_id, *extra_user_ids} - {None}) | police_users,
        "organisation_id": referral.program.organisation_id,
        "district_ids": police_districts,
        "sequence": event.pk,
    }
