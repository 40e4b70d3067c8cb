"""Keep credentials and identifying details out of error reports and log lines.

Request bodies can carry a password (sign-in, password forms) or a person's name and circumstances (the filing
forms). Django's ``sensitive_post_parameters`` marks such views; the filter here hides every POST value whatever
the view, so a form added later is covered too. The logging filter takes the request off log records (a handler
that formats it would print its body) and masks ``password=...``-style pairs in messages.
"""

from __future__ import annotations

import logging
import re

from django.views.debug import SafeExceptionReporterFilter

CLEANSED = "********************"
SECRET_PAIR = re.compile(
    r"(?P<key>\b[\w-]*(?:password|passwd|secret|token|api[_-]?key|signature|sessionid|csrfmiddlewaretoken)[\w-]*)"
    r"(?P<sep>\s*[=:]\s*['\"]?)(?P<value>[^\s&,;'\"]+)",
    re.IGNORECASE,
)
URL_CREDENTIALS = re.compile(
    r"(?P<scheme>\b[a-z][a-z0-9+.-]*://[^:/\s@]*:)(?P<password>[^@\s]+)(?P<at>@)", re.IGNORECASE
)


def redact_text(text: str) -> str:
    text = SECRET_PAIR.sub(lambda m: f"{m['key']}{m['sep']}{CLEANSED}", text)
    return URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{CLEANSED}{m['at']}", text)


class HandoffExceptionReporterFilter(SafeExceptionReporterFilter):
    # Django's names plus the URLs that embed a password (DATABASE_URL, REDIS_URL, the channel layer's and huey's).
    hidden_settings = re.compile("API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|HOSTS|DSN", flags=re.I)

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return dict.fromkeys(request.POST, CLEANSED)


class RedactSensitiveFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None:
            # Formatters and handlers that render the request would include its body; keep what says where.
            record.request = f"{getattr(request, 'method', '')} {getattr(request, 'path', '')}".strip()
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
