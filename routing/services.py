"""Choosing the queue for a request, and keeping rosters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import FRONTLINE_PARTNER_ROLES, Membership, Organisation, Team
from accounts.services import team_get_or_create
from districts.models import District, Unit
from programs.deadlines import local_datetime  # rosters' wall-clock times; re-exported for routing's callers
from routing.models import Route, RouteStep, Shift


class RoutingError(Exception):
    """A roster or route change that cannot be made; the message is for the person who asked."""


@dataclass(frozen=True)
class Step:
    kind: str
    district: District | None = None
    unit: Unit | None = None

    def describe(self) -> str:
        if self.district is not None:
            return self.district.code
        if self.unit is not None:
            return self.unit.code
        return RouteStep.Kind(self.kind).label.lower()


@dataclass(frozen=True)
class RouteDecision:
    team: Team
    position: int  # index in the chain; the next escalation starts after it
    reason: str
    final: bool  # the last queue of the chain: nothing further to escalate to


def _unit_is_covered(organisation_id: int, unit: Unit) -> bool:
    """Someone on the partner's front line works with this police unit, so its unit team has someone to answer."""
    return (
        unit.is_active
        and Membership.objects.filter(
            organisation_id=organisation_id,
            role__in=FRONTLINE_PARTNER_ROLES,
            units=unit,
            is_active=True,
            pending=False,
            user__is_active=True,
        ).exists()
    )


def route_chain(*, program, district: District, unit: Unit | None = None) -> list[Step]:
    """The ordered queues for a program's request in a district: the route's steps, or district team → supervisors.

    A request from a police unit (``unit``) goes first to the partner's team for that unit, when the partner has
    someone working with it (YouthConnect's social workers in the Youth Violence Strike Force, say).
    """
    route = Route.objects.filter(program=program, district=district, is_active=True).first()
    steps = []
    if route is not None:
        steps = [
            Step(s.kind, s.district, s.unit)
            for s in route.steps.select_related("district", "unit").order_by("position")
        ]
    if not steps:
        steps = [Step(RouteStep.Kind.DISTRICT_TEAM, district)]
    if unit is not None and _unit_is_covered(program.organisation_id, unit):
        others = [s for s in steps if not (s.kind == RouteStep.Kind.UNIT and s.unit.pk == unit.pk)]
        steps = [Step(RouteStep.Kind.UNIT, unit=unit), *others]
    if steps[-1].kind != RouteStep.Kind.SUPERVISORS:
        steps.append(Step(RouteStep.Kind.SUPERVISORS))  # someone always ends up holding it
    return steps


def _staffed(program, step: Step, at: datetime) -> bool:
    if step.kind == RouteStep.Kind.SUPERVISORS:
        return True
    if not program.uses_rosters:
        # Teams without rosters (casework) are their queue: nobody is ever "off shift", so nothing is skipped.
        return True
    shifts = Shift.objects.filter(organisation=program.organisation_id, starts_at__lte=at, ends_at__gt=at)
    if step.kind == RouteStep.Kind.ON_CALL:
        return shifts.filter(on_call=True).exists()
    if step.kind == RouteStep.Kind.UNIT:
        # Shifts name districts, not units: a unit is staffed while someone who works with it is on shift.
        return shifts.filter(
            user__memberships__organisation=program.organisation_id,
            user__memberships__role__in=FRONTLINE_PARTNER_ROLES,
            user__memberships__units=step.unit,
            user__memberships__is_active=True,
            user__memberships__pending=False,
        ).exists()
    return shifts.filter(districts=step.district).exists()


def _team_for(organisation: Organisation, step: Step) -> Team:
    if step.kind == RouteStep.Kind.DISTRICT_TEAM:
        return team_get_or_create(organisation=organisation, district=step.district)
    if step.kind == RouteStep.Kind.UNIT:
        return team_get_or_create(organisation=organisation, unit=step.unit)
    return team_get_or_create(organisation=organisation, kind=step.kind)


