"""The demo's dashboards: a year of history, so the numbers are there to see (and mostly above the threshold).

Run again, it adds nothing: the history is made once, recognised by the demo's action plan.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from dashboards.history import history_add
from dashboards.models import ActionPlan
from districts.models import District

DEMO_HISTORY = 6000
DEMO_PLAN_ISSUE = "Repeat welfare checks around Dudley Square"


def dashboards_demo() -> None:
    if ActionPlan.objects.filter(issue=DEMO_PLAN_ISSUE).exists():
        return
    history_add(DEMO_HISTORY, seed=2718)
    sergeant = get_user_model().objects.filter(username="sergeant.b2").first()
    if sergeant is None:
        return
    today = timezone.localdate()
    b2 = District.objects.get(code="B2")
    ActionPlan.objects.create(
        district=b2,
        issue=DEMO_PLAN_ISSUE,
        action="Joint walk-through with BEST and the shelter's outreach team on Thursday evenings.",
        owner="B2 community service office",
        due_on=today - timedelta(days=7),
        created_by=sergeant,
    )
    ActionPlan.objects.create(
        district=b2,
        issue="Youth referrals waiting more than a week for first contact",
        action="Review YouthConnect's queue with the school resource officers at each meeting.",
        owner="B2 youth officer with YouthConnect",
        due_on=today + timedelta(days=21),
        created_by=sergeant,
    )
