"""A clinical, partner, Hub or privacy-officer membership granted by an administrator waits for a second
administrator: pending, it opens nothing anywhere; its granter, and the person it is for, cannot confirm it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import Membership, Organisation, Role, SecurityEvent
from accounts.selectors import memberships_of
from accounts.services import (
    GrantRefused,
    membership_create,
    membership_grant_confirm,
    membership_grant_refuse,
)
from districts.models import District
from tests.referrals.factories import file_referral

ADMIN, SECOND = "admin", "admin.second"


@pytest.fixture
def best():
    return Organisation.objects.get(short_name="BEST")


@pytest.fixture
def b2_referral(personas):
    return file_referral(personas["officer.b2"], "B2")


def _fresh(user):
    """The user as a new request sees them (memberships and permissions are cached per request)."""
    return get_user_model().objects.get(pk=user.pk)


def _grant_clinician_to_self(personas, best) -> Membership:
    admin = personas[ADMIN]
    return membership_create(
        user=admin,
        organisation=best,
        role=Role.CLINICIAN,
        districts=District.objects.filter(code="B2"),
        granted_by=admin,
    )


def _kinds() -> list[str]:
    return list(
        SecurityEvent.objects.filter(kind__startswith="membership_").order_by("pk").values_list("kind", flat=True)
    )


def test_an_administrator_granting_themselves_a_clinician_membership_reads_nothing(client, personas, best, b2_referral):
    membership = _grant_clinician_to_self(personas, best)
    assert membership.pending and membership.granted_by == personas[ADMIN]
    admin = _fresh(personas[ADMIN])
    assert memberships_of(admin) == []
    assert not admin.groups.filter(name__startswith="Team: ").exists()
    assert not admin.groups.filter(name="Role: Clinician").exists()
    client.force_login(admin)
    assert client.get(reverse("referrals:queue")).status_code == 403
    assert client.get(reverse("referrals:case", args=[b2_referral.public_id])).status_code == 403
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.MEMBERSHIP_GRANTED)
    assert (event.user, event.actor) == (personas[ADMIN], personas[ADMIN])
    assert "Clinician" in event.detail and "awaiting" in event.detail


def test_the_granting_administrator_cannot_confirm_nor_refuse_their_own_grant(personas, best):
    membership = _grant_clinician_to_self(personas, best)
    for decide in (membership_grant_confirm, membership_grant_refuse):
        with pytest.raises(GrantRefused, match="second administrator"):
            decide(membership=membership, actor=personas[ADMIN])
    membership.refresh_from_db()
    assert membership.pending and membership.is_active and membership.confirmed_by is None
    assert _kinds() == ["membership_granted"]


def test_nobody_confirms_a_grant_to_themselves(personas, best):
    # admin.second grants admin a membership; admin may not confirm it, admin.second (the granter) neither.
    membership = membership_create(
        user=personas[ADMIN], organisation=best, role=Role.CLINICIAN, granted_by=personas[SECOND]
    )
    with pytest.raises(GrantRefused, match="to themselves"):
        membership_grant_confirm(membership=membership, actor=personas[ADMIN])
    with pytest.raises(GrantRefused, match="second administrator"):
        membership_grant_confirm(membership=membership, actor=personas[SECOND])
    assert Membership.objects.get(pk=membership.pk).pending


def test_someone_who_is_not_an_administrator_cannot_confirm(personas, best):
    membership = _grant_clinician_to_self(personas, best)
    with pytest.raises(GrantRefused, match="Only an administrator"):
        membership_grant_confirm(membership=membership, actor=personas["clinician.supervisor"])
    assert Membership.objects.get(pk=membership.pk).pending


def test_a_second_administrator_confirms_and_the_membership_then_opens_the_queue(client, personas, best, b2_referral):
    membership = _grant_clinician_to_self(personas, best)
    membership_grant_confirm(membership=membership, actor=personas[SECOND])
    membership.refresh_from_db()
    assert not membership.pending and membership.confirmed_by == personas[SECOND] and membership.confirmed_at
    admin = _fresh(personas[ADMIN])
    assert [m.pk for m in memberships_of(admin)] == [membership.pk]
    client.force_login(admin)
    assert client.get(reverse("referrals:queue")).status_code == 200
    assert client.get(reverse("referrals:case", args=[b2_referral.public_id])).status_code == 200
    assert _kinds() == ["membership_granted", "membership_confirmed"]
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.MEMBERSHIP_CONFIRMED)
    assert (event.user, event.actor) == (personas[ADMIN], personas[SECOND])
    with pytest.raises(GrantRefused, match="not waiting"):
        membership_grant_confirm(membership=membership, actor=personas[SECOND])


def test_a_refused_grant_stays_on_record_inactive_and_opens_nothing(client, personas, best):
    membership = _grant_clinician_to_self(personas, best)
    membership_grant_refuse(membership=membership, actor=personas[SECOND])
    membership.refresh_from_db()
    assert not membership.pending and not membership.is_active
    assert memberships_of(_fresh(personas[ADMIN])) == []
    assert _kinds() == ["membership_granted", "membership_refused"]


def test_a_police_membership_takes_effect_at_once(personas):
    bpd = Organisation.objects.get(short_name="BPD")
    user = get_user_model().objects.create_user(username="new.officer", password=None)
    membership = membership_create(user=user, organisation=bpd, role=Role.OFFICER, granted_by=personas[ADMIN])
    assert not membership.pending
    assert memberships_of(_fresh(user)) == [membership]
    assert _kinds() == []


def test_a_pending_membership_opens_nothing_anywhere(personas, best, b2_referral):
    """Every reader of memberships: the policy's memberships, team and role groups (object grants, Part 2 and
    break-glass permissions), the socket's groups, the reassignment choices, the roster's staff, the Hub."""
    from hub import policy as hub_policy
    from hub import services as hub_services
    from hub.models import Table
    from notifications.consumers import _groups_for
    from notifications.hints import organisation_group
    from referrals.forms import partner_members
    from referrals.selectors import referrals_for_partner
    from routing.selectors import front_line_staff

    user = get_user_model().objects.create_user(username="pending.person", password=None)
    membership_create(
        user=user, organisation=best, role=Role.CLINICAL_SUPERVISOR, all_districts=True, granted_by=personas[ADMIN]
    )
    membership_create(user=user, organisation=best, role=Role.CLINICIAN, all_districts=True, granted_by=personas[ADMIN])
    user = _fresh(user)
    assert memberships_of(user) == []
    assert not user.groups.exists()
    assert not user.has_perm("referrals.view_part2") and not user.has_perm("referrals.review_break_glass")
    assert not referrals_for_partner(user=user).exists()
    assert organisation_group(best.pk) not in _groups_for.func(user)  # the consumer's query, run in this thread
    assert user not in partner_members(b2_referral, role=Role.CLINICIAN)
    assert user not in front_line_staff(best)

    hub_org = Organisation.objects.get(short_name="BHA")
    membership_create(user=user, organisation=hub_org, role=Role.HUB_MEMBER, granted_by=personas[ADMIN])
    user = _fresh(user)
    for table in Table.objects.all():
        assert not hub_policy.acting_agencies(user, table).exists()
        assert user.pk not in hub_services.audience_ids(table.pk)


# --- the same through the admin's pages ------------------------------------------------------------------------------


def _admin_add(client, user, organisation, role, districts=()) -> object:
    return client.post(
        reverse("admin:accounts_membership_add"),
        {
            "user": user.pk,
            "organisation": organisation.pk,
            "role": role,
            "districts": [d.pk for d in districts],
            "is_active": "on",
            "phone": "",
        },
    )


def _admin_action(client, action: str, membership: Membership):
    return client.post(
        reverse("admin:accounts_membership_changelist"),
        {"action": action, "_selected_action": [membership.pk]},
        follow=True,
    )


def test_through_the_admin_a_self_grant_waits_and_only_a_second_administrator_confirms(client, personas, best):
    admin = personas[ADMIN]
    client.force_login(admin)
    response = _admin_add(client, admin, best, Role.CLINICIAN, District.objects.filter(code="B2"))
    assert response.status_code == 302
    membership = Membership.objects.get(user=admin, role=Role.CLINICIAN)
    assert membership.pending and membership.granted_by == admin
    assert memberships_of(_fresh(admin)) == []
    assert client.get(reverse("referrals:queue")).status_code == 403

    response = _admin_action(client, "confirm_grants", membership)
    assert "A second administrator confirms a grant" in response.content.decode()
    assert Membership.objects.get(pk=membership.pk).pending

    client.force_login(personas[SECOND])
    response = _admin_action(client, "confirm_grants", membership)
    assert "Confirmed" in response.content.decode()
    assert not Membership.objects.get(pk=membership.pk).pending
    client.force_login(admin)
    assert client.get(reverse("referrals:queue")).status_code == 200
    assert _kinds() == ["membership_granted", "membership_confirmed"]


def test_through_the_admin_changing_a_clinicians_districts_waits_again_but_a_phone_number_does_not(client, personas):
    clinician = personas["clinician.b2"]
    membership = Membership.objects.get(user=clinician, role=Role.CLINICIAN)
    client.force_login(personas[ADMIN])
    url = reverse("admin:accounts_membership_change", args=[membership.pk])
    data = {
        "user": clinician.pk,
        "organisation": membership.organisation_id,
        "role": Role.CLINICIAN,
        "districts": [d.pk for d in membership.districts.all()],
        "is_active": "on",
        "phone": "617-555-0199",
    }
    assert client.post(url, data).status_code == 302
    membership.refresh_from_db()
    assert membership.phone == "617-555-0199" and not membership.pending

    data["districts"] = [d.pk for d in District.objects.filter(code__in=["B2", "D4"])]
    assert client.post(url, data).status_code == 302
    membership.refresh_from_db()
    assert membership.pending and membership.granted_by == personas[ADMIN]
    assert memberships_of(_fresh(clinician)) == []
    assert not _fresh(clinician).groups.filter(name__startswith="Team: ").exists()
