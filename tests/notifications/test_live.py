"""The live socket (/ws/live/, config.asgi): who may open it, which hints reach it, and when it is closed.

Each test runs its async scenario with asgiref's async_to_sync: the event loop runs in a helper thread while the
sockets' database reads (database_sync_to_async) come back to the test's own thread. No thread outlives a test, so
a process forked later (the browser tests' live server) does not inherit a stuck executor. The reads close stale
connections, which a test transaction cannot survive: the data is committed for real (transaction=True).

With REDIS_URL the channel layer is Redis, under a prefix of this process's own, so tests running at the same time
elsewhere never reach these sockets.
"""

from __future__ import annotations

import asyncio
import os
import sys
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from accounts.session_store import SessionStore
from districts.models import District
from notifications import hints
from notifications.consumers import SIGNED_OUT
from tests.notifications.conftest import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://127.0.0.1:8000"
PUBLIC_ID = "R-TEST2345"
SESSION_SECONDS = 2
CLOSED = {"type": "websocket.close", "code": SIGNED_OUT}


def _hint(sequence: int) -> dict:
    return {"topic": "referrals", "ref": PUBLIC_ID, "seq": sequence}


def _socket(application, *, cookie: bytes | None = None, origin: bytes = ORIGIN) -> WebsocketCommunicator:
    headers = [(b"origin", origin), (b"host", b"127.0.0.1:8000")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/live/", headers=headers)


@asynccontextmanager
async def _connected(application, cookie: bytes):
    socket = _socket(application, cookie=cookie)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    try:
        yield socket
    finally:
        await socket.disconnect()


async def _referral_changed(
    *, team_group_ids=(), user_ids=(), organisation_id: int, sequence: int, district_ids=()
) -> None:
    # Services call it after commit, from sync code; here from the test's thread, as Django runs sync code.
    await sync_to_async(hints.referral_changed)(
        public_id=PUBLIC_ID,
        team_group_ids=set(team_group_ids),
        user_ids=set(user_ids),
        organisation_id=organisation_id,
        sequence=sequence,
        district_ids=set(district_ids),
    )


def test_a_socket_without_a_session_is_refused_with_4401(application):
    async def scenario():
        return await _socket(application).connect(timeout=5)

    assert async_to_sync(scenario)() == (False, SIGNED_OUT)


def test_a_signed_in_socket_from_a_foreign_origin_is_refused(application, sign_in):
    _, _, cookie = sign_in("clinician.b2")

    async def scenario():
        connected, _ = await _socket(application, cookie=cookie, origin=b"http://evil.example").connect(timeout=5)
        return connected

    assert async_to_sync(scenario)() is False


def test_a_clinician_socket_receives_the_hint_sent_to_its_district_team(application, sign_in, ids):
    _, _, cookie = sign_in("clinician.b2")

    async def scenario():
        async with _connected(application, cookie) as socket:
            await _referral_changed(team_group_ids=[ids["B2"]], organisation_id=ids["best"], sequence=7)
            return await socket.receive_json_from(timeout=5), await socket.receive_nothing(timeout=0.3)

    assert async_to_sync(scenario)() == (_hint(7), True)


def test_a_socket_receives_the_hint_sent_to_its_users_group(application, sign_in, ids):
    officer, _, cookie = sign_in("officer.b2")

    async def scenario():
        async with _connected(application, cookie) as socket:
            await _referral_changed(user_ids=[officer.pk], organisation_id=ids["best"], sequence=8)
            return await socket.receive_json_from(timeout=5)

    assert async_to_sync(scenario)() == _hint(8)


def test_a_clinical_supervisor_socket_receives_the_hint_sent_to_its_organisation(application, sign_in, ids):
    _, _, cookie = sign_in("clinician.supervisor")

    async def scenario():
        async with _connected(application, cookie) as socket:
            await _referral_changed(organisation_id=ids["best"], sequence=9)
            return await socket.receive_json_from(timeout=5)

    assert async_to_sync(scenario)() == _hint(9)


def test_a_clinician_socket_receives_nothing_for_another_districts_team(application, sign_in, personas, ids):
    _, _, cookie = sign_in("clinician.b2")

    async def scenario():
        async with _connected(application, cookie) as socket:
            # Another team, another person, and the organisation group (supervisors only): none is this socket.
            await _referral_changed(
                team_group_ids=[ids["C11"]],
                user_ids=[personas["clinician.c11"].pk],
                organisation_id=ids["best"],
                sequence=10,
            )
            nothing = await socket.receive_nothing(timeout=0.5)
            # The socket was live all along: its own team's hint arrives.
            await _referral_changed(team_group_ids=[ids["B2"]], organisation_id=ids["best"], sequence=11)
            return nothing, await socket.receive_json_from(timeout=5)

    assert async_to_sync(scenario)() == (True, _hint(11))


def test_a_police_supervisor_socket_receives_the_hint_sent_to_its_district_and_an_officer_does_not(
    application, sign_in, ids
):
    b2, d4 = (District.objects.get(code=code).pk for code in ("B2", "D4"))
    _, _, sergeant = sign_in("sergeant.b2")
    _, _, officer = sign_in("officer.b2")

    async def scenario():
        async with _connected(application, sergeant) as supervisor, _connected(application, officer) as filer:
            await _referral_changed(district_ids=[d4], organisation_id=ids["best"], sequence=13)
            other_district = await supervisor.receive_nothing(timeout=0.5)
            await _referral_changed(district_ids=[b2], organisation_id=ids["best"], sequence=14)
            return other_district, await supervisor.receive_json_from(timeout=5), await filer.receive_nothing(0.3)

    assert async_to_sync(scenario)() == (True, _hint(14), True)


def test_a_socket_joins_the_groups_a_registered_provider_names_for_its_user(application, sign_in):
    """A higher app (the Hub) names groups through notifications.groups; this app never imports it."""
    from notifications import groups

    clinician, _, cookie = sign_in("clinician.b2")
    groups.register("test.extra", lambda user: ["extra-7"] if user.pk == clinician.pk else [])
    try:

        async def scenario():
            async with _connected(application, cookie) as socket:
                await sync_to_async(hints._send)(["extra-7"], {"type": "hint", "topic": "x", "ref": "7", "seq": 3})
                heard = await socket.receive_json_from(timeout=5)
                await sync_to_async(hints._send)(["extra-8"], {"type": "hint", "topic": "x", "ref": "8", "seq": 4})
                return heard, await socket.receive_nothing(timeout=0.3)

        assert async_to_sync(scenario)() == ({"topic": "x", "ref": "7", "seq": 3}, True)
    finally:
        groups.unregister("test.extra")


def test_logout_closes_that_sessions_open_socket_with_4401(application, sign_in):
    _, client, cookie = sign_in("clinician.b2")

    async def scenario():
        async with _connected(application, cookie) as socket:
            assert await socket.receive_nothing(timeout=0.2)
            await sync_to_async(client.logout)()  # user_logged_out -> accounts.sessions -> hints.session_ended
            return await socket.receive_output(timeout=5)

    assert async_to_sync(scenario)() == CLOSED


def _closed_when_session_ends(application, cookie: bytes) -> tuple[bool, dict]:
    """(nothing in the first half of SESSION_SECONDS, the next output within SESSION_SECONDS + 3 s)."""

    async def scenario():
        async with _connected(application, cookie) as socket:
            open_meanwhile = await socket.receive_nothing(timeout=SESSION_SECONDS / 2)
            return open_meanwhile, await socket.receive_output(timeout=SESSION_SECONDS + 3)

    return async_to_sync(scenario)()


def test_a_socket_is_closed_with_4401_when_its_session_expires(application, sign_in):
    _, _, cookie = sign_in("clinician.b2")
    session = SessionStore(session_key=cookie.split(b"=", 1)[1].decode())
    session.set_expiry(SESSION_SECONDS)
    session.save()

    assert _closed_when_session_ends(application, cookie) == (True, CLOSED)


def test_a_socket_opened_late_in_a_session_is_closed_with_4401_when_that_session_ends(
    application, personas, monkeypatch, settings
):
    # Signed in SESSION_COOKIE_AGE - 2 s ago: the session ends 2 s from now, not a full session age after connect.
    # (Its idle limit is longer than the whole session here: the absolute limit is the one under test.)
    settings.SESSION_IDLE_MINUTES = 24 * 60
    signed_in_at = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE - SESSION_SECONDS)
    client = Client()
    with monkeypatch.context() as past:
        past.setattr(timezone, "now", lambda: signed_in_at)
        client.force_login(personas["clinician.b2"])

    assert _closed_when_session_ends(application, session_cookie(client)) == (True, CLOSED)


