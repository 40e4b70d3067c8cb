"""Which live sockets hear of a referral's changes: police sockets (the filer's, the district lists of police
supervisors) only of police-visible events; partner sockets of every change.

The changes are made through the services and committed for real (transaction=True), so the hints go out from
``on_commit`` as they do in production, through the channel layer to sockets opened on config.asgi. Each scenario
runs under asgiref's async_to_sync, with the services called back on the test's thread (as in
tests/notifications/test_live.py).
"""

from __future__ import annotations

import importlib
import os
import sys
from contextlib import AsyncExitStack
from unittest import mock

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from districts.models import District
from notifications import hints
from notifications.consumers import _groups_for
from referrals import services
from referrals.workflows.co_response import services as co_response
from referrals.workflows.co_response.models import Disposition
from tests.referrals.factories import add_follow_up, file_referral

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://127.0.0.1:8000"
QUIET = 0.5  # seconds a socket must stay silent to count as having heard nothing


@pytest.fixture
def application(settings):
    """config.asgi's application for a deployment serving 127.0.0.1; with REDIS_URL, a channel layer under a prefix
    of this process's own so tests running elsewhere never reach these sockets."""
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    if settings.REDIS_URL:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": f"handoff-test-{os.getpid()}"},
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
def cookies(personas):
    """cookies("officer.b2") -> the session cookie header of a fresh sign-in of that persona."""

    def _cookie(username: str) -> bytes:
        client = Client()
        client.force_login(personas[username])
        return b"sessionid=" + client.cookies["sessionid"].value.encode()

    return _cookie


async def _open(stack: AsyncExitStack, application, cookie: bytes) -> WebsocketCommunicator:
    headers = [(b"origin", ORIGIN), (b"host", b"127.0.0.1:8000"), (b"cookie", cookie)]
    socket = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    stack.push_async_callback(socket.disconnect)
    return socket


async def _heard(socket: WebsocketCommunicator) -> list[tuple[str, str]]:
    """(topic, reference) of every message the socket receives until it has been quiet for QUIET seconds."""
    heard = []
    while not await socket.receive_nothing(timeout=QUIET):
        message = await socket.receive_json_from(timeout=5)
        heard.append((message["topic"], message["ref"]))
    return heard


def test_police_socket_hears_only_police_visible_events(application, cookies, personas):
    officer, clinician = personas["officer.b2"], personas["clinician.b2"]
    referral = file_referral(officer, "B2")
    ref = referral.public_id
    changed = ("referrals", ref)
    steps = {
        "accept": lambda: co_response.referral_accept(referral=referral, actor=clinician),
        "note": lambda: services.clinical_note_add(referral=referral, actor=clinician, text="Calmer now."),
        "disposition": lambda: co_response.clinical_disposition_record(
            referral=referral, actor=clinician, disposition=Disposition.STABILISED
        ),
        "follow-up added": lambda: add_follow_up(referral, clinician),
        "on scene": lambda: co_response.referral_arrive(referral=referral, actor=clinician),
    }

    signed_in = {name: cookies(name) for name in ("officer.b2", "sergeant.b2", "clinician.b2")}

    async def scenario():
        heard = {}
        async with AsyncExitStack() as stack:
            sockets = {name: await _open(stack, application, cookie) for name, cookie in signed_in.items()}
            for step, call in steps.items():
                await sync_to_async(call)()
                # Whether each socket heard of the change (an assignee's socket may hear it through two groups).
                heard[step] = {name: changed in await _heard(socket) for name, socket in sockets.items()}
        return heard

    heard = async_to_sync(scenario)()

    police_visible = {"officer.b2": True, "sergeant.b2": True, "clinician.b2": True}
    partner_only = {"officer.b2": False, "sergeant.b2": False, "clinician.b2": True}
    assert heard == {
        "accept": police_visible,
        "note": partner_only,
        "disposition": partner_only,
        "follow-up added": partner_only,
        "on scene": police_visible,  # the police sockets were listening all along
    }


def test_police_socket_hears_nothing_at_all_of_a_note(application, cookies, personas):
    """Not even an inbox hint: a partner-only change leaves the police side untouched."""
    officer, clinician = personas["officer.b2"], personas["clinician.b2"]
    referral = file_referral(officer, "B2")
    co_response.referral_accept(referral=referral, actor=clinician)
    officer_cookie, sergeant_cookie = cookies("officer.b2"), cookies("sergeant.b2")

    async def scenario():
        async with AsyncExitStack() as stack:
            officer_socket = await _open(stack, application, officer_cookie)
            sergeant_socket = await _open(stack, application, sergeant_cookie)
            await sync_to_async(services.clinical_note_add)(referral=referral, actor=clinician, text="Calmer now.")
            return await _heard(officer_socket), await _heard(sergeant_socket)

    assert async_to_sync(scenario)() == ([], [])


def test_a_police_supervisor_socket_joins_its_districts_group(personas):
    b2 = District.objects.get(code="B2")
    groups = {name: async_to_sync(_groups_for)(personas[name]) for name in ("sergeant.b2", "officer.b2")}
    assert hints.district_group(b2.pk) in groups["sergeant.b2"]
    assert [group for group in groups["sergeant.b2"] if group.startswith("district-")] == [hints.district_group(b2.pk)]
    assert [group for group in groups["officer.b2"] if group.startswith("district-")] == []


def test_a_police_visible_change_in_b2_reaches_the_b2_sergeants_district_list(application, cookies, personas):
    # Filed by the D4 officer for a person in B2: the sergeant is not the filer, only B2's supervisor.
    in_b2 = file_referral(personas["officer.d4"], "B2")
    in_d4 = file_referral(personas["officer.d4"], "D4")
    sergeant_cookie, officer_cookie = cookies("sergeant.b2"), cookies("officer.b2")

    async def scenario():
        async with AsyncExitStack() as stack:
            sergeant = await _open(stack, application, sergeant_cookie)
            officer = await _open(stack, application, officer_cookie)
            await sync_to_async(co_response.referral_cancel)(referral=in_d4, actor=personas["officer.d4"])
            d4_change = await _heard(sergeant), await _heard(officer)
            await sync_to_async(co_response.referral_accept)(referral=in_b2, actor=personas["clinician.b2"])
            b2_change = await _heard(sergeant), await _heard(officer)
        return d4_change, b2_change

    d4_change, b2_change = async_to_sync(scenario)()

    assert d4_change == ([], [])
    assert b2_change == ([("referrals", in_b2.public_id)], [])


def test_the_sergeants_district_list_refetches_to_show_the_change(client, personas):
    """What the hint makes the page do: the sergeant's list, fetched again as its partial, shows the new status."""
    referral = file_referral(personas["officer.d4"], "B2")
    client.force_login(personas["sergeant.b2"])
    before = client.get("/referrals/", headers={"HX-Request": "true"}).content.decode()
    with mock.patch.object(hints, "_send"):
        co_response.referral_accept(referral=referral, actor=personas["clinician.b2"])
    after = client.get("/referrals/", headers={"HX-Request": "true"}).content.decode()
    assert referral.public_id in before
    assert "Received" in before
    assert "Accepted" in after
