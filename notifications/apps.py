from django.apps import AppConfig


def _close_sockets_on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        from notifications.hints import session_ended

        session_ended(user_id=user.pk)


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications and live updates"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        # Closing a signed-out user's sockets is plumbing for the session, not business logic.
        user_logged_out.connect(_close_sockets_on_logout, dispatch_uid="notifications.close_sockets")
