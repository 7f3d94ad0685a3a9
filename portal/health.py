"""Health checks for /healthz: each answers "ok" or "down" and never raises."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

logger = logging.getLogger(__name__)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as err:  # noqa: BLE001 - any failure means "down"
        logger.error("health: database down: %s", type(err).__name__)
        return "down"
    return "ok"


def check_redis() -> str | None:
    """Ping the broker and the cache when they are Redis; None when no Redis is configured."""
    urls = {
        url for url in (settings.CELERY_BROKER_URL, settings.REDIS_URL) if url.startswith(("redis://", "rediss://"))
    }
    if not urls:
        return None
    import redis

    for url in urls:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        except Exception as err:  # noqa: BLE001
            logger.error("health: redis down: %s", type(err).__name__)
            return "down"
    return "ok"


def check_storage() -> str:
    """Write, read back and delete a small file where documents are kept."""
    name = f"healthz/{uuid.uuid4().hex}.txt"
    try:
        saved = default_storage.save(name, ContentFile(b"ok"))
        try:
            with default_storage.open(saved, "rb") as handle:
                ok = handle.read() == b"ok"
        finally:
            default_storage.delete(saved)
    except Exception as err:  # noqa: BLE001
        logger.error("health: storage down: %s", type(err).__name__)
        return "down"
    return "ok" if ok else "down"


def health_report() -> dict[str, str]:
    checks = {"database": check_database(), "storage": check_storage()}
    redis_state = check_redis()
    if redis_state is not None:
        checks["redis"] = redis_state
    return checks
