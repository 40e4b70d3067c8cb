"""Secure defaults from the first page: CSP, htmx configuration, no-store, CSRF in hx-headers."""

from __future__ import annotations

import json
import re


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_csp_allows_no_inline_script_or_style_and_no_eval(client, db):
    directives = csp_directives(client.get("/accounts/login/"))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response_text_of(directives)
    assert "'unsafe-eval'" not in response_text_of(directives)


def response_text_of(directives: dict[str, list[str]]) -> str:
    return " ".join(" ".join(values) for values in directives.values())


def test_pages_have_no_inline_script_or_style(client, login):
    login("officer.b2")
    html = client.get("/accounts/me/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html
    assert " style=" not in html


def test_htmx_is_configured_through_its_meta_tag(client, db):
    html = client.get("/accounts/login/").content.decode()
    match = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert match
    config = json.loads(match.group(1))
    assert config["allowEval"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["historyCacheSize"] == 0


def test_signed_in_pages_are_never_stored(client, login):
    login("clinician.b2")
    response = client.get("/accounts/me/")
    assert response.status_code == 200
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert "no-store" in cache_control
    assert "private" in cache_control


def test_csrf_token_travels_in_hx_headers_on_body(client, login):
    login("officer.b2")
    html = client.get("/accounts/me/").content.decode()
    match = re.search(r"<body hx-headers='([^']*)'", html)
    assert match
    assert json.loads(match.group(1))["X-CSRFToken"]


def test_htmx_is_served_from_this_site(client, db):
    html = client.get("/accounts/login/").content.decode()
    sources = re.findall(r"<script src=\"([^\"]+)\"", html)
    assert sources
    assert all(src.startswith("/static/") for src in sources)
