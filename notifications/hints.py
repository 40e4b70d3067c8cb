"""Websocket hints: "this changed, fetch it again". A hint carries a topic and a sequence number, never data.

Groups: ``team-<group id>`` (a district queue), ``org-<organisation id>`` (a partner's supervisors),
``user-<user id>`` (one person's pages), ``session-<digest of the session key>`` (the pages of one sign-in: closed
at its logout or expiry; never the key itself, which would sign anyone in),
``district-<district id>`` (police supervisors' district lists),
``hub-table-<table id>`` (a Hub table's agenda and situation pages).
Callers pass plain ids, so this app knows nothing of referrals or Hub situations.
Call these from ``transaction.on_commit``: a hint for a change that rolled back would send a page after nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from notifications import relay

log = logging.getLogger(__name__)


def team_group(group_id: int) -> str:
    return f"team-{group_id}"


def organisation_group(organisation_id: int) -> str:
    return f"org-{organisation_id}"


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def district_group(district_id: int) -> str:
    """Police supervisors' district lists."""
    return f"district-{district_id}"


def hub_table_group(table_id: int) -> str:
    """A Hub table's pages (its agenda, its situations); also sent to each person's own group."""
    return f"hub-table-{table_id}"


def session_group(session_key: str) -> str:
    """The group of one sign-in's sockets. A digest: group names reach Redis keys and logs, the key must not."""
    digest = hashlib.sha256(("handoff-session-group:" + session_key).encode()).hexdigest()[:40]
    return f"session-{digest}"


def _send(groups: list[str], message: dict) -> None:
    if settings.HINT_RELAY_URL:
        try:
            relay.post(groups, message)
        except Exception as exc:  # the page's slow poll still catches up
            log.warning("hint not relayed (%s)", type(exc).__name__)
        return
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all():
        # Concurrently: with Redis each group_send is a round trip, and a busy team's fan-out is hundreds of them.
        await asyncio.gather(*(layer.group_send(group, message) for group in groups))

    try:
        async_to_sync(send_all)()
    except Exception as exc:  # a hint lost is a page refreshed by its slow poll, never a failed request
        log.warning("hint not sent (%s)", type(exc).__name__)


def referral_changed(
    *,
    public_id: str,
    team_group_ids: set[int],
    user_ids: set[int],
    organisation_id: int,
    sequence: int,
    district_ids: set[int] = frozenset(),
) -> None:
    """The caller decides who hears: partner queues and people always, police districts only when police may."""
    groups = [team_group(g) for g in sorted(team_group_ids)]
    groups.append(organisation_group(organisation_id))
    groups += [user_group(u) for u in sorted(user_ids)]
    groups += [district_group(d) for d in sorted(district_ids)]
    _send(groups, {"type": "hint", "topic": "referrals", "ref": public_id, "seq": sequence})


def hub_situation_changed(*, public_id: str, table_id: int, user_ids, sequence: int) -> None:
    """Situation ``public_id`` changed: its table's pages and the people at the table fetch it again."""
    groups = [hub_table_group(table_id)] + [user_group(u) for u in sorted(set(user_ids))]
    _send(groups, {"type": "hint", "topic": "hub-situation", "ref": public_id, "seq": sequence})


def hub_agenda_changed(*, table_id: int, user_ids, sequence: int) -> None:
    """A meeting agenda of table ``table_id`` changed (an item added, a meeting opened or closed, attendance)."""
    groups = [hub_table_group(table_id)] + [user_group(u) for u in sorted(set(user_ids))]
    _send(groups, {"type": "hint", "topic": "hub-agenda", "ref": str(table_id), "seq": sequence})


def session_ended(*, session_key: str) -> None:
    """Close the sockets of one sign-in (its logout or expiry); the person's other sign-ins keep theirs."""
    _send([session_group(session_key)], {"type": "session.end"})


def account_sessions_ended(*, user_id: int) -> None:
    """Close every socket of a person (log out everywhere, a new password, a deactivated account)."""
    _send([user_group(user_id)], {"type": "session.end"})


def inbox_changed(*, user_ids) -> None:
    """One send for everyone whose inbox changed: a request reaching a busy team notifies all of its members."""
    groups = [user_group(user_id) for user_id in sorted(set(user_ids))]
    if groups:
        _send(groups, {"type": "hint", "topic": "inbox", "ref": "", "seq": 0})
