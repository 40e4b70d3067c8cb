"""Passwords and identifying details stay out of error reports and log lines."""

from __future__ import annotations

import logging

from django.test import RequestFactory

from config.redaction import CLEANSED, HandoffExceptionReporterFilter, RedactSensitiveFilter, redact_text
from tests.conftest import PASSWORD


def test_login_and_password_views_mark_their_post_data_sensitive(client, login):
    response = client.post("/accounts/login/", {"username": "officer.b2", "password": "hunter2-guess"})
    assert response.wsgi_request.sensitive_post_parameters == "__ALL__"
    login("officer.b2")
    response = client.post("/accounts/password_change/", {"old_password": PASSWORD})
    assert response.wsgi_request.sensitive_post_parameters == "__ALL__"


def test_the_filing_view_marks_its_post_data_sensitive(client, login):
    login("officer.b2")
    response = client.post("/referrals/new/", {"first_name": "Alex"})
    assert response.wsgi_request.sensitive_post_parameters == "__ALL__"


def test_error_reports_hide_every_post_value_whatever_the_view():
    request = RequestFactory().post("/anything/", {"first_name": "Alex", "password": "hunter2"})
    cleansed = HandoffExceptionReporterFilter().get_post_parameters(request)
    assert cleansed == {"first_name": CLEANSED, "password": CLEANSED}


def test_error_reports_hide_settings_that_embed_a_password(settings):
    settings.DATABASE_URL = "postgres://handoff:s3cret-db-pass@db.internal/handoff"
    settings.REDIS_URL = "redis://:s3cret-redis@cache.internal:6379/0"
    safe = HandoffExceptionReporterFilter().get_safe_settings()
    assert safe["DATABASE_URL"] == CLEANSED
    assert safe["REDIS_URL"] == CLEANSED
    assert safe["SECRET_KEY"] == CLEANSED
    assert "s3cret" not in repr(safe)


def test_log_lines_lose_password_pairs_and_url_credentials():
    text = "login password=hunter2 token: abc123 db postgres://handoff:s3cret@db/handoff ok"
    redacted = redact_text(text)
    assert "hunter2" not in redacted
    assert "abc123" not in redacted
    assert "s3cret" not in redacted
    assert "login" in redacted
    assert "ok" in redacted


def test_the_logging_filter_takes_the_request_body_off_the_record(caplog):
    request = RequestFactory().post("/referrals/new/", {"first_name": "Alex", "password": "hunter2"})
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "failed with password=%s", ("hunter2",), None
    )
    record.request = request
    assert RedactSensitiveFilter().filter(record)
    assert record.request == "POST /referrals/new/"
    assert "hunter2" not in record.getMessage()


def test_the_console_handler_uses_the_redacting_filter(settings):
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["redact"]
