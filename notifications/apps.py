from django.apps import AppConfig


def _close_session_sockets(sender, session_key, **kwargs) -> None:
    from notifications.hints import session_ended

    session_ended(session_key=session_key)


def _close_account_sockets(sender, user_id, **kwargs) -> None:
    from notifications.hints import account_sessions_ended

    account_sessions_ended(user_id=user_id)


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications and live updates"

    def ready(self) -> None:
        from accounts.sessions import account_sessions_changed, session_ended

        # Closing the sockets of an ended sign-in is plumbing for the session, not business logic: accounts says
        # which sign-in or which account ended (after commit), this app closes their sockets.
        session_ended.connect(_close_session_sockets, dispatch_uid="notifications.close_session_sockets")
        account_sessions_changed.connect(_close_account_sockets, dispatch_uid="notifications.close_account_sockets")
