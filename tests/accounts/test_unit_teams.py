"""Unit teams: a partner's queue for a citywide police unit (YouthConnect's social workers in the Youth Violence
Strike Force), kept in step with the memberships that cover the unit, one per organisation and unit."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from accounts.models import Membership, Organisation, Role, Team
from accounts.services import membership_create, membership_sync_groups, team_get_or_create
from districts.models import District, Unit

pytestmark = pytest.mark.django_db


def youthconnect() -> Organisation:
    return Organisation.objects.get(short_name="YouthConnect")


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def unit_team(code: str, organisation: Organisation | None = None) -> Team:
    return Team.objects.get(organisation=organisation or youthconnect(), kind=Team.Kind.UNIT, unit__code=code)


def team_groups(user) -> set[str]:
    return {str(group.team) for group in user.groups.filter(team__isnull=False).select_related("team__unit")}


def new_user(username: str):
    return get_user_model().objects.create_user(username=username)


# --- team_get_or_create --------------------------------------------------------------------------------------------


def test_a_unit_team_is_named_after_its_organisation_and_unit_code(personas):
    team = team_get_or_create(organisation=youthconnect(), unit=unit("SPU"))

    assert (team.kind, team.unit, team.district) == (Team.Kind.UNIT, unit("SPU"), None)
    assert str(team) == "YouthConnect SPU"
    assert team.group.name == f"Team: {youthconnect().pk}/unit:SPU"


def test_a_unit_team_is_made_once_per_organisation_and_unit(personas):
    first = team_get_or_create(organisation=youthconnect(), unit=unit("SPU"))
    again = team_get_or_create(organisation=youthconnect(), unit=unit("SPU"), kind=Team.Kind.UNIT)
    other = team_get_or_create(organisation=Organisation.objects.get(short_name="Roca"), unit=unit("SPU"))

    assert again.pk == first.pk
    assert other.pk != first.pk


def test_a_unit_team_and_a_district_team_with_the_same_code_are_different_queues(personas):
    same_code = Unit.objects.create(code="B2", name="A unit coded like a district")

    by_unit = team_get_or_create(organisation=youthconnect(), unit=same_code)
    by_district = team_get_or_create(organisation=youthconnect(), district=District.objects.get(code="B2"))

    assert by_unit.group_id != by_district.group_id


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": Team.Kind.UNIT}, "a unit team needs a unit"),
        ({"kind": Team.Kind.ON_CALL, "unit": "SPU"}, "a unit team needs a unit; other teams have none"),
        ({"kind": Team.Kind.DISTRICT, "unit": "SPU"}, "a district team needs a district"),
        ({"district": "B2", "unit": "SPU"}, "a district team needs a district; other teams have none"),
    ],
)
def test_a_team_names_a_unit_if_and_only_if_it_is_a_unit_team(personas, kwargs, message):
    if "unit" in kwargs:
        kwargs["unit"] = unit(kwargs["unit"])
    if "district" in kwargs:
        kwargs["district"] = District.objects.get(code=kwargs["district"])

    with pytest.raises(ValueError, match=message):
        team_get_or_create(organisation=youthconnect(), **kwargs)


@pytest.mark.parametrize(
    "row",
    [
        {"kind": Team.Kind.UNIT},  # a unit team without its unit
        {"kind": Team.Kind.DISTRICT, "district": "B2", "unit": "SPU"},  # a district team with a unit
        {"kind": Team.Kind.ON_CALL, "unit": "SPU"},
        {"kind": Team.Kind.UNIT, "unit": "YVSF"},  # a second YVSF team for YouthConnect (the demo made one)
    ],
)
def test_the_database_refuses_a_team_row_that_breaks_the_unit_rules(personas, row):
    row = dict(row)
    if "unit" in row:
        row["unit"] = unit(row["unit"])
    if "district" in row:
        row["district"] = District.objects.get(code=row["district"])
    group = Group.objects.create(name="Team: stray")

    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(organisation=youthconnect(), group=group, **row)


def test_on_call_and_supervisors_stay_one_per_organisation(personas):
    group = Group.objects.create(name="Team: second on-call")

    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(organisation=youthconnect(), kind=Team.Kind.ON_CALL, group=group)


# --- membership_sync_groups ----------------------------------------------------------------------------------------


def test_a_worker_posted_with_a_unit_is_in_that_unit_teams_group(personas):
    # The demo's youth.e13 works E13 and the Youth Violence Strike Force.
    assert team_groups(personas["youth.e13"]) == {
        "YouthConnect E13",
        "YouthConnect YVSF",
        "YouthConnect citywide on-call",
    }


def test_a_clinician_covering_two_units_is_in_both_unit_teams(personas):
    user = new_user("clinician.units")
    best = Organisation.objects.get(short_name="BEST")
    membership_create(user=user, organisation=best, role=Role.CLINICIAN, units=[unit("SPU"), unit("DVU")])

    assert team_groups(user) == {"BEST SPU", "BEST DVU", "BEST citywide on-call"}


@pytest.mark.parametrize("role", [Role.WORKER_SUPERVISOR, Role.OFFICER, Role.HUB_MEMBER])
def test_only_the_front_line_joins_unit_teams(personas, role):
    user = new_user(f"not.front.line.{role}")
    membership_create(user=user, organisation=youthconnect(), role=role, units=[unit("SPU")])

    assert "YouthConnect SPU" not in team_groups(user)


def test_a_unit_taken_off_a_membership_takes_the_worker_out_of_its_team(personas):
    worker = personas["youth.e13"]
    membership = Membership.objects.get(user=worker, organisation=youthconnect())
    membership.units.set([unit("SPU")])

    membership_sync_groups(user=worker)

    assert team_groups(worker) == {"YouthConnect E13", "YouthConnect SPU", "YouthConnect citywide on-call"}
    assert not unit_team("YVSF").group.user_set.filter(pk=worker.pk).exists()


def test_an_ended_membership_leaves_no_unit_team(personas):
    worker = personas["youth.e13"]
    Membership.objects.filter(user=worker).update(is_active=False)

    membership_sync_groups(user=worker)

    assert team_groups(worker) == set()
