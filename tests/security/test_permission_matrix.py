"""Every route of the URL configuration, asked by every persona about its own object, a foreign one and a missing
one, answers as the table in tests/security/matrix.py says; a refusal changes nothing, and a foreign object answers
exactly as a missing one (the privacy boundary: "not yours" and "does not exist" look the same)."""

from __future__ import annotations

import pytest
from django.contrib import admin

from tests.security import matrix
from tests.security.engine import PERSONAS, ask, kwargs_for, sign_in, url_for
from tests.security.routes import Route, all_routes

pytestmark = pytest.mark.django_db

REFUSALS = ("302>login", "302>admin_login", "400", "403", "404", "405", "409", "415", "422")
ADMIN_VIEWS = ("changelist", "add", "change", "delete", "history", "password")


def _admin_view(route: Route) -> str:
    if route.key.endswith("_password_change"):
        return "password"  # the user admin's set-password form
    suffix = route.key.rsplit("_", 1)[-1]
    return suffix if route.key.startswith("admin:") and suffix in ADMIN_VIEWS else "redirect"


def _base(key: str) -> str:
    return key.split("[", 1)[0]


def cases(route: Route) -> list[tuple[str | None, matrix.Expect]]:
    """The route's entries: (None, expect), or one (value, expect) per ``"key[value]"`` entry of its action slug."""
    if route.admin_model is not None:
        closed = matrix.ADMIN_MODELS.get(route.admin_model)
        return [] if closed is None else [(None, matrix.admin_model_expect(_admin_view(route), closed))]
    for group in matrix.GROUPS.values():
        found = [(key[len(route.key) + 1 : -1] or None, e) for key, e in group.items() if _base(key) == route.key]
        if found:
            return found
    return []


def _group_of(route: Route) -> str:
    if route.is_admin:
        return "admin"
    return next(
        (name for name, group in matrix.GROUPS.items() if any(_base(key) == route.key for key in group)), "unlisted"
    )


def _variants(route: Route) -> tuple[str, ...]:
    if not route.kwargs:
        return ("own",)
    # Nothing in the admin is another's: its door lets staff in or not, and the superuser reaches every row.
    return ("own", "missing") if route.is_admin else ("own", "foreign", "missing")


def test_every_route_has_an_entry():
    routes = all_routes()
    unlisted = sorted(f"{route.key}  ({route.pattern})" for route in routes if not cases(route))
    assert not unlisted, "routes without an entry in tests/security/matrix.py:\n" + "\n".join(unlisted)
    served = {route.key for route in routes if route.admin_model is None}
    stale = sorted(key for group in matrix.GROUPS.values() for key in group if _base(key) not in served)
    assert not stale, f"entries in tests/security/matrix.py for routes that no longer exist: {stale}"
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == set(matrix.ADMIN_MODELS), "matrix.ADMIN_MODELS must list exactly the admin's models"


def test_matrix_names_every_persona():
    for route in all_routes():
        for _slug, expect in cases(route):
            for answers in (expect.get, expect.post, expect.get_missing, expect.post_missing):
                assert not answers or set(answers) == set(PERSONAS), route.key


@pytest.mark.parametrize("group", [*matrix.GROUPS, "unlisted"])
def test_permission_matrix(client, world, group):
    client.raise_request_exception = False
    entries = [
        (route, slug, expect) for route in all_routes() if _group_of(route) == group for slug, expect in cases(route)
    ]
    wrong: list[str] = []
    asked = 0
    for username in PERSONAS:
        sign_in(client, world, username)
        for route, slug, expect in entries:
            audited = matrix.AUDITED.get(route.key, set())
            for method in ("GET", "POST"):
                own = expect.get if method == "GET" else expect.post
                missing = (expect.get_missing if method == "GET" else expect.post_missing) or own
                data = {} if route.is_admin else {"text": "From the security matrix."}
                answers = {}
                for variant in _variants(route):
                    url = url_for(route, kwargs_for(route, username, variant, world, slug))
                    answer, changed = ask(client, method, url, data)
                    changed -= audited
                    asked += 1
                    answers[variant] = answer
                    if client.session.get("_auth_user_id") is None and username != "anonymous":
                        sign_in(client, world, username)  # a logout route ended the session
                    wanted = own[username] if variant == "own" else missing[username]
                    if answer != wanted:
                        wrong.append(f"{method} {url} as {username}: {answer}, expected {wanted}")
                    if changed and (answer in REFUSALS or variant != "own"):
                        wrong.append(f"{method} {url} as {username}: {answer} but rows changed")
                if "foreign" in answers and answers["foreign"] != answers["missing"]:
                    wrong.append(
                        f"{method} {url} as {username}: foreign {answers['foreign']} but missing {answers['missing']}"
                    )
    assert asked or group == "unlisted"
    assert not wrong, f"{len(wrong)} of {asked} answers differ from tests/security/matrix.py:\n" + "\n".join(wrong)
