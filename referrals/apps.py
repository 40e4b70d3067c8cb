from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Programs and referrals"

    def ready(self) -> None:
        from referrals.services import follow_ups_remind_due, referrals_escalate_due
        from routing import deadlines

        deadlines.register("co_response.acceptance", referrals_escalate_due)
        deadlines.register("follow_up.due", follow_ups_remind_due)