def route_choose(
    *, program, district: District, at: datetime | None = None, after: int = -1, unit: Unit | None = None
) -> RouteDecision:
    """The first queue after position ``after`` with someone on shift at ``at``, and why it was chosen.

    For a program without rosters every team of the chain counts as staffed: the first one after ``after`` holds it.
    """
    at = at or timezone.now()
    organisation = program.organisation
    chain = route_chain(program=program, district=district, unit=unit)
    skipped: list[str] = []
    for position in range(after + 1, len(chain)):
        step = chain[position]
        if _staffed(program, step, at):
            team = _team_for(organisation, step)
            reason = f"Routed to {team}" + (f": nobody on shift in {', '.join(skipped)}" if skipped else "")
            return RouteDecision(team=team, position=position, reason=reason, final=position == len(chain) - 1)
        skipped.append(chain[position].describe())
    # Past the end of the chain: it stays with the last queue (the supervisors).
    step = chain[-1]
    team = _team_for(organisation, step)
    return RouteDecision(team=team, position=len(chain) - 1, reason=f"Still with {team}: end of the chain", final=True)


def _is_team(step: Step, team: Team) -> bool:
    if step.kind != team.kind:
        return False
    if step.kind == RouteStep.Kind.DISTRICT_TEAM:
        return step.district.pk == team.district_id
    if step.kind == RouteStep.Kind.UNIT:
        return step.unit.pk == team.unit_id
    return True


def route_position_of(*, program, district: District, team: Team, unit: Unit | None = None) -> int:
    """Where a queue stands in the chain (-1 if it is not in it, e.g. after a manual transfer).

    Pass the ``unit`` the request was routed with, so the chain is the one it was routed along. Without it, a unit
    team that is not a step of the district's route is found where a request from its unit would start: first.
    """
    for position, step in enumerate(route_chain(program=program, district=district, unit=unit)):
        if _is_team(step, team):
            return position
    if unit is None and team.kind == Team.Kind.UNIT:
        return route_position_of(program=program, district=district, team=team, unit=team.unit)
    return -1


# --- rosters --------------------------------------------------------------------------------------------------


def shift_span(*, day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """A shift given as a local day and clock times; an end at or before the start means the next morning."""
    starts_at = local_datetime(day, start)
    end_day = day + timedelta(days=1) if end <= start else day
    ends_at = local_datetime(end_day, end)
    return starts_at, ends_at


@transaction.atomic
def shift_create(
    *,
    organisation: Organisation,
    user,
    starts_at: datetime,
    ends_at: datetime,
    districts=(),
    on_call: bool = False,
    actor=None,
) -> Shift:
    if ends_at <= starts_at:
        raise RoutingError("A shift must end after it starts.")
    # Subtract in UTC: two times in one zone subtract by the clock, and a fall-back night has 25 hours.
    if ends_at.astimezone(UTC) - starts_at.astimezone(UTC) > timedelta(hours=24):
        raise RoutingError("A shift can last at most 24 hours.")
    districts = list(districts)
    if not districts and not on_call:
        raise RoutingError("A shift covers at least one district, or is citywide on-call.")
    is_member = Membership.objects.filter(
        user=user, organisation=organisation, role__in=FRONTLINE_PARTNER_ROLES, is_active=True, pending=False
    ).exists()
    if not is_member:
        raise RoutingError(f"{user.get_full_name() or user.get_username()} is not front-line staff of {organisation}.")
    overlapping = Shift.objects.filter(user=user, starts_at__lt=ends_at, ends_at__gt=starts_at).exists()
    if overlapping:
        raise RoutingError("That person already has a shift overlapping this one.")
    shift = Shift.objects.create(
        organisation=organisation, user=user, starts_at=starts_at, ends_at=ends_at, on_call=on_call
    )
    shift.districts.set(districts)
    return shift


@transaction.atomic
def shift_delete(*, shift: Shift) -> None:
    shift.delete()
