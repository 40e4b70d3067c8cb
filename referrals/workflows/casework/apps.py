from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "referrals.workflows.casework"
    label = "casework"
    verbose_name = "Casework workflow"

    def ready(self) -> None:
        from referrals import events, workflows
        from referrals.workflows.casework import kinds
        from referrals.workflows.casework.spec import SPEC

        events.register(kinds.EVENT_KINDS)
        workflows.register(SPEC)
