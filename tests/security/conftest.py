"""Shared fixtures of the threat tests, and the services fixtures (PostgreSQL, Redis, workers) they use."""

from __future__ import annotations

import io
import logging

import pytest

from tests.identity.conftest import complete, identity_api, start_flow  # noqa: F401
from tests.services.conftest import portal_worker, postgres, redis_url  # noqa: F401
from tests.signing.conftest import live_signing, make_document, owner, signer_data  # noqa: F401


@pytest.fixture
def console_output():
    """What the configured log handlers really write (after their redacting filter), as a StringIO."""
    buffer = io.StringIO()
    handlers = {
        handler
        for name in ("", "django", "django.request", "celery")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler)
    }
    assert handlers, "no log handler is configured"
    previous = {handler: handler.setStream(buffer) for handler in handlers}
    try:
        yield buffer
    finally:
        for handler, stream in previous.items():
            handler.setStream(stream)
