from django.apps import AppConfig


class CoResponseConfig(AppConfig):
    name = "referrals.workflows.co_response"
    label = "co_response"
    verbose_name = "Co-response workflow"

    def ready(self) -> None:
        from referrals import events, workflows
        from referrals.workflows.co_response import kinds
        from referrals.workflows.co_response.spec import SPEC

        events.register(kinds.EVENT_KINDS)
        workflows.register(SPEC)
