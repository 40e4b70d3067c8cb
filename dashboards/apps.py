from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = "Dashboards and open data"

    def ready(self) -> None:
        # Lower apps never import dashboards: the referrals demo runs this app's seeder after its own.
        from dashboards.demo import dashboards_demo
        from referrals import demo

        demo.register_seeder("dashboards", dashboards_demo)
