"""The dashboards' pages: a program's year (page, htmx partial, print view, CSV) and Community CompStat.

Each view: filters (a form over the query string) → ``dashboards.tables`` (the one suppressed grid) → render.
Whether the numbers are suppressed is decided in ``dashboards.access``, per program, for the signed-in user.
"""

from __future__ import annotations

import csv
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from accounts.sessions import duration_text
from dashboards import access, services
from dashboards.forms import ActionPlanForm, FilterForm, PlanStatusForm
from dashboards.measures import demographic_measures
from dashboards.models import ActionPlan
from dashboards.selectors import dashboard_programs
from dashboards.suppression import CITY, YTD
from dashboards.tables import Dashboard, dashboard_build, demographics_build, month_label
from districts.models import District
from programs.models import Workflow

CHART_SERIES = 3  # the first measures of a program, drawn month by month


def _filters(request: HttpRequest) -> tuple[FilterForm, dict | None]:
    """The bound filter form and its values (program, year, district code or CITY), or None with errors."""
    params = request.GET.copy()
    if "district" not in params:
        params["district"] = access.home_district(request.user)  # police land on their district
    if not params.get("program"):
        programs = dashboard_programs()
        own = next((p for p in programs if access.sees_unsuppressed(request.user, p)), None)
        fallback = own or (programs[0] if programs else None)
        params["program"] = fallback.slug if fallback else ""
    form = FilterForm(params)
    if not form.is_valid():
        return form, None
    district = form.cleaned_data["district"]
    return form, {
        "program": form.cleaned_data["program"],
        "year": form.cleaned_data["year"],
        "district": district.code if district else CITY,
    }


def _query(values: dict) -> str:
    params = {"program": values["program"].slug, "year": values["year"]}
    params["district"] = "" if values["district"] == CITY else values["district"]
    return urlencode(params)


def _table(dashboard: Dashboard, district: str) -> dict:
    """Measures as rows, the months and the year to date as columns, for one district or the city."""
    columns = [*dashboard.months, YTD]
    rows = [
        {"measure": measure, "cells": [dashboard.figure(month, district, measure.key) for month in columns]}
        for measure in dashboard.measures
    ]
    stats = []
    if dashboard.has_time_to_accept:
        pairs = [dashboard.time_to_accept(month, district) for month in columns]
        stats = [
            {"label": "Median minutes to acceptance", "cells": [pair[0] for pair in pairs]},
            {"label": "90th percentile minutes to acceptance", "cells": [pair[1] for pair in pairs]},
        ]
    return {"columns": [(month, month_label(month)) for month in columns], "rows": rows, "stats": stats}


def _by_district(dashboard: Dashboard) -> dict:
    columns = [*dashboard.districts, CITY]
    rows = [
        {"measure": measure, "cells": [dashboard.figure(YTD, code, measure.key) for code in columns]}
        for measure in dashboard.measures
    ]
    return {"columns": [(code, "Citywide" if code == CITY else code) for code in columns], "rows": rows}


def _chart(dashboard: Dashboard, district: str) -> dict:
    """What the chart draws, the same figures as the table: a suppressed one is a gap (null), never a number."""
    return {
        "labels": [month_label(month) for month in dashboard.months],
        "series": [
            {
                "label": measure.label,
                "data": [dashboard.figure(month, district, measure.key).value for month in dashboard.months],
            }
            for measure in dashboard.measures[:CHART_SERIES]
        ],
    }


def _context(request: HttpRequest, form: FilterForm, values: dict | None) -> dict:
    context: dict = {"form": form, "programs": dashboard_programs()}
    if values is None:
        return context
    program, district = values["program"], values["district"]
    unsuppressed = access.sees_unsuppressed(request.user, program)
    dashboard = dashboard_build(program=program, year=values["year"], suppressed_view=not unsuppressed)
    context |= {
        "dashboard": dashboard,
        "program": program,
        "year": values["year"],
        "district": district,
        "district_label": "Citywide" if district == CITY else district,
        "table": _table(dashboard, district),
        "by_district": _by_district(dashboard) if district == CITY else None,
        "chart": (chart := _chart(dashboard, district)),
        # In an attribute, not a json_script block: htmx (allowScriptTags off) drops <script> elements it swaps in.
        "chart_json": json.dumps(chart),
        "demographics": demographics_build(dashboard),
        "demographic_measures": demographic_measures() if program.workflow == Workflow.CASEWORK else [],
        "unsuppressed": unsuppressed,
        "counts_age": duration_text(settings.DASHBOARD_COUNTS_CACHE_SECONDS)
        if settings.DASHBOARD_COUNTS_CACHE_SECONDS > 0
        else "",
        "threshold": dashboard.threshold,
        "query": _query(values),
    }
    return context


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, values = _filters(request)
    context = _context(request, form, values)
    status = 200 if values is not None else 400
    template = "dashboards/dashboard.html#results" if request.htmx else "dashboards/dashboard.html"
    response = render(request, template, context, status=status)
    response["Vary"] = "HX-Request"
    return response


@login_required
def print_view(request: HttpRequest) -> HttpResponse:
    form, values = _filters(request)
    return render(
        request, "dashboards/print.html", _context(request, form, values), status=200 if values is not None else 400
    )


CSV_COLUMNS = ["year", "month", "district", "program", "measure", "unit", "value", "suppressed"]


