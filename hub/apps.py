from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Hub situation tables"

    def ready(self) -> None:
        # Lower apps never import hub: hub hands each what it needs.
        from hub.demo import hub_demo
        from hub.live import table_groups_for
        from hub.services import door_knocks_escalate_due
        from notifications import groups
        from referrals import demo
        from routing import deadlines

        # routing sweeps every registered deadline;
        deadlines.register("hub.door_knock", door_knocks_escalate_due)
        # the live socket joins the tables a person sits at;
        groups.register("hub.tables", table_groups_for)
        # `manage.py seed_demo` seeds the Hub's tables after the referrals demo.
        demo.register_seeder("hub", hub_demo)
