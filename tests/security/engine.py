"""Ask one route as one persona, in a savepoint: the answer ("200", "302>login", "404"...) and whether data changed."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tests.security.conftest import MISSING_ID, MISSING_PUBLIC_ID, World, in_savepoint, row_counts
from tests.security.routes import Route

ANONYMOUS = ("anonymous", "inactive")
POLICE = ("officer.b2", "officer.d4", "sergeant.b2")
CLINICAL = ("clinician.b2", "clinician.c11", "clinician.supervisor")
CASEWORK = ("youth.e13", "youth.supervisor", "outreach.roca", "advocate.fjc", "trauma.line", "trauma.supervisor")
HUB = ("hub.coordinator", "agency.housing", "agency.school")
PERSONA_CLASSES = {
    "anonymous": ANONYMOUS,
    "police": POLICE,
    "clinical": CLINICAL,
    "casework": CASEWORK,
    "hub": HUB,
    "analyst": ("analyst",),
    "privacy": ("privacy.officer",),
    "admin": ("admin",),
}
PERSONAS = tuple(username for members in PERSONA_CLASSES.values() for username in members)
CLASS_OF = {username: name for name, members in PERSONA_CLASSES.items() for username in members}

# The referral each persona may reach ("own") and one of another district or partner ("foreign"), keys of
# World.referrals: co_b2 (co-response, B2, filed by officer.b2), co_c11 (co-response, C11, officer.d4), yc_e13
# (YouthConnect), so (street outreach), dv (DV advocacy), tc (trauma call-back), the last four filed by officer.d4.
OWN_REFERRAL = {
    "officer.d4": "co_c11",
    "clinician.c11": "co_c11",
    "youth.e13": "yc_e13",
    "youth.supervisor": "yc_e13",
    "outreach.roca": "so",
    "advocate.fjc": "dv",
    "trauma.line": "tc",
    "trauma.supervisor": "tc",
}  # everyone else: co_b2
FOREIGN_REFERRAL = {
    "officer.d4": "co_b2",
    "clinician.c11": "co_b2",
    "clinician.supervisor": "yc_e13",
    **dict.fromkeys(CASEWORK, "co_b2"),
}  # everyone else: co_c11
# Shifts, by the persona's partner organisation; the foreign shift is another partner's.
OWN_SHIFT = {"youth.supervisor": "YouthConnect", "youth.e13": "YouthConnect", "trauma.supervisor": "Trauma line"}
FOREIGN_SHIFT = {
    "clinician.supervisor": "YouthConnect",
    "clinician.b2": "YouthConnect",
    "clinician.c11": "YouthConnect",
}
VARIANTS = ("own", "foreign", "missing")


HUB_OBJECTS = {"table_id": "table", "meeting_id": "meeting", "item_id": "item", "public_id": "situation"}


def _hub_kwargs(route: Route, variant: str, world: World, slug: str | None) -> dict:
    """The same objects for every persona (World.hub): the matrix's rows say who may reach the "own" ones."""
    values: dict = {}
    for name in route.kwargs:
        if name in ("action", "change"):
            values[name] = slug
        elif variant == "missing":
            values[name] = MISSING_PUBLIC_ID if name == "public_id" else MISSING_ID
        else:
            values[name] = world.hub[HUB_OBJECTS[name]][variant]
    return values


def kwargs_for(route: Route, username: str, variant: str, world: World, slug: str | None = None) -> dict:
    if route.key.startswith("hub:"):
        return _hub_kwargs(route, variant, world, slug)
    values: dict = {}
    for name in route.kwargs:
        if name == "public_id":
            key = (OWN_REFERRAL if variant == "own" else FOREIGN_REFERRAL).get(
                username, "co_b2" if variant == "own" else "co_c11"
            )
            values[name] = MISSING_PUBLIC_ID if variant == "missing" else world.referrals[key].public_id
        elif name == "action":
            # The first step of the referral's workflow: the happy path for whoever holds it.
            key = OWN_REFERRAL.get(username, "co_b2")
            values[name] = "accept" if key.startswith("co_") else "assign"
        elif name == "notification_id":
            owner = username if variant == "own" and username in world.notifications else "officer.b2"
            if variant == "foreign" and username == "officer.b2":
                owner = "officer.d4"
            values[name] = MISSING_ID if variant == "missing" else world.notifications[owner]
        elif name == "shift_id":
            own = OWN_SHIFT.get(username, "BEST")
            foreign = FOREIGN_SHIFT.get(username, "BEST" if own != "BEST" else "YouthConnect")
            values[name] = MISSING_ID if variant == "missing" else world.shifts[own if variant == "own" else foreign]
        elif name == "provider":  # single sign-on: the world's enabled provider, a disabled one (as missing), none
            values[name] = {"own": "police", "foreign": "disabled-provider"}.get(variant, "no-such-provider")
        elif name == "pk":  # a break-glass opening: the world has none, so every variant is a missing one
            values[name] = MISSING_ID
        elif name in ("object_id", "id"):
            values[name] = MISSING_ID if variant == "missing" else _admin_object_id(route, world)
        elif name == "content_type_id":
            values[name] = ContentType.objects.get(app_label="referrals", model="referral").pk
        elif name == "app_label":
            values[name] = "referrals"
        elif name == "url":
            values[name] = "no-such-page/"
        elif name in ("uidb64", "token"):
            values[name] = {"uidb64": "MQ", "token": "set-password"}[name]
        else:
            raise AssertionError(f"{route.key}: no value for <{name}>: teach kwargs_for about it")
    return values


def _admin_object_id(route: Route, world: World):
    from django.apps import apps

    if route.admin_model is None:  # view_on_site
        return world.referrals["co_b2"].pk
    return apps.get_model(route.admin_model).objects.order_by("pk").values_list("pk", flat=True).first()


def url_for(route: Route, kwargs: dict) -> str:
    if route.key.startswith(("admin:app_list",)):
        return f"/admin/{kwargs['app_label']}/"
    if route.key == "admin/(?P<url>.*)$":
        return f"/admin/{kwargs['url']}"
    if not route.key.startswith("admin/"):  # a named route
        return reverse(route.key, kwargs=kwargs)
    path = route.pattern
    for name, value in kwargs.items():
        for converter in ("str", "int", "slug", "path", "uuid", ""):
            path = path.replace(f"<{converter}:{name}>" if converter else f"<{name}>", str(value))
    return "/" + path


def outcome(response) -> str:
    """ "200", "404", "405"...; a redirect says where to: "302>login", "302>admin_login", "302>admin" or "302"."""
    status = str(response.status_code)
    if response.status_code in (301, 302):
        target = urlsplit(response["Location"]).path
        if target == reverse("login"):
            return f"{status}>login"
        if target == reverse("admin:login"):
            return f"{status}>admin_login"
        if target == reverse("admin:index"):
            return f"{status}>admin"
    return status


def sign_in(client, world: World, username: str) -> None:
    client.logout()
    if username != "anonymous":
        client.force_login(world.users[username])


def ask(client, method: str, url: str, data: dict | None = None) -> tuple[str, set[str]]:
    """The outcome of one request in a rolled-back savepoint, and the tables whose row count it changed."""

    def run():
        before = row_counts()
        response = getattr(client, method.lower())(url, data or {})
        after = row_counts()
        return outcome(response), {table for table, count in after.items() if before[table] != count}

    return in_savepoint(run)