@login_required
def open_data_csv(request: HttpRequest) -> HttpResponse:
    """One row per month x district x program x measure, the months' city totals and the year to date included,
    suppressed exactly as the page is for this user; for a casework program's citywide file, the year's
    demographics of the people who accepted services too (month ``YTD``, once they are published)."""
    form, values = _filters(request)
    if values is None:
        errors = "; ".join(f"{name}: {' '.join(e)}" for name, e in form.errors.items())
        return HttpResponse(f"Bad filter: {errors}\n", status=400, content_type="text/plain; charset=utf-8")
    program, district = values["program"], values["district"]
    unsuppressed = access.sees_unsuppressed(request.user, program)
    dashboard = dashboard_build(program=program, year=values["year"], suppressed_view=not unsuppressed)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"handoff-{program.slug}-{values['year']}-{'citywide' if district == CITY else district}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    districts = [*dashboard.districts, CITY] if district == CITY else [district]
    for month in [*dashboard.months, YTD]:
        for code in districts:
            for measure in dashboard.measures:
                figure = dashboard.figure(month, code, measure.key)
                writer.writerow(
                    [
                        values["year"],
                        month,
                        code,
                        program.slug,
                        measure.key,
                        measure.unit,
                        figure.csv,
                        "true" if figure.suppressed else "false",
                    ]
                )
    demographics = demographics_build(dashboard)
    if district == CITY and demographics is not None and demographics.published:
        for dimension in demographics.dimensions:
            for row in dimension["rows"]:
                figure = row["figure"]
                writer.writerow(
                    [
                        values["year"],
                        YTD,
                        CITY,
                        program.slug,
                        row["key"],
                        "person",
                        figure.csv,
                        "true" if figure.suppressed else "false",
                    ]
                )
    return response


# --- Community CompStat -----------------------------------------------------------------------------------------
TREND_MONTHS = 6


def _compstat_context(request: HttpRequest, district: District, plan_form: ActionPlanForm | None = None) -> dict:
    today = timezone.localdate()
    trends = []
    for program in dashboard_programs():
        unsuppressed = access.sees_unsuppressed(request.user, program)
        months: list[tuple[int, str]] = []
        for back in range(TREND_MONTHS - 1, -1, -1):
            year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
            months.append((year, f"{year}-{month + 1:02d}"))
        built = {
            year: dashboard_build(program=program, year=year, suppressed_view=not unsuppressed)
            for year in {year for year, _ in months}
        }
        measures = built[today.year].measures[:CHART_SERIES]
        trends.append(
            {
                "program": program,
                "columns": [month_label(key) for _, key in months],
                "rows": [
                    {
                        "measure": measure,
                        "cells": [built[year].figure(key, district.code, measure.key) for year, key in months],
                    }
                    for measure in measures
                ],
            }
        )
    plans = sorted(
        ActionPlan.objects.filter(district=district),
        key=lambda plan: (not plan.is_overdue(today), plan.is_closed, plan.due_on, plan.pk),
    )
    can_edit = access.can_edit_plans(request.user, district.code)
    return {
        "district": district,
        "districts": District.objects.order_by("code"),
        "trends": trends,
        "plans": [{"plan": plan, "overdue": plan.is_overdue(today)} for plan in plans],
        "can_edit": can_edit,
        "plan_form": plan_form or (ActionPlanForm() if can_edit else None),
        "statuses": ActionPlan.Status.choices,
        "threshold": settings.DASHBOARD_SUPPRESSION_THRESHOLD,
    }


def _compstat_district(request: HttpRequest) -> District:
    code = request.GET.get("district") or access.home_district(request.user)
    district = District.objects.filter(code=code).first() if isinstance(code, str) and code else None
    return district or District.objects.order_by("code").first()


@login_required
def compstat(request: HttpRequest) -> HttpResponse:
    if not access.can_view_compstat(request.user):
        raise PermissionDenied("Community CompStat is for the police and analysts.")
    district = _compstat_district(request)
    if request.method == "POST":
        if not access.can_edit_plans(request.user, district.code):
            raise PermissionDenied("Only the district's police supervisors keep its action plans.")
        form = ActionPlanForm(request.POST)
        if not form.is_valid():
            return render(request, "dashboards/compstat.html", _compstat_context(request, district, form), status=422)
        services.action_plan_create(district=district, actor=request.user, **form.cleaned_data)
        messages.success(request, "Action plan added.")
        return redirect(f"{reverse('dashboards:compstat')}?{urlencode({'district': district.code})}")
    return render(request, "dashboards/compstat.html", _compstat_context(request, district))


@login_required
@require_POST
def plan_status(request: HttpRequest, pk: int) -> HttpResponse:
    if not access.can_view_compstat(request.user):
        raise PermissionDenied("Community CompStat is for the police and analysts.")
    plan = get_object_or_404(ActionPlan.objects.select_related("district"), pk=pk)
    if not access.can_edit_plans(request.user, plan.district.code):
        raise PermissionDenied("Only the district's police supervisors keep its action plans.")
    form = PlanStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the statuses offered.")
        return redirect(f"{reverse('dashboards:compstat')}?{urlencode({'district': plan.district.code})}")
    services.action_plan_status_set(plan=plan, actor=request.user, status=form.cleaned_data["status"])
    messages.success(request, "Status updated.")
    return redirect(f"{reverse('dashboards:compstat')}?{urlencode({'district': plan.district.code})}")
