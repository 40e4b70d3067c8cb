"""Handoff settings: one file, every deployment difference read from the environment.

Embedded default: SQLite (WAL) + in-memory channel layer + huey on SQLite.
Production: DATABASE_URL (PostgreSQL) and REDIS_URL (channels-redis, RedisHuey).
"""

from __future__ import annotations

from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    database_from_url,
    env_bool,
    env_int,
    env_int_map,
    env_list,
    env_str,
    redis_url,
    sqlite_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HANDOFF_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite database, huey's queue file, collected static files

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off")
    SECRET_KEY = "handoff-debug-only-not-secret"  # noqa: S105 - DEBUG only, never served to the public

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "guardian",
    "axes",
    "huey.contrib.djhuey",
    "django_htmx",
    "template_partials",
    "csp",
    # Two-step sign-in (accounts.mfa): TOTP authenticator apps, and static single-use tokens as recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "config",
    "districts",
    "accounts",
    "programs",
    "routing",
    "notifications",
    "referrals",
    "referrals.workflows.co_response",
    "referrals.workflows.casework",
    "hub",
    "dashboards",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.RejectUnusableInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the session passed its second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionLimitsMiddleware",  # idle and absolute limits: a lapsed sign-in goes no further
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.SecondFactorMiddleware",  # unverified sessions reach only the two-step pages
    "accounts.middleware.NoStoreForSignedInMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into accounts.lockout's response
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
                "notifications.context_processors.inbox",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": database_from_url("DATABASE_URL", DATABASE_URL)}
else:
    DATABASES = {"default": sqlite_database(VAR_DIR / "handoff.sqlite3")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels and huey ----------------------------------------------------------------------------------------
REDIS_URL = redis_url("REDIS_URL", env_str("REDIS_URL")) if env_str("REDIS_URL") else ""
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("CHANNELS_PREFIX", "handoff")},
        }
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env_str("HUEY_NAME", "handoff"),
        "url": REDIS_URL,
        "immediate": env_bool("HUEY_IMMEDIATE", False),
        "utc": True,
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "handoff",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env_bool("HUEY_IMMEDIATE", False),
        "utc": True,
    }
