"""Hints from processes that hold no websockets, in the embedded setup (no Redis).

With REDIS_URL, channels-redis carries a hint from any process (a huey worker escalating a request) to the socket
in whichever web process holds it. Without Redis the channel layer is in-memory, per process: a hint sent by the
worker would reach nobody. So there the worker posts its hints to the web server (HINT_RELAY_URL), signed with
SECRET_KEY, and the web server passes them to its in-memory layer. Hints carry no data, so nothing sensitive
travels either way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import urllib.request

from django.conf import settings

log = logging.getLogger(__name__)

ALLOWED_TYPES = {"hint", "session.end"}
# The channel layer's own rule for a group name (channels.layers.BaseChannelLayer.valid_group_name): anything else
# makes group_send raise, a 500 for the relay.
GROUP_NAME = re.compile(r"[a-zA-Z0-9\-_.]{1,99}", re.ASCII)


def signature(body: bytes) -> str:
    key = hashlib.sha256(("handoff-hint-relay:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def post(groups: list[str], message: dict) -> None:
    body = json.dumps({"groups": groups, "message": message}).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting, http(s) only
        settings.HINT_RELAY_URL,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Handoff-Signature": signature(body)},
    )
    with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
        response.read()


def parse(body: bytes, given_signature: str) -> tuple[list[str], dict] | None:
    """The groups and message of a correctly signed relay post, or None."""
    if not hmac.compare_digest(signature(body), given_signature or ""):
        return None
    try:
        payload = json.loads(body)
        groups, message = payload["groups"], payload["message"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(groups, list) or not all(isinstance(g, str) and GROUP_NAME.fullmatch(g) for g in groups):
        return None
    if not isinstance(message, dict) or message.get("type") not in ALLOWED_TYPES:
        return None
    return groups, message
