"""Meeting mode (coordinator, laptop and projector): a meeting's agenda one situation at a time, attendance, the
filter-2 vote, the filter-3 reveal and choice of agencies, and concluding. Never a name: this page does not read
the identity at all (no ``identity_for`` here), whoever looks at it. Agency members who sit at the table get the
same de-identified agenda, read-only.

Forms post with htmx (the answer swaps ``#meeting``) and work as plain posts without script (a redirect to the
page). The coordinator's agenda list refreshes on the table's hints; the item being decided changes only when the
coordinator acts, so a hint never wipes a half-filled form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hub import forms as hub_forms
from hub import policy, selectors, services
from hub.models import AgendaItem, Assignment, Meeting, Table


def _meeting_for(user, meeting_id: int) -> Meeting:
    meeting = selectors.get_meeting_for_user(user, meeting_id)
    if not selectors.sits_at(user, meeting.table):
        raise Http404("No such meeting")  # an officer whose police sit at the table: not theirs to read
    return meeting


def _index(request: HttpRequest) -> int:
    """The agenda position asked for (1-based); ``_context`` keeps it within the agenda."""
    try:
        return int(request.GET.get("item", "1"))
    except ValueError:
        return 1


def _context(request: HttpRequest, meeting: Meeting, index: int, bound: dict | None = None) -> dict:
    user = request.user
    table = meeting.table
    is_coordinator = policy.is_coordinator(user, table)
    items = selectors.agenda_for(meeting)
    index = min(max(index, 1), max(len(items), 1))
    current = items[index - 1] if items else None
    context = {
        "meeting": meeting,
        "table": table,
        "items": items,
        "index": index,
        "current": current,
        "previous_index": index - 1 if index > 1 else None,
        "next_index": index + 1 if index < len(items) else None,
        "is_coordinator": is_coordinator,
        "present": list(meeting.present.select_related("organisation").order_by("organisation__name")),
    }
    if not is_coordinator or current is None:
        return context
    situation = selectors.situation_details(current.situation)
    context.update(
        situation=situation,
        assignments=sorted(situation.assignments.all(), key=lambda a: (a.role != Assignment.Role.LEAD, a.pk)),
        reveals=list(situation.reveals.all()),
        attendance_form=hub_forms.AttendanceForm(
            meeting=meeting, initial={"agencies": [a.pk for a in context["present"]]}
        ),
        can_decide=meeting.is_open and policy.can(user, "threshold_decide", situation),
        can_reveal=meeting.is_open
        and table.reveal == Table.Reveal.PRESENT
        and policy.can(user, "names_reveal", situation),
        can_choose=policy.can(user, "agencies_choose", situation),
        can_conclude=policy.can(user, "conclude", situation),
        choose_form=hub_forms.ChooseForm(table_id=table.pk),
        conclude_form=hub_forms.ConcludeForm(),
    )
    context.update(bound or {})
    return context


def _render(request, meeting, index, *, status=200, bound=None) -> HttpResponse:
    template = "hub/meeting.html"
    if request.htmx:
        # The agenda list alone when it asked (a live refresh), else the whole meeting block (errors included).
        template += "#agenda" if request.GET.get("part") == "agenda" else "#meeting"
    return render(request, template, _context(request, meeting, index, bound), status=status)


@login_required
def meeting(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = _meeting_for(request.user, meeting_id)
    return _render(request, found, _index(request))


def _back(meeting: Meeting, index: int) -> HttpResponse:
    return redirect(f"{reverse('hub:meeting', args=[meeting.pk])}?item={index}")


def _coordinator_meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    found = _meeting_for(request.user, meeting_id)
    if not policy.is_coordinator(request.user, found.table):
        raise PermissionDenied(policy.COORDINATOR_ONLY)
    return found


def _posted_index(request: HttpRequest) -> int:
    try:
        return max(int(request.POST.get("item", "1")), 1)
    except ValueError:
        return 1


def _refused(request, meeting, index, error: Exception) -> HttpResponse:
    messages.error(request, str(error))
    return _render(request, meeting, index, status=409)


@login_required
@require_POST
def meeting_state(request: HttpRequest, meeting_id: int, change: str) -> HttpResponse:
    """Open or close the meeting."""
    found = _coordinator_meeting(request, meeting_id)
    index = _posted_index(request)
    run = {"open": services.meeting_open, "close": services.meeting_close}.get(change)
    if run is None:
        raise Http404("No such change")
    try:
        run(meeting=found, actor=request.user)
    except services.ReferralError as error:
        return _refused(request, found, index, error)
    messages.success(request, "Meeting open." if change == "open" else "Meeting closed.")
    return _back(found, index)


@login_required
@require_POST
def attendance(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = _coordinator_meeting(request, meeting_id)
    index = _posted_index(request)
    form = hub_forms.AttendanceForm(request.POST, meeting=found)
    if not form.is_valid():
        return _render(request, found, index, status=422, bound={"attendance_form": form})
    try:
        services.attendance_record(meeting=found, actor=request.user, agencies=form.cleaned_data["agencies"])
    except services.ReferralError as error:
        return _refused(request, found, index, error)
    messages.success(request, "Attendance recorded.")
    return _back(found, index)


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = AgendaItem.objects.filter(pk=item_id, meeting=meeting).select_related("situation__table").first()
    if item is None:
        raise Http404("No such agenda item")
    return item


@login_required
@require_POST
def item_action(request: HttpRequest, meeting_id: int, item_id: int, action: str) -> HttpResponse:
    """decide (filter 2), reveal and choose (filter 3), conclude. Moves on to the next situation when this one is
    done at this meeting (rejected, agencies chosen, concluded)."""
    found = _coordinator_meeting(request, meeting_id)
    item = _item(found, item_id)
    situation, actor, index = item.situation, request.user, _posted_index(request)
    try:
        if action == "decide":
            form = hub_forms.DecideForm(request.POST)
            if not form.is_valid():
                return _refused(request, found, index, services.ReferralError("Choose: threshold met or not."))
            met = form.cleaned_data["met"]
            services.threshold_decide(situation=situation, actor=actor, meeting=found, met=met)
            messages.success(request, f"{situation.public_id}: " + ("threshold met." if met else "threshold not met."))
            return _back(found, index if met else index + 1)
        if action == "reveal":
            revealed = services.names_reveal(situation=situation, actor=actor, meeting=found)
            names = ", ".join(sorted(a.organisation.name for a in revealed))
            messages.success(request, f"{situation.public_id}: names shared with {names}.")
            return _back(found, index)
        if action == "choose":
            form = hub_forms.ChooseForm(request.POST, table_id=found.table_id)
            if not form.is_valid():
                return _render(request, found, index, status=422, bound={"choose_form": form})
            services.agencies_choose(
                situation=situation,
                actor=actor,
                lead=form.cleaned_data["lead"],
                assisting=form.cleaned_data["assisting"],
                meeting=found,
            )
            messages.success(request, f"{situation.public_id}: lead and assisting agencies chosen.")
            return _back(found, index + 1)
        if action == "conclude":
            form = hub_forms.ConcludeForm(request.POST)
            if not form.is_valid():
                return _render(request, found, index, status=422, bound={"conclude_form": form})
            services.situation_conclude(
                situation=situation,
                actor=actor,
                code=form.cleaned_data["code"],
                services=form.cleaned_data["services"],
                meeting=found,
            )
            messages.success(request, f"{situation.public_id}: concluded.")
            return _back(found, index + 1)
    except services.Refused as refusal:
        raise PermissionDenied(str(refusal)) from None
    except services.ReferralError as error:
        return _refused(request, found, index, error)
    raise Http404("No such action")
