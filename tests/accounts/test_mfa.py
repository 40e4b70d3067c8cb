"""Two-step sign-in (accounts.mfa): who must use it, enrolment, verification, recovery codes, the lockout of wrong
codes, the session key and the administrator's reset. Enforcement is on, as in every test."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.lockout import LOCKED_MESSAGE, is_locked_out, lockout_release
from accounts.mfa import IDP_MFA_SESSION_KEY, mfa_required
from accounts.models import SecurityEvent
from referrals.models import Referral
from tests.conftest import PASSWORD, pass_second_factor, password_only_login, totp_code, totp_device_for

VERIFY = "/accounts/two-step/verify/"
ENROLL = "/accounts/two-step/enroll/"
SETTINGS = "/accounts/two-step/"


def events(kind: str, user=None) -> list[SecurityEvent]:
    rows = SecurityEvent.objects.filter(kind=kind).order_by("pk")
    return list(rows.filter(user=user) if user is not None else rows)


def password_step(client, username: str):
    """Only the sign-in page's step, as a person types it."""
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, "the password step failed"
    return response


def wait_out_the_slow_down(user) -> None:
    """As if the person waited after a wrong code: django-otp's growing delay (1, 2, 4... seconds) has passed."""
    TOTPDevice.objects.filter(user=user).update(throttling_failure_timestamp=timezone.now() - timedelta(days=1))
    StaticDevice.objects.filter(user=user).update(throttling_failure_timestamp=timezone.now() - timedelta(days=1))


def wrong_code(device) -> str:
    right = totp_code(device)
    return "000000" if right != "000000" else "111111"


# --- who must use it -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("username", "required"),
    [
        ("clinician.b2", True),
        ("clinician.supervisor", True),
        ("youth.e13", True),
        ("youth.supervisor", True),
        ("outreach.roca", True),
        ("advocate.fjc", True),
        ("hub.coordinator", True),
        ("agency.school", True),
        ("admin", True),
        ("officer.b2", True),  # signed in with a Handoff password
        ("sergeant.b2", True),
        ("analyst", False),  # suppressed aggregates only
    ],
)
def test_who_must_use_two_step_sign_in_after_a_password(personas, username, required):
    assert mfa_required(personas[username], {}) is required


def test_police_signed_in_through_an_identity_provider_with_mfa_are_not_asked_again(personas):
    for username in ("officer.b2", "sergeant.b2"):
        assert mfa_required(personas[username], {IDP_MFA_SESSION_KEY: True}) is False
        # Only exactly True counts: anything else the session might hold is a password sign-in.
        assert mfa_required(personas[username], {IDP_MFA_SESSION_KEY: "yes"}) is True
    # The flag does nothing for a partner role: their second factor is Handoff's own.
    assert mfa_required(personas["clinician.b2"], {IDP_MFA_SESSION_KEY: True}) is True


def test_a_staff_account_without_a_membership_must_use_it(db):
    staff = get_user_model().objects.create_user("desk.admin", password=PASSWORD, is_staff=True)
    assert mfa_required(staff, {}) is True


