"""The live socket joins the Hub table groups of the tables its person sits at (the provider hub registers with
notifications.groups), hears "table changed" / "situation changed" hints from a real service call, and never
anything that names a person. Data is committed for real (transaction=True), as in tests/notifications/test_live.py.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from contextlib import asynccontextmanager

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from hub import services
from hub.live import table_groups_for
from hub.reference import reference_seed
from notifications import groups as extra_groups
from notifications import hints
from tests.hub import ADDRESS, NAME, build_hub_seed

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://127.0.0.1:8000"


@pytest.fixture
def application(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    if settings.REDIS_URL:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": f"handoff-hub-test-{os.getpid()}"},
            }
        }
    previous = sys.modules.pop("config.asgi", None)
    try:
        yield importlib.import_module("config.asgi").application
    finally:
        sys.modules.pop("config.asgi", None)
        if previous is not None:
            sys.modules["config.asgi"] = previous


@pytest.fixture
def seed(personas):
    # A transactional test's flush drops what the migration seeded: the reference data comes back first.
    reference_seed()
    return build_hub_seed(personas)


def _cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return b"sessionid=" + client.cookies["sessionid"].value.encode()


@asynccontextmanager
async def _connected(application, user):
    cookie = await sync_to_async(_cookie)(user)
    socket = WebsocketCommunicator(
        application, "/ws/live/", headers=[(b"origin", ORIGIN), (b"host", b"127.0.0.1:8000"), (b"cookie", cookie)]
    )
    connected, _ = await socket.connect(timeout=5)
    assert connected
    try:
        yield socket
    finally:
        await socket.disconnect()


def test_hub_registers_its_table_groups_with_notifications(seed):
    assert "hub.tables" in extra_groups._providers
    group = hints.hub_table_group(seed.table.pk)
    assert extra_groups.extra_groups(seed.users["school"]) == [group]
    assert table_groups_for(seed.coordinator) == [group]
    # An officer is not at the table (they hear of what they proposed through their own group), nor a clinician.
    assert table_groups_for(seed.users["officer"]) == []
    assert table_groups_for(seed.users["clinician"]) == []


def test_a_members_socket_hears_its_tables_hint_and_a_clinicians_does_not(application, seed):
    table_id = seed.table.pk

    async def scenario():
        async with (
            _connected(application, seed.users["school"]) as member,
            _connected(application, seed.users["clinician"]) as clinician,
        ):
            await sync_to_async(hints.hub_agenda_changed)(table_id=table_id, user_ids=(), sequence=5)
            heard = await member.receive_json_from(timeout=5)
            return heard, await clinician.receive_nothing(timeout=0.5)

    heard, clinician_heard_nothing = async_to_sync(scenario)()
    assert heard == {"topic": "hub-agenda", "ref": str(table_id), "seq": 5}
    assert clinician_heard_nothing


def test_a_service_change_reaches_the_table_with_no_identity_in_any_frame(application, seed):
    situation = seed.propose("housing")

    def put_on_agenda():
        meeting = seed.meeting()
        services.agenda_add(situation=situation, actor=seed.coordinator, meeting=meeting)

    async def scenario():
        frames = []
        async with _connected(application, seed.users["school"]) as member:
            await sync_to_async(put_on_agenda)()
            while not await member.receive_nothing(timeout=0.5):
                frames.append(await member.receive_from(timeout=1))
        return frames

    frames = async_to_sync(scenario)()
    topics = {json.loads(frame)["topic"] for frame in frames}
    assert {"hub-situation", "hub-agenda"} <= topics
    assert any(json.loads(frame)["ref"] == situation.public_id for frame in frames)
    for frame in frames:
        assert set(json.loads(frame)) == {"topic", "ref", "seq"}
        assert NAME not in frame and ADDRESS not in frame and "2008" not in frame and "Jordan" not in frame
