"""Portal settings: everything comes from the environment (see .env.example)."""

from urllib.parse import urlsplit

import django_stubs_ext
from django.utils.translation import gettext_lazy as _

from portal.csp import content_security_policy
from portal.env import BASE_DIR, env
from portal.settings.storage import storage_settings

# The admin's generic classes (``admin.ModelAdmin[Document]``) are subscripted at import time for
# mypy; Django's own classes learn ``__class_getitem__`` here, before any admin module is imported.
django_stubs_ext.monkeypatch()

# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
# Development default only; production must set its own (check --deploy refuses this one).
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-dev-only-change-me-0123456789abcdef")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# The public origin. Used for origin_host, return URLs, postback URLs and e-mail links;
# never derived from the Host header of a request.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
_portal_origin = urlsplit(PORTAL_BASE_URL)
PORTAL_ORIGIN = f"{_portal_origin.scheme}://{_portal_origin.netloc}"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PORTAL_ORIGIN])

# --- Dokobit ----------------------------------------------------------------------------------
DOKOBIT_IDENTITY_TOKEN = env.str("DOKOBIT_IDENTITY_TOKEN", default="")
DOKOBIT_GATEWAY_TOKEN = env.str("DOKOBIT_GATEWAY_TOKEN", default="")
# The offline emulator is on whenever no real access token is configured.
DOKOBIT_EMULATOR = env.bool("DOKOBIT_EMULATOR", default=not (DOKOBIT_IDENTITY_TOKEN or DOKOBIT_GATEWAY_TOKEN))
DOKOBIT_EMULATOR_PREFIX = "dokobit-emulator"
# Folder for the emulator's own files (Dokobit's side); empty = MEDIA_ROOT/dokobit_emulator.
DOKOBIT_EMULATOR_ROOT = env.str("DOKOBIT_EMULATOR_ROOT", default="")
# The emulator accepts exactly these tokens; the portal sends them when no real token is set.
DOKOBIT_EMULATOR_IDENTITY_TOKEN = "testid_emulator"
DOKOBIT_EMULATOR_GATEWAY_TOKEN = "testgw_emulator"
# Seconds the emulator answers "pending" for a fresh upload (and refuses a signing on it).
DOKOBIT_EMULATOR_UPLOAD_PENDING_SECONDS = env.float("DOKOBIT_EMULATOR_UPLOAD_PENDING_SECONDS", default=1.0)
# true = postbacks and signer downloads name a signer by a numeric id of Dokobit's own, as a
# production integration shows, instead of echoing the integrator's signers[i][id].
DOKOBIT_EMULATOR_NUMERIC_SIGNER_IDS = env.bool("DOKOBIT_EMULATOR_NUMERIC_SIGNER_IDS", default=False)
if DOKOBIT_EMULATOR:
    DOKOBIT_IDENTITY_TOKEN = DOKOBIT_IDENTITY_TOKEN or DOKOBIT_EMULATOR_IDENTITY_TOKEN
    DOKOBIT_GATEWAY_TOKEN = DOKOBIT_GATEWAY_TOKEN or DOKOBIT_EMULATOR_GATEWAY_TOKEN
_emulator_base = f"{PORTAL_BASE_URL}/{DOKOBIT_EMULATOR_PREFIX}"
DOKOBIT_IDENTITY_URL = env.str(
    "DOKOBIT_IDENTITY_URL",
    default=f"{_emulator_base}/identity" if DOKOBIT_EMULATOR else "https://id-sandbox.dokobit.com",
).rstrip("/")
DOKOBIT_GATEWAY_URL = env.str(
    "DOKOBIT_GATEWAY_URL",
    default=f"{_emulator_base}/gateway" if DOKOBIT_EMULATOR else "https://gateway-sandbox.dokobit.com",
).rstrip("/")
# Seconds to wait for a gateway answer (connect, read).
DOKOBIT_TIMEOUT = env.float("DOKOBIT_TIMEOUT", default=30.0)
# signing/create waits longer: an answer given up on may leave a signing at Dokobit that the
# documented API offers no way to find (signing.recovery).
DOKOBIT_CREATE_TIMEOUT = env.float("DOKOBIT_CREATE_TIMEOUT", default=120.0)
# How long an identity session may be completed after it was created (seconds).
IDENTITY_SESSION_TTL = env.int("IDENTITY_SESSION_TTL", default=300)
# Countries whose eID may log in (ISO 3166 alpha-2, upper case).
IDENTITY_ALLOWED_COUNTRIES = [
    c.upper() for c in env.list("IDENTITY_ALLOWED_COUNTRIES", default=["LT", "LV", "EE", "FI", "SE", "NO", "DK", "IS"])
]

