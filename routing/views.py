"""Rosters: a clinical supervisor's week, on a laptop. Routes are edited in the admin and shown here."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from routing.forms import ShiftForm, WeekForm, roster_reach
from routing.selectors import (
    front_line_staff,
    get_shift_for_supervisor,
    roster_week,
    routes_of,
    supervised_partner_organisations,
    week_start,
)
from routing.services import RoutingError, shift_create, shift_delete, shift_span


def _week_from(request: HttpRequest) -> date | None:
    """The Monday of the week asked for (this week if none), or None for a week the roster cannot show."""
    form = WeekForm({"week": request.GET.get("week") or request.POST.get("week") or ""})
    if not form.is_valid():
        return None
    return week_start(form.cleaned_data["week"] or timezone.localdate())


@login_required
@require_http_methods(["GET", "POST"])
def roster(request: HttpRequest) -> HttpResponse:
    organisations = supervised_partner_organisations(request.user)
    if not organisations:
        raise PermissionDenied("Rosters are kept by partner supervisors.")
    organisation = organisations[0]
    earliest, latest = roster_reach()
    monday = _week_from(request)
    if monday is None:
        return HttpResponseBadRequest(
            f"The roster shows weeks between {earliest.isoformat()} and {latest.isoformat()}, as ?week=YYYY-MM-DD.",
            content_type="text/plain",
        )
    staff = front_line_staff(organisation)
    status = 200
    if request.method == "POST":
        form = ShiftForm(request.POST, staff=staff)
        if form.is_valid():
            data = form.cleaned_data
            starts_at, ends_at = shift_span(day=data["day"], start=data["start"], end=data["end"])
            try:
                shift_create(
                    organisation=organisation,
                    user=data["user"],
                    starts_at=starts_at,
                    ends_at=ends_at,
                    districts=data["districts"],
                    on_call=data["on_call"],
                    actor=request.user,
                )
            except RoutingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Shift added.")
                return redirect(f"{request.path}?week={week_start(data['day']).isoformat()}")
        status = 422
    else:
        form = ShiftForm(
            staff=staff, initial={"day": max(monday, timezone.localdate()), "start": "07:00", "end": "19:00"}
        )
    previous_week, next_week = monday - timedelta(days=7), monday + timedelta(days=7)
    context = {
        "organisation": organisation,
        "monday": monday,
        "previous_week": previous_week if previous_week >= earliest else None,
        "next_week": next_week if next_week <= latest else None,
        "days": roster_week(organisation=organisation, monday=monday),
        "form": form,
        "routes": routes_of(organisation),
    }
    template = "routing/roster.html#week" if request.htmx else "routing/roster.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
def shift_remove(request: HttpRequest, shift_id: int) -> HttpResponse:
    if not supervised_partner_organisations(request.user):
        raise PermissionDenied("Rosters are kept by partner supervisors.")
    shift = get_shift_for_supervisor(request.user, shift_id)
    monday = week_start(timezone.localtime(shift.starts_at).date())
    shift_delete(shift=shift)
    messages.success(request, "Shift removed.")
    return redirect(f"/rosters/?week={monday.isoformat()}")