# --- the password alone opens nothing ---------------------------------------------------------------------------------
def test_a_clinicians_password_alone_opens_no_page_and_changes_nothing(client, personas):
    clinician = personas["clinician.b2"]
    password_only_login(client, clinician)
    response = client.get("/queue/")
    assert response.status_code == 302
    assert response["Location"] == f"{ENROLL}?next=%2Fqueue%2F"  # no device yet: set one up

    totp_device_for(clinician)
    for path in ("/queue/", "/accounts/me/", "/notifications/", "/hub/", "/admin/", "/accounts/password_change/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(f"{VERIFY}?next="), path
    before = (Referral.objects.count(), SecurityEvent.objects.count())
    response = client.post("/referrals/new/", {"program": "co-response"})
    assert response.status_code == 302 and response["Location"] == VERIFY
    assert (Referral.objects.count(), SecurityEvent.objects.count()) == before


def test_an_htmx_request_without_the_second_step_is_sent_to_verify_with_no_content(client, personas):
    clinician = personas["clinician.b2"]
    totp_device_for(clinician)
    password_only_login(client, clinician)
    response = client.get("/queue/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(VERIFY)
    assert response.content == b""


def test_the_verify_page_offers_no_navigation_nor_live_socket(client, personas):
    clinician = personas["clinician.b2"]
    totp_device_for(clinician)
    password_only_login(client, clinician)
    html = client.get(VERIFY).content.decode()
    assert 'name="code"' in html
    assert "data-live" not in html
    assert "/queue/" not in html
    assert "Log out" in html


def test_an_officer_who_signed_in_through_an_identity_provider_with_mfa_goes_straight_in(client, personas):
    password_only_login(client, personas["officer.b2"])
    session = client.session
    session[IDP_MFA_SESSION_KEY] = True
    session.save()
    assert client.get("/referrals/").status_code == 200


def test_an_officer_who_enrolled_voluntarily_verifies_even_after_an_identity_provider_with_mfa(client, personas):
    officer = personas["officer.b2"]
    totp_device_for(officer)
    password_only_login(client, officer)
    session = client.session
    session[IDP_MFA_SESSION_KEY] = True
    session.save()
    response = client.get("/referrals/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)


def test_an_analyst_is_not_asked_but_may_enrol_and_then_verifies(client, personas):
    analyst = personas["analyst"]
    password_only_login(client, analyst)
    assert client.get("/accounts/me/").status_code == 200
    assert client.get(SETTINGS).status_code == 200
    client.get(ENROLL)
    device = TOTPDevice.objects.get(user=analyst, confirmed=False)
    assert client.post(ENROLL, {"code": totp_code(device)}).status_code == 200
    assert TOTPDevice.objects.get(user=analyst).confirmed

    later = Client()
    password_only_login(later, analyst)
    response = later.get("/accounts/me/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)


# --- enrolment --------------------------------------------------------------------------------------------------------
def test_enrolment_shows_a_qr_code_and_the_key_then_confirms_and_shows_ten_recovery_codes_once(client, personas):
    clinician = personas["clinician.b2"]
    password_only_login(client, clinician)
    page = client.get(f"{ENROLL}?next=/queue/")
    assert page.status_code == 200
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=clinician, confirmed=False)
    assert "<svg" in html and "<path" in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "style=" not in svg and "<script" not in svg  # the strict CSP: no inline style or script
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    shown = html.split('id="secret"', 1)[1].split("</code>", 1)[0]
    assert key == "".join(shown.split(">", 1)[1].split())
    # A reload shows the same key: the person may scan, then come back.
    assert client.get(ENROLL).status_code == 200
    assert TOTPDevice.objects.filter(user=clinician).count() == 1

    wrong = client.post(ENROLL, {"code": "123456" if totp_code(device) != "123456" else "654321", "next": "/queue/"})
    assert wrong.status_code == 200
    assert "That code did not match" in wrong.content.decode()
    assert not TOTPDevice.objects.get(user=clinician).confirmed
    assert client.get("/queue/").status_code == 302

    wait_out_the_slow_down(clinician)
    done = client.post(ENROLL, {"code": totp_code(device), "next": "/queue/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert code in done.content.decode()
    assert set(StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True)) == set(codes)
    assert TOTPDevice.objects.get(user=clinician).confirmed
    assert client.get("/queue/").status_code == 200
    assert len(events(SecurityEvent.Kind.MFA_ENROLLED, clinician)) == 1
    # The codes are shown on that response only: the two-step page tells how many are left, never which.
    later = client.get(SETTINGS).content.decode()
    assert not any(code in later for code in codes)
    assert 'id="codes-left">10<' in later
    # Neither the key nor a code reaches the audit log.
    logged = " ".join(SecurityEvent.objects.values_list("detail", flat=True))
    assert key not in logged and not any(code in logged for code in codes)


def test_enrolment_cannot_replace_a_confirmed_device(client, personas):
    clinician = personas["clinician.b2"]
    device = totp_device_for(clinician)
    password_only_login(client, clinician)
    response = client.get(ENROLL)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert client.post(ENROLL, {"code": totp_code(device)}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=clinician)) == [device]


def test_an_empty_or_oversized_code_is_a_clear_400_that_changes_nothing(client, personas):
    clinician = personas["clinician.b2"]
    totp_device_for(clinician)
    password_only_login(client, clinician)
    before = SecurityEvent.objects.count()
    for data in ({}, {"code": ""}, {"code": "9" * 41}):
        response = client.post(VERIFY, data)
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
    assert SecurityEvent.objects.count() == before


# --- verification and the session key --------------------------------------------------------------------------------
def test_the_session_key_changes_at_the_password_and_again_at_the_code(client, personas):
    clinician = personas["clinician.b2"]
    device = totp_device_for(clinician)
    client.get("/accounts/login/")
    client.session.save()
    before_login = client.cookies["sessionid"].value if "sessionid" in client.cookies else None
    response = password_step(client, "clinician.b2")
    after_password = client.cookies["sessionid"].value
    assert after_password != before_login
    target = client.get(response["Location"])["Location"]
    assert target.startswith(VERIFY)

    response = client.post(VERIFY, {"code": totp_code(device), "next": "/queue/"})
    assert response.status_code == 302 and response["Location"] == "/queue/"
    after_code = client.cookies["sessionid"].value
    assert after_code != after_password
    assert not SessionStore(session_key=after_password).exists(after_password)  # the pre-code key is gone
    assert client.get("/queue/").status_code == 200
    assert len(events(SecurityEvent.Kind.MFA_VERIFIED, clinician)) == 1

    # Someone holding the key from before the code (planted or seen) is not signed in with it.
    stale = Client()
    stale.cookies["sessionid"] = after_password
    assert stale.get("/queue/")["Location"].startswith("/accounts/login/")


def test_a_code_is_taken_once(client, personas):
    clinician = personas["clinician.b2"]
    device = totp_device_for(clinician)
    code = totp_code(device)
    password_only_login(client, clinician)
    assert client.post(VERIFY, {"code": code})["Location"] == "/"
    replay = Client()
    password_only_login(replay, clinician)
    wait_out_the_slow_down(clinician)
    response = replay.post(VERIFY, {"code": code})
    assert response.status_code == 200 and "That code did not match" in response.content.decode()
    assert replay.get("/queue/").status_code == 302


def test_verify_never_sends_anyone_off_site(client, personas):
    clinician = personas["clinician.b2"]
    device = totp_device_for(clinician)
    password_only_login(client, clinician)
    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/phish"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_verify_page_keeps_where_the_person_was_going(client, personas):
    clinician = personas["clinician.b2"]
    device = totp_device_for(clinician)
    password_only_login(client, clinician)
    target = client.get("/notifications/")["Location"]
    next_url = parse_qs(urlsplit(target).query)["next"][0]
    response = client.post(VERIFY, {"code": totp_code(device), "next": next_url})
    assert response["Location"] == "/notifications/"


# --- recovery codes ---------------------------------------------------------------------------------------------------
def _enrol(client, user) -> list[str]:
    password_only_login(client, user)
    client.get(ENROLL)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    return client.post(ENROLL, {"code": totp_code(device)}).context["codes"]


def test_a_recovery_code_signs_in_once_and_is_audited(client, personas):
    clinician = personas["clinician.b2"]
    codes = _enrol(client, clinician)
    first = Client()
    password_only_login(first, clinician)
    response = first.post(VERIFY, {"code": f" {codes[0][:4]}-{codes[0][4:].upper()} ", "next": "/queue/"})
    assert response.status_code == 302 and response["Location"] == "/queue/"
    assert first.get("/queue/").status_code == 200
    used = events(SecurityEvent.Kind.RECOVERY_CODE_USED, clinician)
    assert len(used) == 1 and used[0].detail == "9 recovery codes left"

    again = Client()
    password_only_login(again, clinician)
    wait_out_the_slow_down(clinician)
    response = again.post(VERIFY, {"code": codes[0]})
    assert response.status_code == 200 and "That code did not match" in response.content.decode()
    assert again.get("/queue/").status_code == 302
    assert events(SecurityEvent.Kind.MFA_FAILED, clinician)[-1].detail == "a recovery code did not match"


def test_new_recovery_codes_replace_the_old_ones(client, personas):
    clinician = personas["clinician.b2"]
    old = _enrol(client, clinician)
    response = client.post(SETTINGS)
    assert response.status_code == 200
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert len(events(SecurityEvent.Kind.RECOVERY_CODES_REPLACED, clinician)) == 1
    other = Client()
    password_only_login(other, clinician)
    assert other.post(VERIFY, {"code": old[1]}).status_code == 200  # refused: the form again
    assert other.get("/queue/").status_code == 302
    wait_out_the_slow_down(clinician)
    assert other.post(VERIFY, {"code": new[1]}).status_code == 302
    assert other.get("/queue/").status_code == 200


# --- no brute force of six digits ------------------------------------------------------------------------------------
def test_each_wrong_code_slows_the_next_try_without_spending_it(client, personas):
    clinician = personas["clinician.b2"]
    device = totp_device_for(clinician)
    password_only_login(client, clinician)
    assert client.post(VERIFY, {"code": wrong_code(device)}).status_code == 200
    # Straight after a wrong code, even the right one is not tried: wait a second.
    response = client.post(VERIFY, {"code": totp_code(device)})
    assert response.status_code == 429
    assert "Too many tries" in response.content.decode()
    assert client.get("/queue/").status_code == 302
    assert len(events(SecurityEvent.Kind.MFA_FAILED, clinician)) == 1  # the refused try was not a guess
    wait_out_the_slow_down(clinician)
    assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 302


def test_five_wrong_codes_lock_the_account_and_end_the_session(client, personas):
    clinician = personas["clinician.b2"]
    device = totp_device_for(clinician)
    password_only_login(client, clinician)
    other = Client()
    password_only_login(other, clinician)  # a second password-only session, opened before the lock
    for attempt in range(4):
        wait_out_the_slow_down(clinician)
        response = client.post(VERIFY, {"code": wrong_code(device)})
        assert response.status_code == 200, attempt
    assert not is_locked_out("clinician.b2")
    wait_out_the_slow_down(clinician)
    response = client.post(VERIFY, {"code": wrong_code(device)})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert is_locked_out("clinician.b2")
    assert len(events(SecurityEvent.Kind.MFA_FAILED, clinician)) == 5
    locked = events(SecurityEvent.Kind.LOCKED_OUT, clinician)
    assert len(locked) == 1 and locked[0].detail == "5 wrong two-step sign-in codes"

    # The password no longer signs in, and a right code on another open password-only session does not either.
    page = client.get("/accounts/login/")
    assert LOCKED_MESSAGE in page.content.decode()
    response = client.post("/accounts/login/", {"username": "clinician.b2", "password": PASSWORD})
    assert response.status_code == 403
    wait_out_the_slow_down(clinician)
    response = other.post(VERIFY, {"code": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert other.get("/queue/")["Location"].startswith("/accounts/login/")


def test_signing_in_again_does_not_reset_the_count_of_wrong_codes(client, personas):
    """A guesser who knows the password cannot sign in afresh before each fifth guess."""
    clinician = personas["clinician.b2"]
    device = totp_device_for(clinician)
    for _ in range(4):
        attempt = Client()
        password_step(attempt, "clinician.b2")  # the password step: a success, which clears axes' own count
        wait_out_the_slow_down(clinician)
        assert attempt.post(VERIFY, {"code": wrong_code(device)}).status_code == 200
    last = Client()
    password_step(last, "clinician.b2")
    wait_out_the_slow_down(clinician)
    assert last.post(VERIFY, {"code": wrong_code(device)})["Location"] == "/accounts/login/"
    assert is_locked_out("clinician.b2")


def test_a_right_code_starts_the_count_again_and_a_release_unlocks(client, personas):
    clinician = personas["clinician.b2"]
    device = totp_device_for(clinician)
    password_only_login(client, clinician)
    for _ in range(4):
        wait_out_the_slow_down(clinician)
        client.post(VERIFY, {"code": wrong_code(device)})
    wait_out_the_slow_down(clinician)
    assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 302
    other = Client()
    password_only_login(other, clinician)
    wait_out_the_slow_down(clinician)
    assert other.post(VERIFY, {"code": wrong_code(device)}).status_code == 200
    assert not is_locked_out("clinician.b2")

    for _ in range(4):
        wait_out_the_slow_down(clinician)
        other.post(VERIFY, {"code": wrong_code(device)})
    assert is_locked_out("clinician.b2")
    assert lockout_release(username="clinician.b2", actor=personas["admin"])
    fresh = Client()
    password_step(fresh, "clinician.b2")
    wait_out_the_slow_down(clinician)
    assert fresh.post(VERIFY, {"code": totp_code(device)}).status_code == 302


# --- the administrator's reset ----------------------------------------------------------------------------------------
def test_an_administrator_resets_a_lost_phone_and_it_is_audited(client, personas):
    clinician, admin = personas["clinician.b2"], personas["admin"]
    _enrol(Client(), clinician)
    victim = Client()
    victim.force_login(clinician)  # a session verified with the old phone
    assert victim.get("/queue/").status_code == 200

    client.force_login(admin)
    response = client.post(
        "/admin/auth/user/", {"action": "reset_two_step", "_selected_action": [clinician.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "Two-step sign-in reset: clinician.b2" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    assert not StaticDevice.objects.filter(user=clinician).exists()
    reset = events(SecurityEvent.Kind.MFA_RESET, clinician)
    assert len(reset) == 1 and reset[0].actor == admin
    # The session verified with the old device is asked to set up a new one at its next request.
    response = victim.get("/queue/")
    assert response.status_code == 302 and response["Location"].startswith(ENROLL)
    assert DEVICE_ID_SESSION_KEY not in victim.session


def test_the_device_admins_of_django_otp_are_not_served(client, personas):
    """They show and edit secret keys; the audited reset is the only way to touch a device in the admin."""
    client.force_login(personas["admin"])
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


def test_a_superuser_signing_in_to_the_admin_is_asked_for_the_code(client, personas):
    admin = personas["admin"]
    device = totp_device_for(admin)
    password_only_login(client, admin)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    pass_second_factor(client, admin)
    assert client.get("/admin/").status_code == 200
    assert device.user_id == admin.pk


def test_a_code_from_another_persons_device_does_not_verify(client, personas):
    clinician, other = personas["clinician.b2"], personas["clinician.c11"]
    totp_device_for(clinician)
    theirs = totp_device_for(other)
    password_only_login(client, clinician)
    response = client.post(VERIFY, {"code": totp_code(theirs)})
    assert response.status_code == 200
    assert client.get("/queue/").status_code == 302


def test_totp_helper_computes_what_the_app_shows(personas):
    """The tests' code is the RFC 6238 one the app computes (so a wrong helper cannot make the tests pass)."""
    device = totp_device_for(personas["clinician.b2"])
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    assert device.verify_token(totp_code(device))
    assert not device.verify_token(f"{(totp.token() + 1) % 10**6:06d}")


def test_confirming_before_the_page_showed_a_key_makes_nothing(client, personas):
    clinician = personas["clinician.b2"]
    password_only_login(client, clinician)
    response = client.post(ENROLL, {"code": "123456"})
    assert response.status_code == 302 and response["Location"].startswith(ENROLL)
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    assert not events(SecurityEvent.Kind.MFA_FAILED)
