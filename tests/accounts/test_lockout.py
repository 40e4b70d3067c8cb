"""Lockout (CJIS AC-7): 5 failed sign-ins within 15 minutes lock the username until an administrator releases it."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt
from django.utils import timezone

from accounts.lockout import LOCKED_MESSAGE, is_locked_out
from accounts.models import SecurityEvent
from tests.conftest import PASSWORD, sign_in_both_steps


def sign_in(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def fail(client, username: str, times: int) -> None:
    for attempt in range(times):
        sign_in(client, username, f"wrong-password-{attempt}")


def events(kind: str) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=kind).order_by("pk"))


def test_four_failures_do_not_lock_and_the_right_password_then_works(client, personas):
    fail(client, "officer.b2", 4)
    response = sign_in(client, "officer.b2", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(personas["officer.b2"].pk)


def test_five_wrong_passwords_lock_and_the_sixth_is_refused_even_when_right(client, personas):
    fail(client, "officer.b2", 5)
    assert is_locked_out("officer.b2")

    response = sign_in(client, "officer.b2", PASSWORD)

    assert response.status_code == 403
    assert LOCKED_MESSAGE in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert len(events(SecurityEvent.Kind.LOCKED_OUT)) == 1
    assert events(SecurityEvent.Kind.LOCKED_OUT)[0].user == personas["officer.b2"]
    refused = events(SecurityEvent.Kind.LOGIN_FAILED)[-1]
    assert refused.detail == "refused: the account is locked"
    assert len(events(SecurityEvent.Kind.LOGIN_FAILED)) == 6


def test_the_fifth_failure_already_answers_with_the_locked_page(client, personas):
    fail(client, "officer.b2", 4)
    response = sign_in(client, "officer.b2", "wrong-again-5")
    assert response.status_code == 403
    assert LOCKED_MESSAGE in response.content.decode()


def test_an_unknown_username_locks_the_same_way_so_the_page_tells_nothing_more(client, personas):
    fail(client, "no.such.person", 5)
    response = sign_in(client, "no.such.person", "anything-at-all")
    assert response.status_code == 403
    assert LOCKED_MESSAGE in response.content.decode()


def test_the_lock_is_per_username_not_per_address(client, personas):
    fail(client, "officer.b2", 5)
    # Same station, same address: a colleague still signs in.
    response = sign_in(client, "officer.d4", PASSWORD)
    assert response.status_code == 302


def test_failures_older_than_the_window_are_forgotten(client, personas):
    fail(client, "officer.b2", 4)
    AccessAttempt.objects.filter(username="officer.b2").update(attempt_time=timezone.now() - timedelta(minutes=16))
    fail(client, "officer.b2", 1)
    assert not is_locked_out("officer.b2")
    assert sign_in(client, "officer.b2", PASSWORD).status_code == 302


def test_a_lock_does_not_expire_with_time(client, personas):
    fail(client, "officer.b2", 5)
    AccessAttempt.objects.filter(username="officer.b2").update(attempt_time=timezone.now() - timedelta(days=3))
    assert sign_in(client, "officer.b2", PASSWORD).status_code == 403


def test_a_success_resets_the_count(client, personas):
    fail(client, "officer.b2", 4)
    sign_in(client, "officer.b2", PASSWORD)
    client.post("/accounts/logout/")
    fail(client, "officer.b2", 4)
    assert not is_locked_out("officer.b2")


def test_an_administrator_releases_from_the_user_admin_and_it_is_audited(client, personas):
    officer = personas["officer.b2"]
    fail(client, "officer.b2", 5)
    admin = personas["admin"]
    client.force_login(admin)
    response = client.post(
        "/admin/auth/user/", {"action": "release_lockout", "_selected_action": [officer.pk]}, follow=True
    )
    assert "Released: officer.b2" in response.content.decode()
    client.logout()

    assert sign_in(client, "officer.b2", PASSWORD).status_code == 302
    released = events(SecurityEvent.Kind.LOCKOUT_RELEASED)
    assert len(released) == 1
    assert released[0].user == officer
    assert released[0].actor == admin


def test_an_administrator_releases_from_the_failed_attempts_admin(client, personas):
    fail(client, "officer.b2", 5)
    attempt = AccessAttempt.objects.get(username="officer.b2")
    client.force_login(personas["admin"])
    client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert not is_locked_out("officer.b2")
    assert events(SecurityEvent.Kind.LOCKOUT_RELEASED)[0].actor == personas["admin"]


def test_the_administrator_role_may_see_and_release_lockouts(personas):
    from accounts.models import Membership, Role
    from accounts.services import membership_create

    person = personas["officer.d4"]
    membership_create(user=person, organisation=Membership.objects.first().organisation, role=Role.ADMINISTRATOR)
    person.refresh_from_db()
    assert person.has_perm("axes.delete_accessattempt")
    assert person.has_perm("accounts.view_securityevent")


def test_a_locked_out_users_open_session_goes_on(client, personas):
    """Documented behaviour: a lock stops new sign-ins; a session already open keeps working (a password guesser
    must not be able to sign an officer out mid-shift). An administrator who wants the session gone deactivates
    the account."""
    from django.test import Client

    assert sign_in_both_steps(client, "officer.b2").status_code == 302
    attacker = Client()
    fail(attacker, "officer.b2", 5)
    assert is_locked_out("officer.b2")
    assert client.get("/referrals/").status_code == 200


def test_a_username_longer_than_any_column_is_refused_not_a_500(client, personas):
    """Found by the fuzz on PostgreSQL: axes stored the whole tried username in a 255-character column."""
    from axes.models import AccessAttempt

    response = client.post("/accounts/login/", {"username": "x" * 400, "password": "wrong-password-12"})
    assert response.status_code == 200
    assert AccessAttempt.objects.get().username == "x" * 150
