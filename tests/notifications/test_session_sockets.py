"""Live sockets close with the sign-in that opened them, and only with it: logout of one session, log out everywhere,
a password change, a deactivated account, the idle limit and the absolute limit (real sockets, real time)."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from notifications.hints import session_group
from tests.conftest import PASSWORD
from tests.notifications.conftest import session_cookie
from tests.notifications.test_live import CLOSED, _connected, _hint, _referral_changed

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = "/queue/"  # referrals:queue


@pytest.fixture(autouse=True)
def http_too(application, settings):
    """The sockets' application serves 127.0.0.1 (test_live's fixture); the test client asks as "testserver"."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


WITHIN = 5  # seconds: "logout and expiry close that session's sockets within 5 s"


def test_logging_out_one_session_closes_its_socket_and_the_other_keeps_receiving_hints(application, sign_in, ids):
    user, phone, phone_cookie = sign_in("clinician.b2")
    _, laptop, laptop_cookie = sign_in("clinician.b2")

    async def scenario():
        async with _connected(application, phone_cookie) as on_phone, _connected(application, laptop_cookie) as on_lap:
            await sync_to_async(phone.post)(reverse("logout"))
            closed = await on_phone.receive_output(timeout=WITHIN)
            still_open = await on_lap.receive_nothing(timeout=0.5)
            await _referral_changed(user_ids=[user.pk], organisation_id=ids["best"], sequence=21)
            return closed, still_open, await on_lap.receive_json_from(timeout=5)

    assert async_to_sync(scenario)() == (CLOSED, True, _hint(21))
    assert Client().get(QUEUE).status_code == 302  # (a fresh client is signed out; the laptop is not:)
    assert laptop.get(QUEUE).status_code == 200


def test_log_out_everywhere_closes_every_socket_of_the_account_and_no_other(application, sign_in, ids):
    _, phone, phone_cookie = sign_in("clinician.b2")
    _, laptop, laptop_cookie = sign_in("clinician.b2")
    colleague, _, colleague_cookie = sign_in("clinician.c11")

    async def scenario():
        async with (
            _connected(application, phone_cookie) as on_phone,
            _connected(application, laptop_cookie) as on_laptop,
            _connected(application, colleague_cookie) as on_colleague,
        ):
            response = await sync_to_async(phone.post)(reverse("accounts:logout_everywhere"))
            assert response.status_code == 302
            closed = [await on_phone.receive_output(timeout=WITHIN), await on_laptop.receive_output(timeout=WITHIN)]
            untouched = await on_colleague.receive_nothing(timeout=0.5)
            await _referral_changed(user_ids=[colleague.pk], organisation_id=ids["best"], sequence=22)
            return closed, untouched, await on_colleague.receive_json_from(timeout=5)

    assert async_to_sync(scenario)() == ([CLOSED, CLOSED], True, _hint(22))
    assert laptop.get(QUEUE).status_code == 302


