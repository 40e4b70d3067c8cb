"""Session limits over HTTP: idle and absolute limits, per role and on a shared device, what counts as activity, and
the ways a sign-in ends for every device at once (log out everywhere, a new password, a deactivated account)."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts import sessions
from accounts.models import AccountSession, Organisation, Role, SecurityEvent
from accounts.services import membership_create
from tests.conftest import PASSWORD, pass_second_factor

pytestmark = pytest.mark.django_db

QUEUE = "/queue/"  # referrals:queue (an app above accounts: its path, not its name)
BACKGROUND = {"HTTP_X_HANDOFF_BACKGROUND": "1", "HTTP_HX_REQUEST": "true"}


def _signed_in(personas, username: str) -> Client:
    client = Client()
    client.force_login(personas[username])
    return client


def _shift(client: Client, key: str, seconds: float) -> None:
    """Move one of the session's stamps ``seconds`` into the past, as if that much time had gone by."""
    session = client.session
    session[key] = float(session[key]) - seconds
    session.save()


def _is_signed_in(client: Client) -> bool:
    response = client.get(reverse("accounts:role_home"))
    return response.status_code == 200


def _expired_events(user) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SESSION_EXPIRED, user=user))


def test_a_request_after_the_idle_limit_is_signed_out_with_the_reason(personas):
    client = _signed_in(personas, "clinician.b2")
    assert client.get(QUEUE).status_code == 200
    _shift(client, sessions.LAST_ACTIVITY, 30 * 60 + 1)

    response = client.get(QUEUE)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={QUEUE}"
    page = client.get(response["Location"])
    assert "You were signed out after 30 minutes without activity." in page.content.decode()
    [event] = _expired_events(personas["clinician.b2"])
    assert event.detail == "no activity for 30 minutes"
    assert not AccountSession.objects.filter(user_id=personas["clinician.b2"].pk).exists()
    assert client.get(QUEUE).status_code == 302  # still signed out: the session is gone, not just refused once


def test_activity_within_the_idle_limit_keeps_the_sign_in(personas):
    client = _signed_in(personas, "clinician.b2")
    _shift(client, sessions.LAST_ACTIVITY, 29 * 60)
    assert client.get(QUEUE).status_code == 200
    # That request was activity: another 29 minutes later the sign-in still holds.
    _shift(client, sessions.LAST_ACTIVITY, 29 * 60)
    assert client.get(QUEUE).status_code == 200
    assert _expired_events(personas["clinician.b2"]) == []


def test_requests_the_page_makes_by_itself_do_not_extend_the_idle_time(personas):
    client = _signed_in(personas, "clinician.b2")
    _shift(client, sessions.LAST_ACTIVITY, 29 * 60)
    before = client.session[sessions.LAST_ACTIVITY]

    assert client.get(QUEUE, **BACKGROUND).status_code == 200  # the queue's slow poll
    assert client.session[sessions.LAST_ACTIVITY] == before

    _shift(client, sessions.LAST_ACTIVITY, 61)  # 30 minutes and a second since the person last did anything
    response = client.get(QUEUE, **BACKGROUND)
    # htmx goes to the sign-in page as a whole, rather than swapping it into the queue.
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("login")
    assert len(_expired_events(personas["clinician.b2"])) == 1


def test_the_idle_limit_is_reached_in_real_time_without_activity(personas, settings):
    settings.SESSION_IDLE_MINUTES = 0.05  # 3 seconds
    client = _signed_in(personas, "clinician.b2")
    assert client.get(QUEUE, **BACKGROUND).status_code == 200
    time.sleep(3.2)
    assert client.get(QUEUE, **BACKGROUND).status_code == 204
    assert _expired_events(personas["clinician.b2"])[0].detail == "no activity for 3 seconds"


def test_the_absolute_limit_ends_a_sign_in_however_active(personas, settings):
    settings.SESSION_COOKIE_AGE = 3
    client = _signed_in(personas, "clinician.b2")
    answers = []
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        answers.append(client.get(QUEUE).status_code)  # a request every 0.2 s: never idle
        time.sleep(0.2)
    assert answers[0] == 200
    assert answers[-1] == 302
    response = client.get(reverse("login"))
    assert "a sign-in lasts at most 3 seconds" in response.content.decode()
    [event] = _expired_events(personas["clinician.b2"])
    assert event.detail == "3 seconds after signing in"


def test_a_stamped_twelve_hour_sign_in_ends_at_twelve_hours(personas):
    client = _signed_in(personas, "officer.b2")
    _shift(client, sessions.SIGNED_IN_AT, 12 * 60 * 60 + 1)  # the last activity is now
    response = client.get("/referrals/")
    assert response.status_code == 302
    assert "a sign-in lasts at most 12 hours" in client.get(response["Location"]).content.decode()


