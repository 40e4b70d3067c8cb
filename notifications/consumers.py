from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.mfa import State, session_state
from accounts.models import PARTNER_ROLES, SUPERVISOR_ROLES, Membership, Role
from accounts.sessions import session_seconds_left
from notifications import groups as extra
from notifications.hints import district_group, organisation_group, session_group, team_group, user_group

SIGNED_OUT = 4401
TRY_AGAIN = 1011  # the page reconnects, and is asked again who it is

log = logging.getLogger(__name__)


@database_sync_to_async
def _groups_for(user) -> list[str]:
    groups = [user_group(user.pk)]
    groups += [team_group(pk) for pk in user.groups.filter(team__isnull=False).values_list("pk", flat=True)]
    supervised = Membership.objects.filter(
        user=user, is_active=True, pending=False, role__in=SUPERVISOR_ROLES & PARTNER_ROLES
    ).values_list("organisation_id", flat=True)
    groups += [organisation_group(pk) for pk in supervised]
    police_districts = Membership.objects.filter(
        user=user, is_active=True, pending=False, role=Role.POLICE_SUPERVISOR, districts__isnull=False
    ).values_list("districts", flat=True)
    groups += [district_group(pk) for pk in sorted(set(police_districts))]
    # Groups of apps above this one (the Hub's tables), from the providers they registered.
    groups += [group for group in extra.extra_groups(user) if group not in groups]
    return groups


@database_sync_to_async
def _seconds_left(session_key: str, user_id: int) -> float:
    return session_seconds_left(session_key, user_id)


@database_sync_to_async
def _second_step_done(user, session) -> bool:
    return session_state(user, session) == State.DONE


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Joins the signed-in user's groups and passes hints on. Sends nothing else, accepts nothing from the page.

    Refused (4401): no session, or a session that has not passed its second sign-in step (accounts.mfa). Closed
    with 4401 (the page shows "signed out"): at that sign-in's logout (a "session.end" to ``session-<digest>``), when
    the whole account is signed out (to ``user-<id>``: log out everywhere, a new password, deactivation), and when
    the session lapses. For that last, the socket looks at its session in the store at the moment its idle or
    absolute limit falls due, and at least every SESSION_SOCKET_RECHECK_SECONDS (a safety net for a lost message), so
    it never outlives the sign-in that opened it, whichever process serves it.
    """

    async def connect(self) -> None:
        user = self.scope.get("user")
        session = self.scope.get("session")
        if user is None or not user.is_authenticated or session is None or not session.session_key:
            await self.close(code=SIGNED_OUT)
            return
        if not await _second_step_done(user, session):
            await self.close(code=SIGNED_OUT)
            return
        self.session_key = session.session_key
        self.user_id = user.pk
        self.groups_joined = [session_group(self.session_key), *await _groups_for(user)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.watch = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        while True:
            try:
                left = await _seconds_left(self.session_key, self.user_id)
            except Exception as exc:  # the store is out of reach: no socket stays open on a sign-in unchecked
                log.warning("live socket closed: its session could not be checked (%s)", type(exc).__name__)
                await self.close(code=TRY_AGAIN)
                return
            if left <= 0:
                await self.close(code=SIGNED_OUT)
                return
            # A little past the deadline, so an idle limit reached exactly is reached.
            await asyncio.sleep(min(left + 0.05, settings.SESSION_SOCKET_RECHECK_SECONDS))

    async def disconnect(self, code) -> None:
        watch = getattr(self, "watch", None)
        if watch is not None:
            watch.cancel()
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        return  # the page only listens

    async def hint(self, event) -> None:
        await self.send_json({"topic": event["topic"], "ref": event.get("ref", ""), "seq": event["seq"]})

    async def session_end(self, event) -> None:
        await self.close(code=SIGNED_OUT)
