from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from accounts.models import Membership, Organisation, Team
from programs.models import Program


def counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "organisations": Organisation.objects.count(),
        "memberships": Membership.objects.count(),
        "programs": Program.objects.count(),
        "groups": Group.objects.count(),
        "teams": Team.objects.count(),
    }


@pytest.mark.django_db
def test_seed_demo_run_twice_leaves_the_same_counts(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first["users"] == 17
    assert first["programs"] == 6


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
