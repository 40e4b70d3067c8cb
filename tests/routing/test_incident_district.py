"""A request is routed by the district of the incident, not by the district of the officer who files it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Team
from referrals import events as kinds
from tests.routing import best_clinician, clear_shifts, district, events, file_referral, on_shift, route, team

pytestmark = pytest.mark.django_db


def test_b2_officer_filing_for_d4_goes_to_the_d4_team_on_shift(personas):
    clear_shifts()
    now = timezone.now()
    on_shift(personas["clinician.b2"], "B2", at=now)
    on_shift(best_clinician("d4.clinician"), "D4", at=now)

    referral = file_referral(personas["officer.b2"], "D4")

    assert referral.district == district("D4")
    assert referral.officer_district == district("B2")
    assert referral.team == team(code="D4")
    assert [e.message for e in events(referral, kinds.ROUTED)] == ["Routed to BEST D4"]


def test_b2_officer_filing_for_d4_with_nobody_in_d4_goes_to_the_supervisors_not_to_b2(personas):
    # The demo roster has clinician.b2 on shift in B2 and nobody in D4.
    referral = file_referral(personas["officer.b2"], "D4")

    assert referral.district == district("D4")
    assert referral.team == team(Team.Kind.SUPERVISORS)
    assert [e.message for e in events(referral, kinds.ROUTED)] == ["Routed to BEST supervisors: nobody on shift in D4"]


def test_b2_officer_filing_for_d4_follows_the_d4_route(personas):
    route("D4", "D4", "C11", "supervisors")
    route("B2", "B2", "B3", "supervisors")

    referral = file_referral(personas["officer.b2"], "D4")  # the demo roster has clinician.c11 on shift in C11

    assert referral.team == team(code="C11")
    assert [e.message for e in events(referral, kinds.ROUTED)] == ["Routed to BEST C11: nobody on shift in D4"]