def test_a_post_after_the_limit_does_nothing_and_goes_to_the_sign_in_page(personas):
    client = _signed_in(personas, "clinician.b2")
    _shift(client, sessions.LAST_ACTIVITY, 31 * 60)
    before = AccountSession.objects.count()
    response = client.post(reverse("accounts:logout_everywhere"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    # Signed out by the limit (its own session ended), not by "log out everywhere".
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SESSIONS_ENDED).exists()
    assert AccountSession.objects.count() == before - 1


def test_the_shortest_idle_limit_of_a_persons_roles_wins(personas, settings):
    settings.SESSION_IDLE_MINUTES_BY_ROLE = {"clinician": 15, "officer": 45}
    officer = personas["officer.b2"]
    assert _signed_in(personas, "officer.b2").session[sessions.IDLE_SECONDS] == 45 * 60
    assert _signed_in(personas, "sergeant.b2").session[sessions.IDLE_SECONDS] == 30 * 60  # the default
    best = Organisation.objects.get(short_name="BEST")
    membership_create(user=officer, organisation=best, role=Role.CLINICIAN)
    assert _signed_in(personas, "officer.b2").session[sessions.IDLE_SECONDS] == 15 * 60


def test_a_sign_in_on_a_shared_device_gets_the_shorter_limit(personas):
    shared, own = Client(), Client()
    credentials = {"username": "clinician.b2", "password": PASSWORD}
    assert shared.post(reverse("login"), credentials | {"shared_device": "1"}).status_code == 302
    assert own.post(reverse("login"), credentials).status_code == 302
    assert shared.session[sessions.IDLE_SECONDS] == 10 * 60
    assert own.session[sessions.IDLE_SECONDS] == 30 * 60
    pass_second_factor(shared, personas["clinician.b2"])  # the limit was set at the password; the code comes next
    assert "10 minutes without activity" in shared.get(reverse("accounts:role_home")).content.decode()


def test_the_sign_in_page_offers_the_shared_device_choice(client):
    assert 'name="shared_device"' in client.get(reverse("login")).content.decode()


def test_log_out_everywhere_ends_every_session_of_the_account_and_no_other(personas):
    phone, laptop = _signed_in(personas, "clinician.b2"), _signed_in(personas, "clinician.b2")
    colleague = _signed_in(personas, "clinician.c11")

    response = phone.post(reverse("accounts:logout_everywhere"))

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "You are signed out on every device." in phone.get(reverse("login")).content.decode()
    assert not _is_signed_in(phone)
    assert not _is_signed_in(laptop)
    assert _is_signed_in(colleague)
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SESSIONS_ENDED, user=personas["clinician.b2"])
    assert event.detail == "2 session(s) ended by the account holder"


def test_log_out_everywhere_refuses_a_get_and_changes_nothing(personas):
    phone = _signed_in(personas, "clinician.b2")
    assert phone.get(reverse("accounts:logout_everywhere")).status_code == 405
    assert _is_signed_in(phone)
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SESSIONS_ENDED).exists()


def test_the_role_page_offers_log_out_everywhere(personas):
    page = _signed_in(personas, "officer.b2").get(reverse("accounts:role_home")).content.decode()
    assert reverse("accounts:logout_everywhere") in page
    assert "30 minutes without activity" in page


def test_a_password_change_keeps_this_sign_in_and_ends_the_others(personas):
    here, elsewhere = _signed_in(personas, "clinician.b2"), _signed_in(personas, "clinician.b2")
    response = here.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "violet-anchor-meadow-5521",
            "new_password2": "violet-anchor-meadow-5521",
        },
    )
    assert response.status_code == 302
    assert _is_signed_in(here)
    assert not _is_signed_in(elsewhere)
    assert AccountSession.objects.filter(user_id=personas["clinician.b2"].pk).count() == 1


def test_an_administrator_setting_a_new_password_ends_every_session(personas):
    phone = _signed_in(personas, "clinician.b2")
    user = get_user_model().objects.get(username="clinician.b2")
    user.set_password("violet-anchor-meadow-5521")
    user.save()
    assert not _is_signed_in(phone)
    assert not AccountSession.objects.filter(user_id=user.pk).exists()


def test_deactivating_an_account_ends_every_session(personas):
    phone, laptop = _signed_in(personas, "clinician.b2"), _signed_in(personas, "clinician.b2")
    user = get_user_model().objects.get(username="clinician.b2")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert not AccountSession.objects.filter(user_id=user.pk).exists()
    assert phone.get(QUEUE).status_code == 302
    assert not _is_signed_in(laptop)
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SESSIONS_ENDED, user=user)
    assert event.detail == "2 session(s) ended: the account was deactivated"


def test_an_ordinary_save_of_an_active_account_ends_nothing(personas):
    phone = _signed_in(personas, "clinician.b2")
    user = get_user_model().objects.get(username="clinician.b2")
    user.first_name = "Jordan"
    user.save()
    assert _is_signed_in(phone)


def test_sessions_remember_their_account_in_a_column(personas):
    client = _signed_in(personas, "officer.b2")
    row = AccountSession.objects.get(session_key=client.session.session_key)
    assert row.user_id == personas["officer.b2"].pk


def test_an_unknown_role_in_the_idle_setting_fails_the_system_checks(settings):
    settings.SESSION_IDLE_MINUTES_BY_ROLE = {"officr": 5}
    [error] = sessions.check_session_settings(None)
    assert error.id == "accounts.E001" and "officr" in error.msg
    settings.SESSION_IDLE_MINUTES_BY_ROLE = {"officer": 5}
    assert sessions.check_session_settings(None) == []


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1800, "30 minutes"), (60, "1 minute"), (43200, "12 hours"), (3, "3 seconds"), (90, "90 seconds")],
)
def test_durations_read_as_people_say_them(seconds, text):
    assert sessions.duration_text(seconds) == text
