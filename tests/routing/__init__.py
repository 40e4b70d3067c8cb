"""Helpers for the routing tests: rosters made through routing.services, requests filed through referrals.services.

Every helper takes the demo personas (tests/conftest.py) and names districts by code ("B2").
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from accounts.models import Organisation, Role, Team
from accounts.services import membership_create
from districts.models import District
from programs.models import Program
from referrals import services
from referrals.models import Referral, ReferralEvent, Urgency
from referrals.selectors import officer_home_district
from routing.models import Route, RouteStep, Shift
from routing.services import shift_create

HOUR = timedelta(hours=1)


def co_response() -> Program:
    return Program.objects.get(slug="co-response")


def best() -> Organisation:
    return co_response().organisation


def district(code: str) -> District:
    return District.objects.get(code=code)


def team(kind: str = Team.Kind.DISTRICT, code: str | None = None) -> Team:
    """BEST's queue: team(code="B2"), team(Team.Kind.ON_CALL), team(Team.Kind.SUPERVISORS)."""
    if code is not None:
        return Team.objects.get(organisation=best(), kind=Team.Kind.DISTRICT, district__code=code)
    return Team.objects.get(organisation=best(), kind=kind, district=None)


def clear_shifts() -> None:
    """Nobody on shift anywhere: the demo seeds shifts from yesterday to next week."""
    Shift.objects.all().delete()


def best_clinician(username: str):
    """Another BEST clinician with no district of their own (the demo has two): rosters need distinct people."""
    user = get_user_model().objects.create_user(username=username, first_name="Extra", last_name=username)
    membership_create(user=user, organisation=best(), role=Role.CLINICIAN)
    return user


def on_shift(user, *codes: str, at: datetime, on_call: bool = False, hours: int = 1) -> Shift:
    """A BEST shift for `user` covering `at`: `hours` either side of it."""
    return shift_create(
        organisation=best(),
        user=user,
        starts_at=at - hours * HOUR,
        ends_at=at + hours * HOUR,
        districts=[district(code) for code in codes],
        on_call=on_call,
    )


def route(district_code: str, *steps: str) -> Route:
    """A co-response route for a district: route("B2", "B2", "B3", "on_call", "supervisors")."""
    made = Route.objects.create(program=co_response(), district=district(district_code))
    for position, step in enumerate(steps, start=1):
        if step in (RouteStep.Kind.ON_CALL, RouteStep.Kind.SUPERVISORS):
            RouteStep.objects.create(route=made, position=position, kind=step)
        else:
            RouteStep.objects.create(
                route=made, position=position, kind=RouteStep.Kind.DISTRICT_TEAM, district=district(step)
            )
    return made


def file_referral(officer, district_code: str = "B2") -> Referral:
    """File a co-response request as `officer` for a person in `district_code`."""
    new = services.NewReferral(
        program=co_response(),
        district=district(district_code),
        urgency=Urgency.ON_SCENE_NOW,
        idempotency_key=uuid.uuid4(),
        location_text="Dudley Sq bus station",
    )
    referral, created = services.referral_file(
        new=new, officer=officer, officer_district=officer_home_district(officer)
    )
    assert created
    return referral


def events(referral: Referral, kind: str) -> list[ReferralEvent]:
    return list(referral.events.filter(kind=kind).order_by("created_at", "pk"))