# Embedded setup only: processes without websockets (the huey worker) post their hints to the web server.
# Keys the repeat-referral fingerprints (referrals/workflows/casework/matching.py). Set it apart from SECRET_KEY in
# production, so rotating SECRET_KEY does not make every earlier referral unmatched; empty falls back to SECRET_KEY.
HANDOFF_MATCH_KEY = env_str("HANDOFF_MATCH_KEY")
HINT_RELAY_URL = "" if REDIS_URL else env_str("HINT_RELAY_URL")
# A relayed hint older (or further in the future) than this is refused, and each is accepted once (a replay fails).
HINT_RELAY_WINDOW_SECONDS = env_int("HINT_RELAY_WINDOW_SECONDS", 60)
HUEY["consumer"] = {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread", "periodic": True}

# --- Auth -----------------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username before any password is checked. Standalone (no get_user), so sessions
    # and the test client's force_login keep using ModelBackend.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user; nothing in Handoff is public but the login page
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    # Django's common-passwords list and more, shipped with Handoff (no network call): accounts/passwords.py
    {"NAME": "accounts.passwords.BreachedPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password reset by an emailed link: off unless an administrator turns it on (its pages answer 404 while off).
# Off by default because the email account then becomes a second way into health data.
PASSWORD_RESET_BY_EMAIL = env_bool("PASSWORD_RESET_BY_EMAIL", False)
# Session limits (accounts/sessions.py). A sign-in lasts at most SESSION_COOKIE_AGE seconds from the moment of
# signing in, however active the person is; it also ends after SESSION_IDLE_MINUTES without activity (the shortest
# of the person's active roles in SESSION_IDLE_MINUTES_BY_ROLE wins, "officer=30,clinician=15"), and after
# SESSION_SHARED_DEVICE_IDLE_MINUTES on a device the person marked as shared when signing in, if that is shorter.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60)  # one shift
SESSION_ENGINE = "accounts.session_store"  # the database engine, with the account in a column: "log out everywhere"
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_IDLE_MINUTES_BY_ROLE = env_int_map("SESSION_IDLE_MINUTES_BY_ROLE")
SESSION_SHARED_DEVICE_IDLE_MINUTES = env_int("SESSION_SHARED_DEVICE_IDLE_MINUTES", 10)
for _name, _minutes in [
    ("SESSION_IDLE_MINUTES", SESSION_IDLE_MINUTES),
    ("SESSION_SHARED_DEVICE_IDLE_MINUTES", SESSION_SHARED_DEVICE_IDLE_MINUTES),
    *((f"SESSION_IDLE_MINUTES_BY_ROLE ({role})", value) for role, value in SESSION_IDLE_MINUTES_BY_ROLE.items()),
]:
    if not 1 <= _minutes <= 24 * 60:
        raise ImproperlyConfigured(f"{_name} must be 1 to 1440 (minutes); got {_minutes}")
if SESSION_COOKIE_AGE < 60:
    raise ImproperlyConfigured(f"SESSION_COOKIE_AGE must be at least 60 (seconds); got {SESSION_COOKIE_AGE}")
# An open socket looks at its session at least this often (besides at its idle and absolute deadlines, and whenever
# told to): the safety net should a "close" message between processes be lost.
SESSION_SOCKET_RECHECK_SECONDS = env_int("SESSION_SOCKET_RECHECK_SECONDS", 30)
if not 1 <= SESSION_SOCKET_RECHECK_SECONDS <= 300:
    raise ImproperlyConfigured(f"SESSION_SOCKET_RECHECK_SECONDS must be 1 to 300; got {SESSION_SOCKET_RECHECK_SECONDS}")

# Lockout (CJIS AC-7, django-axes; accounts/lockout.py says why per username): 5 failed sign-ins within 15 minutes
# lock the username until an administrator releases it (no cool-off); a success clears the count.
AXES_FAILURE_LIMIT = 5
HANDOFF_LOCKOUT_WINDOW_MINUTES = env_int("LOCKOUT_WINDOW_MINUTES", 15)
AXES_COOLOFF_TIME = None
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # attempts refused while locked are audited, not counted
AXES_HANDLER = "accounts.lockout.HandoffAxesHandler"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.audit.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.attempted_username"
AXES_DISABLE_ACCESS_LOG = True  # accounts.SecurityEvent is the audit log (append-only; axes' AccessLog is not)
AXES_ENABLE_ADMIN = False  # accounts.admin registers the attempts with an audited release
AXES_VERBOSE = False  # no start-up banner; its log lines name only the username (cleansed) and path
# axes.W006 asks for the address among the lockout parameters; Handoff locks per username on purpose (stations
# share one NAT address: accounts/lockout.py).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Two-step sign-in (accounts.mfa): who needs it is decided there. django-otp slows every device after a wrong code
# (1, 2, 4... seconds); AXES_FAILURE_LIMIT wrong codes within the lockout window lock the account (accounts.services).
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Handoff")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# --- Security headers -----------------------------------------------------------------------------------------
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # htmx reads the token from the page (hx-headers), never from the cookie
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTPS only wherever cookies are secure (production; `make demo` and `make bench` set SECURE_COOKIES=0 over http).
# HSTS preload asks browsers to hard-code HTTPS for the whole domain, which is slow to undo: a deployment whose
# domain cannot promise that sets SECURE_HSTS_PRELOAD=0 (and check --deploy then says so).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE_COOKIES)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's probe may speak plain http on the inside
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60 if SECURE_COOKIES else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_COOKIES)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_COOKIES)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- Internationalisation and static files --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # no collectstatic step for the demo or the tests

