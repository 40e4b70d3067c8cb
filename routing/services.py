"""Choosing the queue for a request, and keeping rosters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import FRONTLINE_PARTNER_ROLES, Membership, Organisation, Team
from accounts.services import team_get_or_create
from districts.models import District
from programs.deadlines import local_datetime  # rosters' wall-clock times; re-exported for routing's callers
from routing.models import Route, RouteStep, Shift


class RoutingError(Exception):
    """A roster or route change that cannot be made; the message is for the person who asked."""


@dataclass(frozen=True)
class Step:
    kind: str
    district: District | None = None

    def describe(self) -> str:
        return self.district.code if self.district is not None else RouteStep.Kind(self.kind).label.lower()


@dataclass(frozen=True)
class RouteDecision:
    team: Team
    position: int  # index in the chain; the next escalation starts after it
    reason: str
    final: bool  # the last queue of the chain: nothing further to escalate to


def route_chain(*, program, district: District) -> list[Step]:
    """The ordered queues for a program's request in a district: the route's steps, or district team → supervisors."""
    route = Route.objects.filter(program=program, district=district, is_active=True).first()
    steps = []
    if route is not None:
        steps = [Step(s.kind, s.district) for s in route.steps.select_related("district").order_by("position")]
    if not steps:
        steps = [Step(RouteStep.Kind.DISTRICT_TEAM, district)]
    if steps[-1].kind != RouteStep.Kind.SUPERVISORS:
        steps.append(Step(RouteStep.Kind.SUPERVISORS))  # someone always ends up holding it
    return steps


def _staffed(organisation: Organisation, step: Step, at: datetime) -> bool:
    if step.kind == RouteStep.Kind.SUPERVISORS:
        return True
    shifts = Shift.objects.filter(organisation=organisation, starts_at__lte=at, ends_at__gt=at)
    if step.kind == RouteStep.Kind.ON_CALL:
        return shifts.filter(on_call=True).exists()
    return shifts.filter(districts=step.district).exists()


def _team_for(organisation: Organisation, step: Step) -> Team:
    if step.kind == RouteStep.Kind.DISTRICT_TEAM:
        return team_get_or_create(organisation=organisation, district=step.district)
    return team_get_or_create(organisation=organisation, kind=step.kind)


def route_choose(*, program, district: District, at: datetime | None = None, after: int = -1) -> RouteDecision:
    """The first queue after position ``after`` with someone on shift at ``at``, and why it was chosen."""
    at = at or timezone.now()
    organisation = program.organisation
    chain = route_chain(program=program, district=district)
    skipped: list[str] = []
    for position in range(after + 1, len(chain)):
        step = chain[position]
        if _staffed(organisation, step, at):
            team = _team_for(organisation, step)
            reason = f"Routed to {team}" + (f": nobody on shift in {', '.join(skipped)}" if skipped else "")
            return RouteDecision(team=team, position=position, reason=reason, final=position == len(chain) - 1)
        skipped.append(chain[position].describe())
    # Past the end of the chain: it stays with the last queue (the supervisors).
    step = chain[-1]
    team = _team_for(organisation, step)
    return RouteDecision(team=team, position=len(chain) - 1, reason=f"Still with {team}: end of the chain", final=True)


def route_position_of(*, program, district: District, team: Team) -> int:
    """Where a queue stands in the chain (-1 if it is not in it, e.g. after a manual transfer)."""
    for position, step in enumerate(route_chain(program=program, district=district)):
        if step.kind == team.kind and (step.district is None or step.district.pk == team.district_id):
            return position
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
        user=user, organisation=organisation, role__in=FRONTLINE_PARTNER_ROLES, is_active=True
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
