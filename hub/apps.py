from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Hub situation tables"

    def ready(self) -> None:
        # routing sweeps every registered deadline; hub hands it its own sweeper (routing never imports hub).
        from hub.services import door_knocks_escalate_due
        from routing import deadlines

        deadlines.register("hub.door_knock", door_knocks_escalate_due)
