from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from accounts.models import (
    FRONTLINE_PARTNER_ROLES,
    PARTNER_ROLES,
    SUPERVISOR_ROLES,
    Membership,
    Organisation,
    Role,
    Team,
)
from accounts.roles import ROLE_PERMISSIONS, role_group_name
from districts.models import District, Unit


def role_groups_sync() -> None:
    """Create one group per role and give it exactly the model permissions of ROLE_PERMISSIONS."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role_group_name(role))
        wanted = Q(pk__in=[])
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))


def team_get_or_create(
    *,
    organisation: Organisation,
    district: District | None = None,
    kind: str | None = None,
    unit: Unit | None = None,
) -> Team:
    """The organisation's queue for a district or a unit, or its citywide on-call or supervisors queue (by kind).

    Without a kind, a unit means the unit team and anything else the district team.
    """
    if kind is None:
        kind = Team.Kind.UNIT if unit is not None else Team.Kind.DISTRICT
    if (kind == Team.Kind.DISTRICT) != (district is not None):
        raise ValueError("a district team needs a district; other teams have none")
    if (kind == Team.Kind.UNIT) != (unit is not None):
        raise ValueError("a unit team needs a unit; other teams have none")
    team = (
        Team.objects.filter(organisation=organisation, district=district, unit=unit, kind=kind)
        .select_related("group", "organisation", "district", "unit")
        .first()
    )
    if team:
        return team
    if district is not None:
        suffix = district.code
    elif unit is not None:
        suffix = f"unit:{unit.code}"  # a unit's code may equal a district's
    else:
        suffix = kind
    group, _ = Group.objects.get_or_create(name=f"Team: {organisation.pk}/{suffix}")
    team, _ = Team.objects.get_or_create(
        organisation=organisation, district=district, unit=unit, kind=kind, defaults={"group": group}
    )
    return team


def _managed_groups() -> Q:
    return Q(name__startswith="Role: ") | Q(name__startswith="Team: ")


@transaction.atomic
def membership_sync_groups(*, user) -> None:
    """Put the user in the role and team groups their active memberships call for, and in no other managed ones."""
    wanted: set[int] = set()
    is_staff = user.is_superuser
    memberships = Membership.objects.filter(user=user, is_active=True).select_related("organisation")
    for membership in memberships.prefetch_related("districts", "units"):
        wanted.add(Group.objects.get_or_create(name=role_group_name(membership.role))[0].pk)
        if membership.role == Role.ADMINISTRATOR:
            is_staff = True
        districts = District.objects.filter(is_active=True) if membership.all_districts else membership.districts.all()
        for district in districts:
            wanted.add(team_get_or_create(organisation=membership.organisation, district=district).group_id)
        # Anyone on the front line may work a citywide on-call shift; supervisors are the last queue of a chain.
        if membership.role in FRONTLINE_PARTNER_ROLES:
            team = team_get_or_create(organisation=membership.organisation, kind=Team.Kind.ON_CALL)
            wanted.add(team.group_id)
            # A worker posted with a citywide police unit (YVSF, School Police...) answers that unit's queue.
            for unit in membership.units.all():
                wanted.add(team_get_or_create(organisation=membership.organisation, unit=unit).group_id)
        if membership.role in SUPERVISOR_ROLES & PARTNER_ROLES:
            team = team_get_or_create(organisation=membership.organisation, kind=Team.Kind.SUPERVISORS)
            wanted.add(team.group_id)
    current = set(user.groups.filter(_managed_groups()).values_list("pk", flat=True))
    user.groups.remove(*(current - wanted))
    user.groups.add(*(wanted - current))
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])


def membership_create(
    *,
    user,
    organisation: Organisation,
    role: str,
    districts=(),
    units=(),
    all_districts: bool = False,
) -> Membership:
    with transaction.atomic():
        membership, _ = Membership.objects.update_or_create(
            user=user,
            organisation=organisation,
            role=role,
            defaults={"all_districts": all_districts, "is_active": True},
        )
        membership.districts.set(districts)
        membership.units.set(units)
        membership_sync_groups(user=user)
    return membership
