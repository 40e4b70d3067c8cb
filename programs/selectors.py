from __future__ import annotations

from django.db.models import Q, QuerySet

from districts.models import District
from programs.models import Program
from programs.registry import available_workflows, serving_condition


def programs_serving(*, district: District | None, age: int | None = None) -> QuerySet[Program]:
    """Active programs an officer can file with for a person of ``age`` in ``district``, in one query.

    A program serves a district as its routes say (see routing's serving rule); an unknown age (None) and no
    district (None) rule nothing out.
    """
    programs = Program.objects.filter(is_active=True, workflow__in=available_workflows())
    if district is not None:
        programs = programs.filter(serving_condition(district))
    if age is not None:
        programs = programs.filter(
            Q(min_age__isnull=True) | Q(min_age__lte=age), Q(max_age__isnull=True) | Q(max_age__gte=age)
        )
    return programs.select_related("organisation").order_by("pk")
