"""Settings of the example portal.

Everything secret or site-specific comes from the environment, never from this
file or a URL (docs/django.md lists every variable):

    DJANGO_SECRET_KEY      Django's signing key (required)
    LOGVIEW_URL            logview's base URL as the portal's server reaches it (required)
    LOGVIEW_API_TOKEN      one of logview's auth.api_tokens (required; never logged)
    LOGVIEW_TIMEOUT_SECS   seconds POST api/tail may take (default 30)
    LOGVIEW_REUSE_SECS     seconds a viewer URL is reused (default 60; 0 = never)
    PORTAL_ALLOWED_HOSTS   comma-separated host names (default 127.0.0.1,localhost)
    PORTAL_DB              SQLite file (default db.sqlite3 beside manage.py)
    PORTAL_DEBUG           1 = Django's debug pages (never in production)
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    """The variable `name`, or `default`; an ImproperlyConfigured naming it when neither is set."""
    value = os.environ.get(name, "").strip() or default
    if value is None:
        raise ImproperlyConfigured(f"set the environment variable {name} (docs/django.md lists them)")
    return value


def env_int(name, default, low, high):
    """A whole number from `low` to `high` in the variable `name`, else `default`."""
    raw = env(name, str(default))
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ImproperlyConfigured(f"{name}={raw!r}: use a whole number from {low} to {high}")
    return int(raw)


def logview_base_url(raw):
    """LOGVIEW_URL as an http(s) base URL ending in `/` (api/tail is joined to it)."""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"LOGVIEW_URL={raw!r}: use logview's base URL, e.g. https://ops.example.com/logview/"
        )
    return raw if raw.endswith("/") else raw + "/"


SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env("PORTAL_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h.strip() for h in env("PORTAL_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]

# logview: where the portal's server POSTs api/tail, and with which token.
LOGVIEW_URL = logview_base_url(env("LOGVIEW_URL"))
LOGVIEW_API_TOKEN = env("LOGVIEW_API_TOKEN")
LOGVIEW_TIMEOUT_SECS = env_int("LOGVIEW_TIMEOUT_SECS", 30, 1, 300)
# A viewer URL is reused for the same user, minion, path and backlog for this
# long. It must stay below logview's tail.idle_exit_secs + redis.lease_ttl_secs
# (60 + 15 s by default): a tailer nobody watches exits after that, and a
# reused URL would then show a stopped stream. (The ticket itself lives
# auth.ticket_ttl_secs, 12 h by default, far longer.)
LOGVIEW_REUSE_SECS = env_int("LOGVIEW_REUSE_SECS", 60, 0, 43200)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "logs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env("PORTAL_DB", str(BASE_DIR / "db.sqlite3")),
    }
}

# Per-process memory: enough for runserver. With several worker processes use
# a shared cache (Redis, memcached) so they reuse each other's viewer URLs.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "index"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The portal's own messages (a failed api/tail, with the user and logview's
# answer; never the token) go to stderr, i.e. runserver's log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"logs": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
