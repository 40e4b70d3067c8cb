"""My tables, a table's page, the propose form (filter 1), scheduling a meeting, overdue door knocks, the export."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import POLICE_ROLES
from accounts.selectors import memberships_of
from hub import export, policy, selectors, services
from hub.forms import ProposeForm
from hub.models import OPEN_STATES, SituationState


@login_required
def tables(request: HttpRequest) -> HttpResponse:
    """The tables I coordinate or my agency sits at (an officer: where the police sit, to propose)."""
    user = request.user
    rows = list(selectors.tables_of(user))
    counts = selectors.situation_counts(user)
    meetings = selectors.upcoming_meetings(rows)
    coordinated = policy.coordinated_organisation_ids(user)
    items = []
    for table in rows:
        states = counts.get(table.pk, {})
        items.append(
            {
                "table": table,
                "is_coordinator": table.organisation_id in coordinated,
                "open": sum(n for state, n in states.items() if state in OPEN_STATES),
                "proposed": states.get(SituationState.PROPOSED, 0),
                "intervention": states.get(SituationState.INTERVENTION, 0),
                "total": sum(states.values()),
                "meetings": meetings.get(table.pk, []),
            }
        )
    context = {"items": items, "is_coordinator": bool(coordinated)}
    template = "hub/tables.html#tables" if request.htmx else "hub/tables.html"
    return render(request, template, context)


@login_required
def table(request: HttpRequest, table_id: int) -> HttpResponse:
    table = selectors.get_table_for_user(request.user, table_id)
    is_coordinator = policy.is_coordinator(request.user, table)
    sits = is_coordinator or policy.acting_agencies(request.user, table).exists()
    context = {
        "table": table,
        "situations": selectors.table_situations(request.user, table),
        "meetings": list(table.meetings.order_by("-held_on")[:12]) if sits else [],
        "agencies": selectors.agencies_of(table) if sits else [],
        "is_coordinator": is_coordinator,
        "can_propose": policy.can_propose(request.user, table),
        "today": timezone.localdate(),
    }
    template = "hub/table.html#situations" if request.htmx else "hub/table.html"
    return render(request, template, context)


def _is_police(user) -> bool:
    return any(m.role in POLICE_ROLES for m in memberships_of(user))


@login_required
def propose(request: HttpRequest, table_id: int) -> HttpResponse:
    """Filter 1, for a member agency's representative or an officer (the police are then the originating agency)."""
    table = selectors.get_table_for_user(request.user, table_id)
    agencies = policy.proposing_agencies(request.user, table)
    if not agencies:
        raise PermissionDenied("Only an agency sitting at this table can propose a situation to it.")
    form_kwargs = {"agencies": agencies, "user": request.user, "is_police": _is_police(request.user)}
    status = 200
    if request.method == "POST":
        form = ProposeForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                situation, created = services.situation_propose(
                    table=table,
                    actor=request.user,
                    idempotency_key=data["idempotency_key"],
                    agency=data["agency"],
                    referral=data.get("referral"),
                    discussion_type=data["discussion_type"],
                    description=data["description"],
                    persons=[services.NewPerson(**person) for person in data["persons"]],
                    risk_factors=data["risk_factors"],
                    protective_factors=data["protective_factors"],
                    study_flags=data["study_flags"],
                )
            except services.Refused as refusal:
                form.add_error(None, str(refusal))
                status = 403
            except services.ReferralError as error:
                form.add_error(None, str(error))
                status = 422
            else:
                if created:
                    messages.success(request, f"Situation {situation.public_id} proposed to {table.name}.")
                return redirect("hub:situation", public_id=situation.public_id)
        else:
            status = 422
    else:
        form = ProposeForm(**form_kwargs)
    return render(request, "hub/propose.html", {"table": table, "form": form}, status=status)


@login_required
@require_POST
def meeting_schedule(request: HttpRequest, table_id: int) -> HttpResponse:
    table = selectors.get_table_for_user(request.user, table_id)
    if not policy.is_coordinator(request.user, table):
        raise PermissionDenied(policy.COORDINATOR_ONLY)
    try:
        held_on = date.fromisoformat(request.POST.get("held_on", ""))
    except ValueError:
        messages.error(request, "Enter the meeting's date.")
        return redirect("hub:table", table_id=table.pk)
    meeting = services.meeting_schedule(table=table, actor=request.user, held_on=held_on)
    messages.success(request, f"Meeting of {meeting.held_on:%a %b %-d, %Y} ready for its agenda.")
    return redirect("hub:meeting", meeting_id=meeting.pk)


@login_required
def escalations(request: HttpRequest) -> HttpResponse:
    """The coordinator's overdue door knocks: escalated by the sweeper, or past due and about to be."""
    if not policy.coordinated_organisation_ids(request.user):
        raise PermissionDenied("Overdue door knocks are for Hub coordinators.")
    context = {"situations": selectors.overdue_door_knocks(request.user, timezone.now())}
    template = "hub/escalations.html#escalations" if request.htmx else "hub/escalations.html"
    return render(request, template, context)


def _date_param(request: HttpRequest, name: str) -> date | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@login_required
def export_csv(request: HttpRequest, table_id: int) -> HttpResponse:
    """The RTD-style CSV of a table's discussions, for its coordinators (``hub.export``: no identity, ever)."""
    table = selectors.get_table_for_user(request.user, table_id)
    start, end = _date_param(request, "start"), _date_param(request, "end")
    try:
        rows = export.rtd_rows(user=request.user, table=table, start=start, end=end)
    except services.Refused as refusal:
        raise PermissionDenied(str(refusal)) from None
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="hub-table-{table.pk}-rtd.csv"'
    response["Cache-Control"] = "no-store"
    export.write_csv(rows, response)
    return response
