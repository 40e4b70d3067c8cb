"""Every route the URL configuration serves, as (key, pattern, kwargs names), walked from ``get_resolver()``."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name"; the pattern itself for an unnamed route (the admin's object redirects)
    pattern: str  # the whole pattern, e.g. "referrals/<str:public_id>/"
    kwargs: tuple[str, ...]
    admin_model: str | None = None  # "app_label.model" for a route a ModelAdmin serves

    @property
    def is_admin(self) -> bool:
        return self.pattern.startswith("admin/")


def _walk(resolver, prefix: str, namespace: str | None, model: str | None):
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            owner = model
            # A ModelAdmin's urls are included from "<app_label>/<model_name>/".
            parts = str(entry.pattern).strip("/").split("/")
            if inner == "admin" and len(parts) == 2 and not any("<" in part or "^" in part for part in parts):
                owner = ".".join(parts)
            yield from _walk(entry, pattern, inner, owner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            converters = tuple(entry.pattern.converters) or tuple(entry.pattern.regex.groupindex)
            yield Route(key=name or pattern, pattern=pattern, kwargs=converters, admin_model=model)


def all_routes() -> list[Route]:
    routes = list(_walk(get_resolver(), "", None, None))
    prefixes = (settings.STATIC_URL, getattr(settings, "MEDIA_URL", ""))
    skip = tuple(prefix.lstrip("/") for prefix in prefixes if prefix and prefix.lstrip("/"))
    return [route for route in routes if not (skip and route.pattern.startswith(skip))]
