"""Hints from processes that hold no websockets, in the embedded setup (no Redis).

With REDIS_URL, channels-redis carries a hint from any process (a huey worker escalating a request) to the socket
in whichever web process holds it. Without Redis the channel layer is in-memory, per process: a hint sent by the
worker would reach nobody. So there the worker posts its hints to the web server (HINT_RELAY_URL), signed with
SECRET_KEY, and the web server passes them to its in-memory layer. Hints carry no data, so nothing sensitive
travels either way.

Each post carries a timestamp and a one-time number inside what is signed: the web server refuses a post whose
timestamp is outside HINT_RELAY_WINDOW_SECONDS, and one whose number it has seen (a replayed capture), keeping the
numbers it has seen in the database (RelayNonce) for as long as their timestamps could still pass.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import urllib.request
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from notifications.models import RelayNonce

log = logging.getLogger(__name__)

ALLOWED_TYPES = {"hint", "session.end"}
# The channel layer's own rule for a group name (channels.layers.BaseChannelLayer.valid_group_name): anything else
# makes group_send raise, a 500 for the relay.
GROUP_NAME = re.compile(r"[a-zA-Z0-9\-_.]{1,99}", re.ASCII)


def signature(body: bytes) -> str:
    key = hashlib.sha256(("handoff-hint-relay:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def envelope(groups: list[str], message: dict, *, now: float | None = None) -> bytes:
    """The body of a relay post: the hint, when it was sent, and a number used once."""
    sent = int(time.time() if now is None else now)
    return json.dumps({"groups": groups, "message": message, "ts": sent, "nonce": secrets.token_hex(16)}).encode()


def post(groups: list[str], message: dict) -> None:
    body = envelope(groups, message)
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting, http(s) only
        settings.HINT_RELAY_URL,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Handoff-Signature": signature(body)},
    )
    with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
        response.read()


def parse(body: bytes, given_signature: str) -> tuple[list[str], dict] | None:
    """The groups and message of a correctly signed, fresh relay post seen for the first time, or None."""
    if not hmac.compare_digest(signature(body), given_signature or ""):
        return None
    try:
        payload = json.loads(body)
        groups, message = payload["groups"], payload["message"]
        sent, nonce = int(payload["ts"]), payload["nonce"]
    except (ValueError, KeyError, TypeError, OverflowError):
        return None
    if not isinstance(nonce, str) or not 16 <= len(nonce) <= 64:
        return None
    if not isinstance(groups, list) or not all(isinstance(g, str) and GROUP_NAME.fullmatch(g) for g in groups):
        return None
    if not isinstance(message, dict) or message.get("type") not in ALLOWED_TYPES:
        return None
    if abs(time.time() - sent) > settings.HINT_RELAY_WINDOW_SECONDS:
        log.warning("relayed hint refused: its timestamp is outside the window")
        return None
    if not nonce_claim(nonce):
        log.warning("relayed hint refused: replayed")
        return None
    return groups, message


def nonce_claim(nonce: str) -> bool:
    """Record a post's one-time number; False if it was already recorded (a replay)."""
    now = datetime.now(UTC)
    # A number whose timestamp has left the window cannot pass again: forget it (twice the window, for clock skew).
    RelayNonce.objects.filter(received_at__lt=now - timedelta(seconds=2 * settings.HINT_RELAY_WINDOW_SECONDS)).delete()
    try:
        with transaction.atomic():
            RelayNonce.objects.create(nonce=nonce, received_at=now)
    except IntegrityError:
        return False
    return True
