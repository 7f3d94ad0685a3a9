"""The portal's Celery app: configured from Django settings (CELERY_* names)."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _django_logging(**_kwargs) -> None:
    """Workers log through Django's LOGGING, so through its redacting filter (LOG_LEVEL sets the level).

    Without this Celery replaces the root handlers with its own, unfiltered ones: with ``-l debug``
    urllib3 then logged every Dokobit URL with its ``access_token`` in clear.
    """
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
