from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_role_groups(sender, **kwargs) -> None:
    # Permissions exist only once every app has migrated, so this runs after the last one. Keeping the role groups
    # in step with accounts.roles is set-up, not business logic.
    if sender.label != list(apps.get_app_configs())[-1].label:
        return
    from accounts.services import role_groups_sync

    role_groups_sync()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Organisations and people"

    def ready(self) -> None:
        post_migrate.connect(_sync_role_groups, dispatch_uid="accounts.role_groups_sync")
