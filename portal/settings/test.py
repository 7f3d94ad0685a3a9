"""Test settings: the base settings with the emulator on, fast hashing and in-memory mail.

DATABASE_URL and CELERY_BROKER_URL still come from the environment, so the same suite runs on
SQLite (a newcomer's machine) and on PostgreSQL + Redis (CI).
"""

import os

# Before the base settings read it: a developer's local .env (DEBUG on, plain logs, ...) must not
# change what the suite tests, nor reach the processes the suite starts.
os.environ["PORTAL_DOTENV"] = ""

from portal.csp import content_security_policy
from portal.settings.base import *  # noqa: F403
from portal.settings.base import DATABASES, DOKOBIT_EMULATOR_PREFIX, INSTALLED_APPS

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Unit tests see a task's exception where they queue it; tests of the retry thread switch it on.
EAGER_TASK_RETRIES = False
# Pytest runs Django with DEBUG=False; the emulator is still wanted there.
DOKOBIT_EMULATOR_ALLOW_WITHOUT_DEBUG = True
# Uploads are ready at once: tests poll without pausing (or busy-poll), and the emulator's own
# contract tests set the pending time they need.
DOKOBIT_EMULATOR_UPLOAD_PENDING_SECONDS = 0.0
if "dokobit_emulator" not in INSTALLED_APPS:
    INSTALLED_APPS.append("dokobit_emulator")
SESSION_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
# Tests open connections from live-server threads and workers; close them after each request.
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Tests never run collectstatic; serve from the finders instead of STATIC_ROOT.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
SECURE_HSTS_SECONDS = 0

# Pinned so unit tests never depend on the machine's environment. The identity and gateway base
# URLs are the real sandbox's, which `responses` intercepts; browser tests point them at the
# emulator inside the live server instead.
PORTAL_BASE_URL = "https://portal.example.test"
PORTAL_ORIGIN = PORTAL_BASE_URL
DOKOBIT_EMULATOR = True
DOKOBIT_IDENTITY_URL = "https://id-sandbox.dokobit.com"
DOKOBIT_GATEWAY_URL = "https://gateway-sandbox.dokobit.com"
DOKOBIT_IDENTITY_TOKEN = "testid_unit_token"
DOKOBIT_GATEWAY_TOKEN = "testgw_unit_token"
DOKOBIT_TIMEOUT = 5.0
CONTENT_SECURITY_POLICY = content_security_policy(
    portal_origin=PORTAL_ORIGIN,
    identity_url=DOKOBIT_IDENTITY_URL,
    gateway_url=DOKOBIT_GATEWAY_URL,
    emulator_prefix=DOKOBIT_EMULATOR_PREFIX,
)
ALLOWED_HOSTS = ["*"]

# A file-backed SQLite test database (not in-memory) so live-server threads, which browser tests
# use for nested requests (portal -> emulator -> portal postback), get their own connections.
# One file per test process, so parallel runs never share it.
import tempfile  # noqa: E402

from portal.settings.base import DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"portal-test-{os.getpid()}.sqlite3")}

# Under pytest-xdist each worker (gw0, gw1, ...) empties the cache before every test (FLUSHDB on
# Redis), so each worker gets a Redis database of its own: gwN uses the configured one plus N. The
# processes a test starts (gunicorn, workers, beat) inherit it through REDIS_URL, and the test broker
# database (SERVICES_REDIS_DB, default 11) counts down the same way, so two workers' tasks, beats and
# caches never meet.
from urllib.parse import urlsplit, urlunsplit  # noqa: E402

from portal.settings.base import CACHES  # noqa: E402

_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker.startswith("gw"):
    _worker_index = int(_xdist_worker[2:])
    if CACHES["default"]["BACKEND"].endswith("RedisCache"):
        _cache_url = urlsplit(CACHES["default"]["LOCATION"])
        _cache_db = int(_cache_url.path.strip("/") or 0) + _worker_index
        CACHES["default"]["LOCATION"] = urlunsplit((*_cache_url[:2], f"/{_cache_db}", "", ""))
        os.environ["REDIS_URL"] = CACHES["default"]["LOCATION"]
    os.environ["SERVICES_REDIS_DB"] = str(int(os.environ.get("SERVICES_REDIS_DB", "11")) - _worker_index)