def test_a_password_change_closes_the_other_sessions_socket(application, sign_in, ids):
    _, here, _ = sign_in("clinician.b2")
    _, elsewhere, elsewhere_cookie = sign_in("clinician.b2")
    new_password = "violet-anchor-meadow-5521"

    async def scenario():
        async with _connected(application, elsewhere_cookie) as other:
            response = await sync_to_async(here.post)(
                reverse("password_change"),
                {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
            )
            assert response.status_code == 302
            return await other.receive_output(timeout=WITHIN)

    assert async_to_sync(scenario)() == CLOSED
    assert elsewhere.get(QUEUE).status_code == 302
    assert here.get(QUEUE).status_code == 200

    # The sign-in that changed its password opens a socket as before, and it stays open.
    async def afterwards():
        async with _connected(application, session_cookie(here)) as socket:
            return await socket.receive_nothing(timeout=1)

    assert async_to_sync(afterwards)() is True


def test_deactivating_an_account_closes_all_its_sockets_and_its_next_request_is_signed_out(application, sign_in):
    user, phone, phone_cookie = sign_in("clinician.b2")
    _, _, laptop_cookie = sign_in("clinician.b2")

    def deactivate():
        account = get_user_model().objects.get(pk=user.pk)
        account.is_active = False
        account.save(update_fields=["is_active"])  # as the admin's change form does (with more fields)

    async def scenario():
        async with _connected(application, phone_cookie) as on_phone, _connected(application, laptop_cookie) as on_lap:
            await sync_to_async(deactivate)()
            return [await on_phone.receive_output(timeout=WITHIN), await on_lap.receive_output(timeout=WITHIN)]

    assert async_to_sync(scenario)() == [CLOSED, CLOSED]
    assert phone.get(QUEUE).status_code == 302


def test_a_lost_close_message_is_made_up_by_the_sockets_own_check(application, sign_in, settings, monkeypatch):
    """The session row deleted with no message sent (say Redis dropped it): the socket sees it at its next check."""
    from accounts.models import AccountSession
    from notifications import hints

    settings.SESSION_SOCKET_RECHECK_SECONDS = 1
    monkeypatch.setattr(hints, "_send", lambda groups, message: None)
    _, _, cookie = sign_in("clinician.b2")
    key = cookie.split(b"=", 1)[1].decode()

    async def scenario():
        async with _connected(application, cookie) as socket:
            assert await socket.receive_nothing(timeout=0.5)
            await sync_to_async(AccountSession.objects.filter(session_key=key).delete)()
            return await socket.receive_output(timeout=WITHIN)

    assert async_to_sync(scenario)() == CLOSED


def test_an_idle_session_closes_its_socket_at_the_limit_and_its_next_request_says_why(application, sign_in, settings):
    settings.SESSION_IDLE_MINUTES = 0.05  # 3 seconds
    _, client, cookie = sign_in("clinician.b2")

    async def scenario():
        async with _connected(application, cookie) as socket:
            open_meanwhile = await socket.receive_nothing(timeout=1.5)
            return open_meanwhile, await socket.receive_output(timeout=1.5 + WITHIN)

    assert async_to_sync(scenario)() == (True, CLOSED)
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert "signed out after 3 seconds without activity" in client.get(response["Location"]).content.decode()


def _requests_while_open(application, client, cookie, *, seconds: float, headers: dict) -> tuple[list[int], object]:
    """Requests every 0.3 s for ``seconds`` while a socket is open: (their statuses, the socket's first output or
    None if it stayed open)."""

    async def scenario():
        async with _connected(application, cookie) as socket:
            statuses = []
            loop = asyncio.get_running_loop()
            end = loop.time() + seconds
            while loop.time() < end:
                statuses.append((await sync_to_async(client.get)(QUEUE, **headers)).status_code)
                if not await socket.receive_nothing(timeout=0.3):
                    return statuses, await socket.receive_output(timeout=1)
            return statuses, None

    return async_to_sync(scenario)()


def test_a_persons_requests_keep_an_idle_limited_socket_open(application, sign_in, settings):
    settings.SESSION_IDLE_MINUTES = 0.05  # 3 seconds; the requests go on for 6
    _, client, cookie = sign_in("clinician.b2")
    statuses, output = _requests_while_open(application, client, cookie, seconds=6, headers={})
    assert output is None
    assert set(statuses) == {200}


def test_the_pages_own_polling_does_not_keep_the_socket_open(application, sign_in, settings):
    settings.SESSION_IDLE_MINUTES = 0.05  # 3 seconds
    _, client, cookie = sign_in("clinician.b2")
    background = {"HTTP_X_HANDOFF_BACKGROUND": "1", "HTTP_HX_REQUEST": "true"}
    statuses, output = _requests_while_open(application, client, cookie, seconds=6, headers=background)
    assert output == CLOSED
    assert statuses[0] == 200


def test_the_absolute_limit_closes_the_socket_however_active(application, sign_in, settings):
    settings.SESSION_COOKIE_AGE = 3
    _, client, cookie = sign_in("clinician.b2")
    statuses, output = _requests_while_open(application, client, cookie, seconds=6, headers={})
    assert output == CLOSED
    assert statuses[0] == 200
    assert "a sign-in lasts at most 3 seconds" in client.get(reverse("login"), follow=True).content.decode()


def test_a_sessions_group_names_a_digest_never_the_key():
    key = "k" * 32
    group = session_group(key)
    assert key not in group and group.startswith("session-") and len(group) < 100
    assert session_group(key) == group != session_group("j" * 32)
