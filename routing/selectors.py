from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import FRONTLINE_PARTNER_ROLES, PARTNER_ROLES, SUPERVISOR_ROLES, Organisation
from accounts.selectors import memberships_of
from districts.models import District
from routing.models import Route, Shift
from routing.services import local_datetime


def supervised_partner_organisations(user) -> list[Organisation]:
    return [m.organisation for m in memberships_of(user) if m.role in SUPERVISOR_ROLES & PARTNER_ROLES]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def roster_week(*, organisation: Organisation, monday: date) -> list[dict]:
    """Seven days, each with the shifts that start that day (local time), in two queries."""
    start = local_datetime(monday, datetime.min.time())
    end = local_datetime(monday + timedelta(days=7), datetime.min.time())
    shifts = list(
        Shift.objects.filter(organisation=organisation, starts_at__lt=end, ends_at__gt=start)
        .select_related("user")
        .prefetch_related("districts")
        .order_by("starts_at", "pk")
    )
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        day_start = local_datetime(day, datetime.min.time())
        day_end = local_datetime(day + timedelta(days=1), datetime.min.time())
        days.append({"day": day, "shifts": [s for s in shifts if day_start <= s.starts_at < day_end]})
    return days


def front_line_staff(organisation: Organisation) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(
            memberships__organisation=organisation,
            memberships__role__in=FRONTLINE_PARTNER_ROLES,
            memberships__is_active=True,
            memberships__pending=False,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def get_shift_for_supervisor(user, shift_id: int) -> Shift:
    organisations = [o.pk for o in supervised_partner_organisations(user)]
    shift = Shift.objects.filter(pk=shift_id, organisation_id__in=organisations).first()
    if shift is None:
        raise Http404("No such shift")
    return shift


def routes_of(organisation: Organisation) -> QuerySet[Route]:
    return (
        Route.objects.filter(program__organisation=organisation)
        .select_related("program", "district")
        .prefetch_related("steps__district", "steps__unit")
    )


def route_serving_condition(district: District) -> Q:
    """Programs that serve a district: one with routes serves only the districts where it has an active route; one
    without any route serves every district (through the district team). Registered with programs.registry."""
    routes = Route.objects.filter(program=OuterRef("pk"))
    return ~Exists(routes) | Exists(routes.filter(district=district, is_active=True))
