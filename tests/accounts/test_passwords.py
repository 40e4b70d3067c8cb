"""Password rules: at least 12 characters, not on the shipped breached list (letter swaps and stretches included),
changes audited, reset by email only where an administrator turned it on."""

from __future__ import annotations

import gzip

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accounts.management.commands.build_breached_passwords import build
from accounts.models import SecurityEvent
from accounts.passwords import BREACHED_PASSWORDS_PATH, BreachedPasswordValidator, lookup_forms
from tests.conftest import PASSWORD

NEW_PASSWORD = "copper-meadow-violin-5821"


def refused(password: str) -> bool:
    try:
        validate_password(password)
    except ValidationError:
        return True
    return False


@pytest.mark.parametrize(
    "password",
    [
        "Summer2024!",
        "P@ssw0rd123",
        "handoff-demo-2026",
        "Password2025!",
        "W3lc0me2024!",
        "Football1234",
        "qwertyuiop123",
    ],
)
def test_breached_and_stretched_common_passwords_are_refused(password):
    with pytest.raises(ValidationError, match="breached or commonly guessed"):
        BreachedPasswordValidator().validate(password)


def test_a_password_shorter_than_twelve_characters_is_refused():
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("xk7-tr!b9qz")


@pytest.mark.parametrize("password", [NEW_PASSWORD, settings.DEMO_PASSWORD, "tangerine-orbit-gasket-ladle"])
def test_long_passphrases_pass(password):
    assert not refused(password)


def test_the_demo_default_password_passes_the_rules():
    assert settings.DEMO_PASSWORD != "handoff-demo-2026"
    validate_password(settings.DEMO_PASSWORD)


def test_letter_swaps_are_undone_before_looking_up():
    assert "password123" in lookup_forms("P@ssw0rd123")
    assert "summer2024!" in lookup_forms("Summer2024!")


def test_the_shipped_list_is_what_the_build_command_makes():
    with gzip.open(BREACHED_PASSWORDS_PATH, "rt", encoding="utf-8") as f:
        shipped = f.read().splitlines()
    assert shipped == build()
    assert 90_000 < len(shipped) < 150_000


def test_seed_demo_refuses_a_demo_password_the_rules_refuse(db, settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = "Summer2024!"
    with pytest.raises(CommandError, match="DEMO_PASSWORD is refused"):
        call_command("seed_demo")


# --- changing a password ------------------------------------------------------------------------------------------


def test_a_password_change_is_audited_without_the_password(client, login):
    officer = login("officer.b2")
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.PASSWORD_CHANGED)
    assert event.user == officer
    assert NEW_PASSWORD not in " ".join(str(v) for v in SecurityEvent.objects.values().get(pk=event.pk).values())


def test_a_password_change_to_a_breached_password_is_refused_with_the_reason(client, login):
    officer = login("officer.b2")
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "Summer2024!", "new_password2": "Summer2024!"},
    )
    assert response.status_code == 200
    assert "breached or commonly guessed" in response.content.decode()
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PASSWORD_CHANGED).exists()


def test_an_administrator_setting_a_password_is_audited_with_the_administrator(client, personas):
    admin, officer = personas["admin"], personas["officer.b2"]
    client.force_login(admin)
    response = client.post(
        f"/admin/auth/user/{officer.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.PASSWORD_CHANGED)
    assert (event.user, event.actor, event.detail) == (officer, admin, "set by an administrator")


# --- reset by email -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
    ],
)
def test_password_reset_pages_are_not_found_while_reset_by_email_is_off(client, db, url):
    assert settings.PASSWORD_RESET_BY_EMAIL is False
    assert client.get(url).status_code == 404
    assert client.post(url, {"email": "officer.b2@handoff.invalid"}).status_code == 404
    assert mail.outbox == []


def test_password_reset_by_email_works_when_an_administrator_turns_it_on(client, personas, settings):
    settings.PASSWORD_RESET_BY_EMAIL = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post("/accounts/password_reset/", {"email": "officer.b2@handoff.invalid"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line).strip()
    path = link[link.index("/accounts/reset/") :]
    form_url = client.get(path).url  # Django swaps the token for a session and redirects to .../set-password/
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    personas["officer.b2"].refresh_from_db()
    assert personas["officer.b2"].check_password(NEW_PASSWORD)
    kinds = list(SecurityEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == [SecurityEvent.Kind.PASSWORD_RESET_REQUESTED, SecurityEvent.Kind.PASSWORD_RESET]
