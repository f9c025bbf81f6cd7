"""Django settings for jinfu.

Configuration comes from environment variables (see README "Configuration"):

- ``DATABASE_URL``: database; default is an embedded SQLite file in the data directory.
- ``JINFU_DATA_DIR``: data directory (database, secret key, uploads); default ``./var``.
- ``JINFU_SECRET_KEY``: secret key; when unset, one is generated on first run and kept in
  ``$JINFU_DATA_DIR/secret_key`` (never in the repository).
- ``JINFU_DEBUG=1``: Django debug mode; off unless explicitly set.
- ``JINFU_ALLOWED_HOSTS``: comma-separated host names; default ``127.0.0.1,localhost``.
- ``JINFU_HTTPS=1``: behind TLS: secure cookies, HSTS and redirect to https.
- ``JINFU_TASKS=immediate``: run background jobs inline (tests); default is the database queue.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent.parent

DATA_DIR = Path(os.environ.get("JINFU_DATA_DIR", REPO_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"


def _secret_key() -> str:
    key = os.environ.get("JINFU_SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("JINFU_DEBUG") == "1"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("JINFU_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]
if os.environ.get("PYTEST_CURRENT_TEST") is not None or os.environ.get("JINFU_TESTING") == "1":
    ALLOWED_HOSTS.append("testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "jinfu.core.thirdparty_apps.AxesConfig",  # django-axes, named in Chinese in the back office
    "csp",
    "jinfu.core.thirdparty_apps.AuditlogConfig",  # django-auditlog
    "jinfu.core.thirdparty_apps.TasksConfig",  # django-tasks-db
    "ninja",  # serves its Swagger UI from local static files (no CDN, no inline script: strict CSP)
    "jinfu.core",
    "jinfu.batch",  # kernel: batch jobs on Polars or Spark (modules register theirs)
    "jinfu.scheduler",  # kernel: scheduled jobs declared in the module contracts (jinfu scheduler)
    "jinfu.brain",
    "jinfu.financing",
    "jinfu.policy",
    "jinfu.listing",
    "jinfu.green",
    "jinfu.credit",
    "jinfu.risk",
]

MIDDLEWARE = [
    "jinfu.core.observability.RequestIdMiddleware",
    "jinfu.core.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "jinfu.core.middleware.RoleHomeMiddleware",
    "jinfu.core.middleware.ErrorPageMiddleware",
    # axes must be last
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jinfu.urls"
WSGI_APPLICATION = "jinfu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jinfu.core.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'jinfu.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,  # a connection broken by a database restart is replaced, not reused
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the job worker writes; wait instead of failing on a lock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock an account+IP after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/lockout.html"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]  # packaged with the app (make messages)
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Security headers and content security policy (django-csp 4).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# One in-memory cache per process: cached results (online match per enterprise, dashboards per jurisdiction,
# jinfu.core.dataversion) and rate limits. Django's default keeps 300 entries and then drops a third of them
# at random, which for the match cache (one entry per enterprise and catalog version) meant misses for any
# district with more than a few hundred active enterprises. A match entry is ~8 kB (pickled, 1,000 products):
# 20,000 entries stay under ~170 MB per process; JINFU_CACHE_MAX_ENTRIES sizes it for a bigger machine.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("JINFU_CACHE_MAX_ENTRIES") or 20_000)},
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
if os.environ.get("JINFU_HTTPS") == "1":
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if os.environ.get("JINFU_TASKS") == "immediate"
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}

# Attachments (jinfu.core.attachments): the largest file accepted, in bytes.
JINFU_ATTACHMENT_MAX_BYTES = int(os.environ.get("JINFU_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# Imports larger than this many rows run as a background job (smaller ones run in the request).
JINFU_IMPORT_SYNC_MAX_ROWS = int(os.environ.get("JINFU_IMPORT_SYNC_MAX_ROWS", "2000"))
# Aggregate disclosure (jinfu.core.disclosure; defended in docs/security.md "Aggregate disclosure"):
# counts and sums over fewer than k enterprises are withheld; a sum one enterprise makes up more than
# this share of is withheld; previews per user or API key per window (seconds).
JINFU_DISCLOSURE_MIN_GROUP = int(os.environ.get("JINFU_DISCLOSURE_MIN_GROUP", "10"))
JINFU_DISCLOSURE_DOMINANCE = 0.5
JINFU_DISCLOSURE_RATE = (int(os.environ.get("JINFU_DISCLOSURE_RATE", "60")), 600)
# Explicit limits on one import file (docs/imports.md, docs/security.md "Imports"): the upload, the data
# rows, the cells (rows x their width), and for .xlsx the total uncompressed size of the zip members and
# the compression ratio of any member over 1 MB. A 100,000-row, 16-column workbook is ~6 MB packed and
# ~100 MB unpacked (ratio ~17), well inside these.
JINFU_IMPORT_MAX_BYTES = int(os.environ.get("JINFU_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
JINFU_IMPORT_MAX_ROWS = int(os.environ.get("JINFU_IMPORT_MAX_ROWS", "200000"))
JINFU_IMPORT_MAX_CELLS = int(os.environ.get("JINFU_IMPORT_MAX_CELLS", "4000000"))
JINFU_IMPORT_XLSX_MAX_UNCOMPRESSED = int(
    os.environ.get("JINFU_IMPORT_XLSX_MAX_UNCOMPRESSED", str(256 * 1024 * 1024))
)
JINFU_IMPORT_XLSX_MAX_RATIO = int(os.environ.get("JINFU_IMPORT_XLSX_MAX_RATIO", "100"))
# Who to contact, shown on the help page /help/ (docs/operations.md, configuration); blank means the default.
JINFU_SUPPORT_CONTACT = (
    os.environ.get("JINFU_SUPPORT_CONTACT", "").strip() or "请联系本区金融工作部门或平台运营人员。"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # JSON lines with the request id (JINFU_LOG_FORMAT=text for plain lines while developing)
    "formatters": {
        "json": {"()": "jinfu.core.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "text" if os.environ.get("JINFU_LOG_FORMAT") == "text" else "json",
        }
    },
    "loggers": {
        "jinfu.request": {"level": "WARNING"},  # slow requests (JINFU_SLOW_REQUEST_MS)
        "jinfu.sql": {"level": "WARNING"},  # slow queries (JINFU_SLOW_QUERY_MS)
    },
    "root": {"handlers": ["console"], "level": os.environ.get("JINFU_LOG_LEVEL", "WARNING")},
}
