from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from accounts.models import Membership, Organisation, Team
from hub.models import Assignment, HubAccessLog, Meeting, Reveal, Situation, SituationEvent, Table, TableAgency
from programs.models import Program


def counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "organisations": Organisation.objects.count(),
        "memberships": Membership.objects.count(),
        "programs": Program.objects.count(),
        "groups": Group.objects.count(),
        "teams": Team.objects.count(),
        "hub tables": Table.objects.count(),
        "hub agencies": TableAgency.objects.count(),
        "hub meetings": Meeting.objects.count(),
        "hub situations": Situation.objects.count(),
        "hub assignments": Assignment.objects.count(),
        "hub reveals": Reveal.objects.count(),
        "hub events": SituationEvent.objects.count(),
    }


@pytest.mark.django_db
def test_seed_demo_run_twice_leaves_the_same_counts(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first["users"] == 19
    assert first["programs"] == 6
    assert first["hub tables"] == 2 and first["hub situations"] == 12


@pytest.mark.django_db
def test_seed_demo_gives_the_hub_personas_living_tables(settings, client):
    """Two tables with a situation at every filter; agency.housing chosen on some, agency.school left out of some."""
    settings.DEBUG = True
    call_command("seed_demo")
    states = set(Situation.objects.values_list("state", flat=True))
    assert states == {"proposed", "on_agenda", "rejected", "accepted", "intervention", "concluded"}
    assert Situation.objects.filter(escalated_at__isnull=False, door_knock_done_at__isnull=True).count() == 1
    assert Situation.objects.filter(state="concluded", conclusion__isnull=False).count() == 2
    assert Situation.objects.filter(state="accepted", reveals__isnull=False).exists()  # names revealed
    planned = Situation.objects.get(state="intervention", door_knock_planned_for__isnull=False, table__reveal="present")
    assert planned.assignments.filter(role="lead").count() == 1 and planned.assignments.count() == 3
    chosen = Assignment.objects.values_list("situation_id", "agency__organisation__short_name")
    decided = Situation.objects.filter(assignments__isnull=False).distinct().values_list("pk", flat=True)
    assert any(org == "BHA" for _, org in chosen)
    assert any((pk, "BPS") not in set(chosen) for pk in decided), (
        "agency.school is left out of at least one chosen situation"
    )
    User = get_user_model()
    for username in ("hub.coordinator", "agency.housing", "agency.school"):
        client.force_login(User.objects.get(username=username))
        response = client.get("/", follow=True)
        assert response.redirect_chain[-1][0] == "/hub/"
        html = response.content.decode()
        assert "Boston Hub — B2/B3" in html and "Boston Hub — C11" in html, username
    assert not HubAccessLog.objects.exists()  # seeding reads no identity


@pytest.mark.django_db
def test_seed_demo_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert get_user_model().objects.count() == 0


@pytest.mark.django_db
def test_seed_demo_runs_with_force_when_debug_is_off(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--force")
    assert get_user_model().objects.filter(username="officer.b2").exists()


@pytest.mark.django_db
def test_seeded_clinician_is_in_the_role_group_and_the_district_team(settings, personas):
    user = personas["clinician.b2"]
    names = set(user.groups.values_list("name", flat=True))
    team = Team.objects.get(organisation__short_name="BEST", district__code="B2")
    assert "Role: Clinician" in names
    assert team.group.name in names
    assert user.has_perm("programs.view_program")


@pytest.mark.django_db
def test_seed_demo_gives_the_two_step_logins_the_shared_demo_key_and_prints_it(settings, client):
    """Demo only: each login that must give a second factor can, with one key printed beside the logins."""
    from base64 import b32decode
    from io import StringIO

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from referrals.management.commands.seed_demo import DEMO_TOTP_SECRET
    from tests.conftest import sign_in_both_steps

    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())  # again: still one device each
    printed = out.getvalue()
    assert "DEMO ONLY" in printed
    assert DEMO_TOTP_SECRET in printed and f"otpauth://totp/Handoff%20demo?secret={DEMO_TOTP_SECRET}" in printed
    assert "* clinician.b2" in printed and "  analyst" in printed and "* analyst" not in printed
    devices = TOTPDevice.objects.filter(confirmed=True)
    owners = set(devices.values_list("user__username", flat=True))
    assert {"clinician.b2", "officer.b2", "hub.coordinator", "agency.school", "admin"} <= owners
    assert "analyst" not in owners
    assert devices.count() == len(owners)
    assert {bytes(device.bin_key) for device in devices} == {b32decode(DEMO_TOTP_SECRET)}

    response = sign_in_both_steps(client, "clinician.b2", settings.DEMO_PASSWORD)
    assert response.status_code == 302
    assert client.get("/queue/").status_code == 200
