from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate


def _sync_role_groups(sender, *, apps=global_apps, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    # Runs on accounts' own post_migrate, which every migrate sends. The apps listed after accounts (routing,
    # notifications, referrals) have not had theirs yet, so auth has not created their permissions: create every
    # app's permissions first, as auth does per app (it skips those that exist). Keeping the role groups in step
    # with accounts.roles is set-up, not business logic.
    from django.contrib.auth.management import create_permissions

    from accounts.services import role_groups_sync

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, interactive=False, using=using, apps=apps)
    role_groups_sync()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Organisations and people"

    def ready(self) -> None:
        post_migrate.connect(_sync_role_groups, sender=self, dispatch_uid="accounts.role_groups_sync")
        # The security audit log listens to auth's own extension points (and axes' lockout signal): sign-ins happen
        # in django.contrib.auth's views and the admin's, which call no Handoff service.
        from axes.signals import user_locked_out
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_save

        from accounts import audit, sessions

        user_logged_in.connect(audit.on_user_logged_in, dispatch_uid="accounts.audit.logged_in")
        user_logged_out.connect(audit.on_user_logged_out, dispatch_uid="accounts.audit.logged_out")
        user_login_failed.connect(audit.on_user_login_failed, dispatch_uid="accounts.audit.login_failed")
        user_locked_out.connect(audit.on_user_locked_out, dispatch_uid="accounts.audit.locked_out")
        # Session limits and ends (accounts/sessions.py): stamped at sign-in, and every session of an account ended
        # when it is deactivated or its password changes, whichever view or admin form did it.
        user_logged_in.connect(sessions.on_user_logged_in, dispatch_uid="accounts.sessions.logged_in")
        user_logged_out.connect(sessions.on_user_logged_out, dispatch_uid="accounts.sessions.logged_out")
        post_save.connect(sessions.on_user_saved, sender=get_user_model(), dispatch_uid="accounts.sessions.user_saved")