SEND_FROM_ANOTHER_PROCESS = """
import django
django.setup()
from notifications.hints import referral_changed
referral_changed(
    public_id={public_id!r}, team_group_ids=set(), user_ids={{{user_id}}}, organisation_id={org}, sequence=12
)
"""


def test_a_hint_sent_by_another_process_reaches_this_processs_socket_through_redis(
    application, sign_in, ids, channels_prefix, settings
):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: without Redis the channel layer is per process")
    user, _, cookie = sign_in("clinician.b2")
    code = SEND_FROM_ANOTHER_PROCESS.format(public_id=PUBLIC_ID, user_id=user.pk, org=ids["best"])
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "CHANNELS_PREFIX": channels_prefix}

    async def scenario():
        async with _connected(application, cookie) as socket:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", code, env=env, cwd=settings.BASE_DIR, stderr=asyncio.subprocess.PIPE
            )
            _, stderr = await process.communicate()
            assert process.returncode == 0, stderr.decode()
            return await socket.receive_json_from(timeout=5)

    assert async_to_sync(scenario)() == _hint(12)


def test_a_session_that_has_not_passed_its_second_step_is_refused_with_4401(application, personas):
    """A password alone opens no socket for a role that needs two-step sign-in (accounts.mfa); the same person's
    socket opens once the session has passed the second step."""
    from tests.conftest import pass_second_factor, password_only_login, totp_device_for

    clinician = personas["clinician.b2"]
    client = Client()
    password_only_login(client, clinician)

    async def scenario():
        return await _socket(application, cookie=session_cookie(client)).connect(timeout=5)

    assert async_to_sync(scenario)() == (False, SIGNED_OUT)  # no device yet: must enrol first
    totp_device_for(clinician)
    assert async_to_sync(scenario)() == (False, SIGNED_OUT)  # a device, not yet verified in this session

    pass_second_factor(client, clinician)

    async def verified():
        async with _connected(application, session_cookie(client)):
            return True

    assert async_to_sync(verified)()


def test_an_officer_signed_in_through_an_identity_provider_with_mfa_opens_the_socket(application, personas):
    """The single sign-on marks a sign-in whose identity provider did the second factor: no Handoff code then."""
    from accounts.mfa import IDP_MFA_SESSION_KEY
    from tests.conftest import password_only_login

    client = Client()
    password_only_login(client, personas["officer.b2"])

    async def scenario():
        return await _socket(application, cookie=session_cookie(client)).connect(timeout=5)

    assert async_to_sync(scenario)() == (False, SIGNED_OUT)  # a password sign-in: a second factor is owed
    session = client.session
    session[IDP_MFA_SESSION_KEY] = True
    session.save()

    async def accepted():
        async with _connected(application, session_cookie(client)):
            return True

    assert async_to_sync(accepted)()
