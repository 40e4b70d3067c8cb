"""Every migrate leaves each role group with exactly the permissions of accounts.roles, whatever the app order."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.test import override_settings

from accounts.models import Role
from accounts.roles import ROLE_PERMISSIONS, role_group_name

pytestmark = pytest.mark.django_db

APPS_AFTER_ACCOUNTS = ["routing", "notifications", "referrals"]


def _role_group_permissions() -> dict[str, set[str]]:
    groups = Group.objects.filter(name__startswith="Role: ").prefetch_related("permissions__content_type")
    return {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()} for group in groups
    }


def _expected() -> dict[str, set[str]]:
    return {role_group_name(role): set(perms) for role, perms in ROLE_PERMISSIONS.items()}


def test_migrate_with_a_model_less_app_last_still_gives_the_role_groups_their_permissions():
    Group.objects.filter(name__startswith="Role: ").delete()

    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "django.contrib.humanize"]):
        assert list(apps.get_app_configs())[-1].models_module is None  # no post_migrate is ever sent for it
        call_command("migrate", verbosity=0, interactive=False)

    assert _role_group_permissions() == _expected()


def test_the_sync_on_accounts_creates_the_permissions_of_apps_migrated_after_it():
    # As on a fresh database: accounts' post_migrate comes before the later apps have their permissions.
    Permission.objects.filter(content_type__app_label__in=APPS_AFTER_ACCOUNTS).delete()
    Group.objects.filter(name__startswith="Role: ").delete()

    post_migrate.send(
        sender=apps.get_app_config("accounts"),
        app_config=apps.get_app_config("accounts"),
        verbosity=0,
        interactive=False,
        using="default",
        apps=apps,
        plan=[],
    )

    assert _role_group_permissions() == _expected()
    assert any(perm.startswith("routing.") for perm in _role_group_permissions()[role_group_name(Role.ADMINISTRATOR)])


def test_every_permission_named_in_the_roles_table_exists():
    named = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }

    assert named <= existing
