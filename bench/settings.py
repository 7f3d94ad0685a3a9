"""Benchmark settings: the test settings, tasks queued (not run inline), no rate limits, two bare views."""

from portal.env import env
from portal.settings.test import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# Postbacks queue their processing on a broker nobody consumes, so only the ingest is measured.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
RATE_LIMITS = {"identity-session": 10**9, "signer-link": 10**9, "upload": 10**9}
# PF2 measures with production logging (JSON lines, redaction); the other benchmarks log nothing.
if not env.bool("BENCH_PRODUCTION_LOGGING", default=False):
    LOGGING_CONFIG = None
else:
    LOGGING["formatters"]["json"] = {"()": "portal.logging.JsonFormatter"}  # noqa: F405
    for handler in LOGGING["handlers"].values():  # noqa: F405
        handler["formatter"] = "json"
# As in production (the test settings close connections after each request).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405
MEDIA_ROOT = env.str("BENCH_MEDIA_ROOT", default=str(BASE_DIR / "bench" / "results" / "media"))  # noqa: F405
