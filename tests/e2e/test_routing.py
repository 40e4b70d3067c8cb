"""Rosters on a laptop, and an unanswered request moving to the next queue while a clinician watches."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import run_as_worker, sign_in


def test_a_supervisor_adds_and_removes_a_shift_on_a_laptop(e2e_personas, laptop):
    page = laptop()
    sign_in(page, "clinician.supervisor")
    page.get_by_role("link", name="Roster").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Roster · Boston Emergency Services Team"))).to_be_visible()

    later = timezone.localdate() + timedelta(days=21)  # after the demo shifts, which run into next week
    page.goto(f"/rosters/?week={later.isoformat()}")
    page.select_option("#id_user", label="Priya Natarajan")
    page.fill("#id_day", later.isoformat())
    page.fill("#id_start", "08:00")
    page.fill("#id_end", "16:00")
    page.get_by_label("D4 South End").check()
    page.get_by_role("button", name="Add shift").click()
    expect(page.get_by_text("Shift added.")).to_be_visible()

    day = page.locator(f"[data-day='{later.isoformat()}']")
    shift = day.locator(".shift").filter(has_text="Priya Natarajan").filter(has_text="08:00–16:00")
    expect(shift).to_have_count(1)
    expect(shift).to_contain_text("D4")

    shift.get_by_role("button", name=re.compile("Remove shift")).click()
    expect(page.get_by_text("Shift removed.")).to_be_visible()
    expect(day.locator(".shift").filter(has_text="08:00–16:00")).to_have_count(0)


def test_an_unaccepted_request_escalates_into_the_fallback_queue_without_reload(e2e_personas, phone, worker_hints):
    from districts.models import District
    from programs.models import Program
    from referrals.services import NewReferral, referral_file
    from referrals.workflows.co_response.services import referrals_escalate_due
    from routing.models import Route, RouteStep

    program = Program.objects.get(slug="co-response")
    b2, c11 = District.objects.get(code="B2"), District.objects.get(code="C11")
    route = Route.objects.create(program=program, district=b2)
    RouteStep.objects.create(route=route, position=1, kind=RouteStep.Kind.DISTRICT_TEAM, district=b2)
    RouteStep.objects.create(route=route, position=2, kind=RouteStep.Kind.DISTRICT_TEAM, district=c11)
    RouteStep.objects.create(route=route, position=3, kind=RouteStep.Kind.SUPERVISORS)
    officer = e2e_personas["officer.b2"]
    referral, _ = referral_file(
        new=NewReferral(program=program, district=b2, urgency="now", idempotency_key=uuid.uuid4()),
        officer=officer,
    )

    page = phone()
    sign_in(page, "clinician.c11")
    expect(page.locator("body[data-live-state=open]")).to_have_count(1)
    page.evaluate("window.__notReloaded = true")
    expect(page.locator(f"[data-ref='{referral.public_id}']")).to_have_count(0)

    escalated = run_as_worker(
        lambda: referrals_escalate_due(timezone.now() + timedelta(minutes=program.acceptance_minutes + 1))
    )
    assert escalated == 1

    row = page.locator(f"[data-ref='{referral.public_id}']")
    expect(row).to_be_visible(timeout=5_000)
    expect(row).to_contain_text("Escalated")
    assert page.evaluate("window.__notReloaded === true")
