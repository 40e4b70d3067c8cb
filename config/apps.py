from django.apps import AppConfig


class HandoffConfig(AppConfig):
    """Project-wide behaviour that belongs to no one app; it has no models."""

    name = "config"
    verbose_name = "Handoff"

    def ready(self) -> None:
        from config import lookups  # noqa: F401 - registers the integer `in` lookup
