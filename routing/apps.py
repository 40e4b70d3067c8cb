from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Routes, rosters and deadlines"

    def ready(self) -> None:
        from programs.registry import serving_rule
        from routing.selectors import route_serving_condition

        serving_rule("routes", route_serving_condition)
