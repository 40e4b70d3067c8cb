"""The security audit log: sign-ins, failures and sign-outs are written, append-only, with no password in them."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from accounts.audit import security_event_record
from accounts.models import SecurityEvent
from tests.conftest import PASSWORD


def kinds() -> list[str]:
    return list(SecurityEvent.objects.order_by("pk").values_list("kind", flat=True))


def test_a_successful_sign_in_is_audited_with_address_and_user_agent(client, personas):
    client.post(
        "/accounts/login/", {"username": "officer.b2", "password": PASSWORD}, headers={"user-agent": "PhoneBrowser/1"}
    )
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN_SUCCEEDED)
    assert event.user == personas["officer.b2"]
    assert event.username == "officer.b2"
    assert event.ip_address == "127.0.0.1"
    assert event.user_agent == "PhoneBrowser/1"


def test_a_failed_sign_in_is_audited_without_the_password_it_tried(client, personas):
    client.post("/accounts/login/", {"username": "officer.b2", "password": "hunter2-the-secret-guess"})
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN_FAILED)
    assert event.user == personas["officer.b2"]
    assert event.detail == "username and password did not match"
    row = " ".join(str(value) for value in SecurityEvent.objects.values().get(pk=event.pk).values())
    assert "hunter2" not in row


def test_a_failed_sign_in_for_an_unknown_username_keeps_the_name_tried(client, personas):
    client.post("/accounts/login/", {"username": "nobody.here", "password": "whatever-it-is"})
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN_FAILED)
    assert event.user is None
    assert event.username == "nobody.here"


def test_sign_out_is_audited(client, personas):
    client.post("/accounts/login/", {"username": "clinician.b2", "password": PASSWORD})
    client.post("/accounts/logout/")
    assert kinds() == [SecurityEvent.Kind.LOGIN_SUCCEEDED, SecurityEvent.Kind.LOGGED_OUT]
    assert SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGGED_OUT).user == personas["clinician.b2"]


def test_a_sign_out_without_a_session_writes_nothing(client, personas):
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert kinds() == []


def test_a_long_user_agent_is_truncated(rf, db):
    request = rf.get("/", headers={"user-agent": "x" * 5000})
    event = security_event_record(kind=SecurityEvent.Kind.LOGIN_FAILED, request=request, username="someone")
    assert len(event.user_agent) == 200


def test_the_address_behind_the_tls_proxy_is_the_one_the_proxy_added(rf, db, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    request = rf.get("/", headers={"x-forwarded-for": "6.6.6.6, 203.0.113.9"}, REMOTE_ADDR="10.0.0.2")
    event = security_event_record(kind=SecurityEvent.Kind.LOGIN_FAILED, request=request, username="someone")
    assert event.ip_address == "203.0.113.9"


def test_without_a_proxy_a_forwarded_for_header_is_ignored(rf, db):
    request = rf.get("/", headers={"x-forwarded-for": "6.6.6.6"}, REMOTE_ADDR="192.0.2.4")
    event = security_event_record(kind=SecurityEvent.Kind.LOGIN_FAILED, request=request, username="someone")
    assert event.ip_address == "192.0.2.4"


def test_security_events_refuse_update_and_delete_in_the_model_layer(db):
    event = security_event_record(kind=SecurityEvent.Kind.LOGIN_FAILED, username="someone")
    event.detail = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        SecurityEvent.objects.filter(pk=event.pk).update(detail="rewritten")
    with pytest.raises(PermissionError):
        SecurityEvent.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_security_events_refuse_raw_update_and_delete_on_postgresql(db):
    event = security_event_record(kind=SecurityEvent.Kind.LOGIN_FAILED, username="someone")
    for sql in (
        "UPDATE accounts_securityevent SET detail = 'x' WHERE id = %s",
        "DELETE FROM accounts_securityevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert SecurityEvent.objects.filter(pk=event.pk, detail=event.detail).exists()