# --- Email and logging ----------------------------------------------------------------------------------------
CONSOLE_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND", CONSOLE_EMAIL_BACKEND if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
if not DEBUG and EMAIL_BACKEND == CONSOLE_EMAIL_BACKEND and not env_bool("ALLOW_CONSOLE_EMAIL", False):
    # The console backend writes every email, password reset links included, into the log.
    raise ImproperlyConfigured(
        "EMAIL_BACKEND is the console backend with DEBUG off: emails would be written to the log. "
        "Use an SMTP backend (EMAIL_HOST...), or set ALLOW_CONSOLE_EMAIL=1 for a test setup."
    )
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "handoff@localhost")
SMS_WEBHOOK_URL = env_str("SMS_WEBHOOK_URL")  # off unless set: POST {"to", "text", "idempotency_key"}
# Seconds allowed to each network operation of an email or text message send; a delivery worker's claim on the
# message lasts twelve times that (notifications.services.claim_lease), so the send ends before the claim does.
OUTBOX_SEND_TIMEOUT = env_int("OUTBOX_SEND_TIMEOUT", 10)
if OUTBOX_SEND_TIMEOUT < 1:
    raise ImproperlyConfigured(f"OUTBOX_SEND_TIMEOUT must be at least 1 (seconds); got {OUTBOX_SEND_TIMEOUT}")
# --- Privacy controls (issue 12) ------------------------------------------------------------------------------
# How long a break-glass opening lets a supervisor read a record outside their scope.
BREAK_GLASS_MINUTES = env_int("BREAK_GLASS_MINUTES", 60)
if not 1 <= BREAK_GLASS_MINUTES <= 24 * 60:
    raise ImproperlyConfigured(f"BREAK_GLASS_MINUTES must be 1 to 1440; got {BREAK_GLASS_MINUTES}")
# The accounting of Part 2 disclosures is kept at least three years (42 CFR 2.24); a longer period may be set.
DISCLOSURE_RETENTION_DAYS = env_int("DISCLOSURE_RETENTION_DAYS", 3 * 366)
if DISCLOSURE_RETENTION_DAYS < 3 * 366:
    raise ImproperlyConfigured(
        f"DISCLOSURE_RETENTION_DAYS must be at least 1098 (3 years); got {DISCLOSURE_RETENTION_DAYS}"
    )
# Dashboards, charts and the open-data CSV hide counts of 1 to this minus one outside the partner (dashboards/).
DASHBOARD_SUPPRESSION_THRESHOLD = env_int("DASHBOARD_SUPPRESSION_THRESHOLD", 11)
if DASHBOARD_SUPPRESSION_THRESHOLD < 2:
    raise ImproperlyConfigured(
        f"DASHBOARD_SUPPRESSION_THRESHOLD must be at least 2; got {DASHBOARD_SUPPRESSION_THRESHOLD}"
    )
# Each process keeps a program-year's raw counts this many seconds (0: none) before counting again: a dashboard's
# GROUP BYs over a busy year cost seconds on SQLite. Suppression and released months are applied afresh each time.
DASHBOARD_COUNTS_CACHE_SECONDS = env_int("DASHBOARD_COUNTS_CACHE_SECONDS", 60)
BENCH_ENDPOINTS = env_bool("BENCH_ENDPOINTS", False)  # /bench/bare for `make bench` only
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Error reports (500 pages with DEBUG on, admin emails) hide every POST value and any setting that can hold a
# credential, such as a DATABASE_URL with its password (config/redaction.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.redaction.HandoffExceptionReporterFilter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "config.redaction.RedactSensitiveFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request bodies and template contexts can carry identifying details: never log them.
        "django.request": {"level": "ERROR", "handlers": ["console"], "propagate": False},
        "django.template": {"level": "WARNING"},
    },
}

# --- Handoff --------------------------------------------------------------------------------------------------
# Long and random-looking so it passes the password validators (seed_demo refuses one that does not); it is
# printed in the README, so seed_demo refuses to run with DEBUG off unless forced.
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "quiet-harbor-lantern-2718")
