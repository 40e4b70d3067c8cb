"""Handoff settings: one file, every deployment difference read from the environment.

Embedded default: SQLite (WAL) + in-memory channel layer + huey on SQLite.
Production: DATABASE_URL (PostgreSQL) and REDIS_URL (channels-redis, RedisHuey).
"""

from __future__ import annotations

from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import database_from_url, env_bool, env_int, env_list, env_str, redis_url, sqlite_database

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
    "huey.contrib.djhuey",
    "django_htmx",
    "template_partials",
    "csp",
    "config",
    "districts",
    "accounts",
    "programs",
    "routing",
    "notifications",
    "referrals",
    "referrals.workflows.co_response",
    "referrals.workflows.casework",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.RejectUnusableInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.NoStoreForSignedInMiddleware",
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
HUEY["consumer"] = {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread", "periodic": True}

# --- Auth -----------------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user; nothing in Handoff is public but the login page
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60)  # one shift

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
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)

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
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
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
BENCH_ENDPOINTS = env_bool("BENCH_ENDPOINTS", False)  # /bench/bare for `make bench` only
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request bodies and template contexts can carry identifying details: never log them.
        "django.request": {"level": "ERROR", "handlers": ["console"], "propagate": False},
        "django.template": {"level": "WARNING"},
    },
}

# --- Handoff --------------------------------------------------------------------------------------------------
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "handoff-demo-2026")
