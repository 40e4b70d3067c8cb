from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from accounts.models import PARTNER_ROLES, SUPERVISOR_ROLES, Membership, Role
from notifications import groups as extra
from notifications.hints import district_group, organisation_group, team_group, user_group

SIGNED_OUT = 4401


@database_sync_to_async
def _groups_for(user) -> list[str]:
    groups = [user_group(user.pk)]
    groups += [team_group(pk) for pk in user.groups.filter(team__isnull=False).values_list("pk", flat=True)]
    supervised = Membership.objects.filter(
        user=user, is_active=True, role__in=SUPERVISOR_ROLES & PARTNER_ROLES
    ).values_list("organisation_id", flat=True)
    groups += [organisation_group(pk) for pk in supervised]
    police_districts = Membership.objects.filter(
        user=user, is_active=True, role=Role.POLICE_SUPERVISOR, districts__isnull=False
    ).values_list("districts", flat=True)
    groups += [district_group(pk) for pk in sorted(set(police_districts))]
    # Groups of apps above this one (the Hub's tables), from the providers they registered.
    groups += [group for group in extra.extra_groups(user) if group not in groups]
    return groups


@database_sync_to_async
def _seconds_left(session) -> float:
    if session is None:
        return 0
    # get_expiry_age() counts a full session age from now; a sign-in made hours ago ends when its stored row says.
    if hasattr(session, "get_model_class") and session.session_key:
        expire_date = (
            session.get_model_class()
            .objects.filter(session_key=session.session_key)
            .values_list("expire_date", flat=True)
            .first()
        )
        return (expire_date - timezone.now()).total_seconds() if expire_date else 0
    return session.get_expiry_age()


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Joins the signed-in user's groups and passes hints on. Sends nothing else, accepts nothing from the page.

    Refused: no session (4401). Closed: at logout (a "session.end" to the user's group) and when the session
    expires (a timer set at connect), so a socket never outlives the sign-in that opened it.
    """

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=SIGNED_OUT)
            return
        self.groups_joined = await _groups_for(user)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        seconds = await _seconds_left(self.scope.get("session"))
        self.expiry = asyncio.get_running_loop().call_later(
            max(seconds, 0), lambda: asyncio.ensure_future(self.close(code=SIGNED_OUT))
        )

    async def disconnect(self, code) -> None:
        expiry = getattr(self, "expiry", None)
        if expiry is not None:
            expiry.cancel()
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        return  # the page only listens

    async def hint(self, event) -> None:
        await self.send_json({"topic": event["topic"], "ref": event.get("ref", ""), "seq": event["seq"]})

    async def session_end(self, event) -> None:
        await self.close(code=SIGNED_OUT)
