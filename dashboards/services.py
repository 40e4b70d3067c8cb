"""The dashboards' writes: releasing a month (freezing its cells) and Community CompStat's action plans."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dashboards import access
from dashboards.models import ActionPlan, PublishedCell
from dashboards.suppression import CITY
from dashboards.tables import dashboard_build
from districts.models import District
from programs.models import Program


@transaction.atomic
def month_release(*, program: Program, month: date, actor=None) -> int:
    """Freeze one month of a program as it is published now: every district's and the city's cell of every
    measure, with its count and whether it is suppressed. A month is released once; the number of cells written."""
    month = month.replace(day=1)
    if month >= timezone.localdate().replace(day=1):
        raise ValidationError("Only a month that has ended can be released.")
    if PublishedCell.objects.filter(program=program, month=month).exists():
        raise ValidationError(f"{month:%B %Y} of {program.name} is already released; released months never change.")
    dashboard = dashboard_build(program=program, year=month.year, suppressed_view=True)
    key = f"{month:%Y-%m}"
    districts = dict(District.objects.values_list("code", "pk"))
    now = timezone.now()
    cells = [
        PublishedCell(
            program=program,
            month=month,
            district_id=None if code == CITY else districts[code],
            measure=measure.key,
            value=dashboard.values[(key, code, measure.key)],
            suppressed=(key, code, measure.key) in dashboard.hidden,
            released_at=now,
            released_by=actor,
        )
        for code in [*dashboard.districts, CITY]
        for measure in dashboard.measures
    ]
    PublishedCell.objects.bulk_create(cells)
    return len(cells)


def action_plan_create(*, district: District, actor, issue: str, action: str, owner: str, due_on) -> ActionPlan:
    if not access.can_edit_plans(actor, district.code):
        raise PermissionDenied("Only the district's police supervisors keep its action plans.")
    return ActionPlan.objects.create(
        district=district, issue=issue, action=action, owner=owner, due_on=due_on, created_by=actor
    )


@transaction.atomic
def action_plan_status_set(*, plan: ActionPlan, actor, status: str) -> ActionPlan:
    if not access.can_edit_plans(actor, plan.district.code):
        raise PermissionDenied("Only the district's police supervisors keep its action plans.")
    plan = ActionPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != status:
        plan.status = status
        plan.save(update_fields=["status", "updated_at"])
    return plan