# Keys for personal codes: an HMAC key for lookups and a Fernet key for the stored value.
# Development defaults only; production must set both (see .env.example).
PERSONAL_CODE_HASH_KEY = env.str("PERSONAL_CODE_HASH_KEY", default="dev-only-personal-code-hash-key")
PERSONAL_CODE_ENCRYPTION_KEY = env.str(
    "PERSONAL_CODE_ENCRYPTION_KEY", default="ZGV2LW9ubHktcGVyc29uYWwtY29kZS1lbmMta2V5ISE="
)

# --- Applications -----------------------------------------------------------------------------
INSTALLED_APPS = [
    # First, for its ``runserver`` (portal/management/commands): it must come before staticfiles'.
    "portal",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "identity",
    "organisations",
    "signing",
    "bulk",
]
if DOKOBIT_EMULATOR:
    INSTALLED_APPS.append("dokobit_emulator")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files efficiently from the app itself (no separate web server needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.IgnoreNulCookiesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.NoStoreForAuthenticatedMiddleware",
    # Last, so its 400 passes back through all of the above (headers, CSP) like any other answer.
    "portal.middleware.RejectNulBytesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "organisations.context_processors.spaces",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections (checked before reuse): a new PostgreSQL connection per request costs
# more than the request itself on the postback path.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = [
    "identity.backends.EidBackend",
    # Only for staff with a password (the first superuser); end users never have one.
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "identity:login"
# Where the Django admin is served: not the well-known admin/, so scanners do not find it (T16).
ADMIN_URL_PATH = env.str("ADMIN_URL_PATH", default="staff/").strip("/") + "/"
# A staff password login also asks for the code of an authenticator app (manage.py
# staff_totp_setup). Off only for local development; with DEBUG off a system check refuses it off.
STAFF_PASSWORD_SECOND_FACTOR = env.bool("STAFF_PASSWORD_SECOND_FACTOR", default=not DEBUG)
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Documents and signed files: "local" (MEDIA_ROOT, one host) or "s3" (a private S3-compatible
# bucket shared by several web and worker hosts; see portal/storage.py).
FILE_STORAGE = env.str("FILE_STORAGE", default="local")
# The secret key is kept here only to be masked in logs; boto3 gets it through STORAGES.
S3_SECRET_ACCESS_KEY = env.str("S3_SECRET_ACCESS_KEY", default="")
STORAGES = {
    "default": storage_settings(
        backend=FILE_STORAGE,
        bucket=env.str("S3_BUCKET", default=""),
        endpoint_url=env.str("S3_ENDPOINT_URL", default=""),
        region=env.str("S3_REGION", default=""),
        access_key_id=env.str("S3_ACCESS_KEY_ID", default=""),
        secret_access_key=S3_SECRET_ACCESS_KEY,
        key_prefix=env.str("S3_KEY_PREFIX", default=""),
        timeout=env.float("S3_TIMEOUT", default=10.0),
    ),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Bounded waits: while Redis is away the rate limits count per process (portal.ratelimit), and
    # a request must not hang on a connection that never answers before it gets there.
    _redis_timeout = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": _redis_timeout, "socket_timeout": _redis_timeout},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Sessions and cookies ---------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG and PORTAL_BASE_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The language cookie like the session's: HTTPS only where the session is, not sent on cross-site
# requests, and out of reach of scripts (the language switcher is a form posted to Django's view).
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
# Still in the database (logins survive a Redis outage), in fewer round trips (portal/sessions.py).
SESSION_ENGINE = "portal.sessions"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
_https = PORTAL_BASE_URL.startswith("https://")

CONTENT_SECURITY_POLICY = content_security_policy(
    portal_origin=PORTAL_ORIGIN,
    identity_url=DOKOBIT_IDENTITY_URL,
    gateway_url=DOKOBIT_GATEWAY_URL,
    emulator_prefix=DOKOBIT_EMULATOR_PREFIX,
)
# HTTPS-only in production: redirect plain HTTP and tell browsers to stay on HTTPS for a year.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_https and not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _https and not DEBUG else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (only then: the header is trusted).
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Languages --------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("lt", _("Lithuanian")),
    ("lv", _("Latvian")),
    ("et", _("Estonian")),
    ("fi", _("Finnish")),
    ("sv", _("Swedish")),
    ("nb", _("Norwegian Bokmål")),
    ("da", _("Danish")),
    ("is", _("Icelandic")),
    ("ru", _("Russian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Vilnius")

# --- Mail -------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# Folder for django.core.mail.backends.filebased.EmailBackend (one file per message).
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=BASE_DIR / "outbox")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Portal <no-reply@portal.localhost>")

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker, tasks run in the web process (development and most tests).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Celery still prepares a producer for an in-process task; without a URL kombu makes that an
    # AMQP connection to a default host and warns "No hostname was supplied". The in-memory
    # transport (its host only a name) is never dialled.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
# With eager tasks a retry runs later in a thread of the web process, as a worker would retry
# (portal/celery.py); EAGER_TASK_RETRY_MAX_DELAY (seconds) caps its wait, None keeps the back-off.
EAGER_TASK_RETRIES = CELERY_TASK_ALWAYS_EAGER
EAGER_TASK_RETRY_MAX_DELAY = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# The queue tasks are published to; a separate queue lets several portals (or test runs) share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# A broker that does not answer (a Redis host gone from the network, not merely stopped) held an
# upload's request forever. Publishing now gives up after these waits and one retry; the work is
# already in the database and the stalled-work sweep queues it once the broker is back.
_broker_timeout = env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=3.0)
CELERY_BROKER_CONNECTION_TIMEOUT = _broker_timeout
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": _broker_timeout, "socket_timeout": _broker_timeout}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# Celery's Django fix-up closes the database connection after every task unless this is set: a
# worker then paid a new connection (TCP, authentication, setup) per task, a tenth of a bulk send's
# time (PF8). With it, the fix-up closes only every 2 x this many tasks, and portal/celery.py hands
# the connections to Django's own rule around each task (CONN_MAX_AGE, health checks, errors).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=500)

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "json": one JSON object per line (production default); "plain": readable lines (development).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "portal.logging.RedactingFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "portal.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own loggers get the same redacting handler instead of their defaults.
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "celery": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}

# --- Periodic tasks (celery beat) -------------------------------------------------------------
CELERY_BEAT_SCHEDULE = {
    "identity-sessions-purge": {"task": "identity.tasks.identity_sessions_purge_task", "schedule": 3600.0},
}
# Reconciliation, reminders and deadlines: lost postbacks, pending signers, signings past their deadline.
CELERY_BEAT_SCHEDULE["signing-reconcile-due"] = {"task": "signing.tasks.signing_reconcile_due_task", "schedule": 180.0}
CELERY_BEAT_SCHEDULE["signing-reminders-due"] = {"task": "signing.tasks.signing_reminders_due_task", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["signing-deadlines-due"] = {"task": "signing.tasks.signing_deadlines_due_task", "schedule": 300.0}
# Retention: renew Dokobit copies before Dokobit deletes them (hourly; the claim is in the database).
CELERY_BEAT_SCHEDULE["signing-reupload-due"] = {"task": "signing.tasks.signing_reupload_due_task", "schedule": 3600.0}
# Recovery: re-queue work whose task was lost (broker down at commit, worker killed); the DB is the truth.
CELERY_BEAT_SCHEDULE["signing-sweep"] = {"task": "signing.tasks.signing_sweep_task", "schedule": 60.0}

# --- Signing (documents, Dokobit Documents Gateway) -------------------------------------------
# Largest document a user may upload, in bytes.
SIGNING_MAX_UPLOAD_BYTES = env.int("SIGNING_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
# Most signers one document may have.
SIGNING_MAX_SIGNERS = env.int("SIGNING_MAX_SIGNERS", default=20)
# Seconds between upload-status polls, and how long to wait for Dokobit to accept an upload.
SIGNING_UPLOAD_POLL_INTERVAL = env.float("SIGNING_UPLOAD_POLL_INTERVAL", default=2.0)
SIGNING_UPLOAD_TIMEOUT = env.float("SIGNING_UPLOAD_TIMEOUT", default=120.0)
# Let Dokobit fetch uploads from a signed, time-limited portal URL (file[url]) instead of sending the
# bytes in the request (file[content]); the portal must then be reachable from Dokobit.
SIGNING_UPLOAD_BY_URL = env.bool("SIGNING_UPLOAD_BY_URL", default=False)
SIGNING_FETCH_URL_MAX_AGE = env.int("SIGNING_FETCH_URL_MAX_AGE", default=900)
# Largest signed file the portal downloads from Dokobit, in bytes.
SIGNING_DOWNLOAD_MAX_BYTES = env.int("SIGNING_DOWNLOAD_MAX_BYTES", default=200 * 1024 * 1024)
# Form fields stay small; uploaded files above 2.5 MB are streamed to temporary files, not memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)

# --- Templates and bulk sends ---------------------------------------------------------------
# Most people (CSV rows) one bulk send may go to, and the largest CSV file accepted, in bytes.
BULK_MAX_ROWS = env.int("BULK_MAX_ROWS", default=1000)
BULK_MAX_CSV_BYTES = env.int("BULK_MAX_CSV_BYTES", default=1024 * 1024)

# --- Signing lifecycle: retention, reconciliation, reminders, recovery ------------------------
# Dokobit deletes a signing and its files this many days after the upload.
DOKOBIT_RETENTION_DAYS = env.int("DOKOBIT_RETENTION_DAYS", default=30)
# Unfinished signings whose Dokobit copy is this old are re-uploaded with a fresh signing.
SIGNING_REUPLOAD_AFTER_DAYS = env.int("SIGNING_REUPLOAD_AFTER_DAYS", default=25)
# A copy still this old without a fresh one raises an alert (error log and a flag in admin).
SIGNING_RETENTION_ALERT_AFTER_DAYS = env.int("SIGNING_RETENTION_ALERT_AFTER_DAYS", default=26)
# Open signings unchanged for this many minutes are checked against Dokobit's status endpoint.
SIGNING_RECONCILE_AFTER_MINUTES = env.int("SIGNING_RECONCILE_AFTER_MINUTES", default=10)
# A signer's return page asks Dokobit about a signing at most once in this many seconds.
SIGNING_RETURN_SYNC_SECONDS = env.int("SIGNING_RETURN_SYNC_SECONDS", default=10)
# Work that stalled this many minutes (queued sends, unprocessed postbacks, invitations not sent) is re-queued.
SIGNING_SWEEP_STALLED_AFTER_MINUTES = env.int("SIGNING_SWEEP_STALLED_AFTER_MINUTES", default=10)
# How many times a task may be started for one signing before it is parked as "needs attention".
SIGNING_TASK_MAX_ATTEMPTS = env.int("SIGNING_TASK_MAX_ATTEMPTS", default=5)
# Pending signers are reminded every N days, at most M times (0 = no reminders).
SIGNING_REMINDER_AFTER_DAYS = env.int("SIGNING_REMINDER_AFTER_DAYS", default=3)
SIGNING_REMINDER_MAX = env.int("SIGNING_REMINDER_MAX", default=3)

# --- Rate limits (calls per minute per client IP, and per user where it applies; 0 = off) ------
RATE_LIMITS = {
    "identity-session": env.int("RATE_LIMIT_IDENTITY_SESSIONS", default=10),
    "signer-link": env.int("RATE_LIMIT_SIGNER_LINKS", default=30),
    # An organisation's invitation link, opened or accepted: guessing tokens is limited like signer links.
    "invitation-link": env.int("RATE_LIMIT_INVITATION_LINKS", default=30),
    "upload": env.int("RATE_LIMIT_UPLOADS", default=10),
    # Password attempts on the staff login page, per address and per username.
    "staff-password": env.int("RATE_LIMIT_STAFF_PASSWORD_LOGINS", default=5),
}
# Behind a reverse proxy (the TLS proxy the README recommends) every request comes from the proxy's
# address. Rate limits then count against the client address the proxies wrote in X-Forwarded-For:
# TRUSTED_PROXY_HOPS is how many proxies of ours stand in front of gunicorn (0 = none, REMOTE_ADDR
# is the client), and X-Forwarded-For is read only from the addresses in FORWARDED_ALLOW_IPS (the
# variable gunicorn's ``forwarded_allow_ips`` reads too; "*" trusts any).
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
FORWARDED_ALLOW_IPS = env.list("FORWARDED_ALLOW_IPS", default=["127.0.0.1", "::1"])

# --- Data protection --------------------------------------------------------------------------
# Delete documents (and their signed files) this many days after their signing finished; 0 keeps them.
DOCUMENT_RETENTION_DAYS = env.int("DOCUMENT_RETENTION_DAYS", default=0)
CELERY_BEAT_SCHEDULE["documents-retention-purge"] = {
    "task": "signing.tasks.finished_documents_purge_task",
    "schedule": 24 * 3600.0,
}
# Files no row points to (left by a database failure after they were stored) are deleted daily.
CELERY_BEAT_SCHEDULE["stored-files-orphaned-purge"] = {
    "task": "signing.tasks.stored_files_orphaned_purge_task",
    "schedule": 24 * 3600.0,
}
# Bulk sends whose copies are all deleted, and drafts whose CSV was never corrected (bulk.retention).
CELERY_BEAT_SCHEDULE["bulk-sends-purge"] = {"task": "bulk.tasks.bulk_sends_purge_task", "schedule": 24 * 3600.0}
# Hours an upload is kept for a form with a mistake in another field; then it is deleted.
SIGNING_UPLOAD_HOLDING_HOURS = env.int("SIGNING_UPLOAD_HOLDING_HOURS", default=24)
CELERY_BEAT_SCHEDULE["upload-holding-purge"] = {"task": "signing.tasks.upload_holding_purge_task", "schedule": 3600.0}
