"""T14/T15 with the real parts: canary personal codes and canary Dokobit tokens go through a whole
signing (a gateway 500 on the way) on a real worker, Redis as broker and cache,
PostgreSQL and the emulator, with DEBUG logging everywhere. Then every Redis key and value (task
messages decoded), the logs of the worker and of the web process, every e-mail and every plain
database column are searched: no canary, and no ``access_token=`` with a value, anywhere.
"""

from __future__ import annotations

import base64
import json
import logging
import re

import pytest
import redis
import requests
from django.core import mail
from django.core.files.base import ContentFile

from dokobit_emulator import faults
from signing.documents import document_create
from signing.models import Signing
from signing.signers import SignerData
from tests.invariants import invitations_in, outbox_messages
from tests.services.conftest import blank_pdf, sign_all_at_emulator, signing_of, wait_for
from tests.signing.helpers import plain_columns

pytestmark = pytest.mark.services

CODES = ["39912319999", "49912319998"]
GATEWAY_TOKEN = "testgw_canary_5d2e8b1f9c4a7e3b"
IDENTITY_TOKEN = "testid_canary_8a4c1e7d2b9f6a3c"
CANARIES = [*CODES, GATEWAY_TOKEN, IDENTITY_TOKEN]
UNREDACTED_ACCESS_TOKEN = re.compile(r"access_token=(?!\[redacted\])[^&\s'\"]+")


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _decoded(value: str) -> str:
    """Kombu keeps a task message as JSON with a base64 body: add the body in clear."""
    try:
        message = json.loads(value)
    except ValueError:
        return value
    if isinstance(message, list) and len(message) == 2:  # unacked: [message, exchange, ...]
        message = message[0]
    if isinstance(message, dict) and isinstance(message.get("body"), str):
        try:
            return value + "\n" + base64.b64decode(message["body"]).decode(errors="replace")
        except ValueError:
            return value
    return value


def redis_dump(url: str) -> str:
    """Like ``redis-cli --scan`` plus a read of each key: every key and value of one database."""
    client = redis.Redis.from_url(url, socket_timeout=5)
    lines = []
    for key in client.scan_iter(count=500):
        kind = _text(client.type(key))
        if kind == "string":
            values = [client.get(key) or b""]
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "hash":
            values = [item for pair in client.hgetall(key).items() for item in pair]
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "zset":
            values = [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
        else:
            values = []
        lines.append(_text(key))
        lines.extend(_decoded(_text(value)) for value in values)
    return "\n".join(lines)


@pytest.fixture
def redis_cache(settings, redis_url):
    """The cache (rate limits) on the real Redis, as in production."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
    return redis_url


def test_canaries_stay_out_of_redis_logs_mail_and_columns_through_a_whole_flow(
    portal_worker, redis_cache, settings, make_user, console_output
):
    settings.DOKOBIT_GATEWAY_TOKEN = settings.DOKOBIT_EMULATOR_GATEWAY_TOKEN = GATEWAY_TOKEN
    settings.DOKOBIT_IDENTITY_TOKEN = settings.DOKOBIT_EMULATOR_IDENTITY_TOKEN = IDENTITY_TOKEN
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        owner = make_user(first_name="Owner", last_name="Person", language="en")
        signers = [
            SignerData(
                first_name=f"Canary{i}",
                last_name="Testnumber",
                country_code="LT",
                personal_code=code,
                email=f"canary{i}@example.test",
                signing_purpose="signature",
                language="en",
            )
            for i, code in enumerate(CODES)
        ]
        # A failure on the way: the first create answers 500 (the time-out is test_secret_exposure's).
        faults.arm("gateway", "500", endpoint="signing.create")
        document = document_create(
            owner=owner, uploaded_file=ContentFile(blank_pdf(), name="x.pdf"), title="Canary lease", signers=signers
        )
        signing = signing_of(document)

        # No worker yet: the send task waits in Redis, and so would any argument it carries.
        waiting = redis_dump(portal_worker.broker)
        # The scan reads the message's decoded body (the task's arguments), not only its envelope.
        assert "signing.tasks.signing_send_task" in waiting, "the task message was not found"
        assert f"[[{signing.pk}], {{}}" in waiting, "the task message body was not decoded"
        for canary in CANARIES:
            assert canary not in waiting, f"{canary} in a queued task message"

        portal_worker.start(
            LOG_LEVEL="DEBUG",
            DOKOBIT_EMULATOR="true",
            DOKOBIT_GATEWAY_TOKEN=GATEWAY_TOKEN,
            DOKOBIT_IDENTITY_TOKEN=IDENTITY_TOKEN,
            REDIS_URL=redis_cache,
        )
        assert wait_for(lambda: status_of(signing) == Signing.Status.PENDING, timeout=90), portal_worker.logs()
        assert wait_for(
            lambda: all(invitations_in(outbox_messages(portal_worker.outbox), s) == 1 for s in document.signers.all()),
            timeout=30,
        ), portal_worker.logs()

        # The signers open their links (rate-limit counters land in the Redis cache) and sign.
        for signer in document.signers.all():
            page = requests.get(f"{portal_worker.live_url}/sign/{signer.link_token}/", timeout=30)
            assert page.status_code == 200
        assert redis.Redis.from_url(redis_cache).dbsize() > 0, "nothing reached the Redis cache"
        sign_all_at_emulator(portal_worker.live_url, signing)
        assert wait_for(lambda: status_of(signing) == Signing.Status.COMPLETED, timeout=90), portal_worker.logs()
        assert wait_for(lambda: len(outbox_messages(portal_worker.outbox)) >= 5, timeout=30), portal_worker.logs()
    finally:
        root.setLevel(level)
    for worker in portal_worker.workers:
        worker.stop()

    # The canaries really went through the flow: Dokobit was asked with them.
    from dokobit_emulator.models.gateway import GatewaySigning

    assert GatewaySigning.objects.exists()
    logs = "\n".join(w.log(tail=10**9) for w in portal_worker.workers) + console_output.getvalue()
    assert "urllib3" in logs or "HTTP/1.1" in logs, "DEBUG logging was not on"
    haystacks = {
        "redis broker": redis_dump(portal_worker.broker),
        "redis cache": redis_dump(redis_cache),
        "logs": logs,
        "mail": "\n".join(m.as_string() for m in outbox_messages(portal_worker.outbox, mail.outbox)),
        "database": plain_columns(),
    }
    for canary in CANARIES:
        for where, text in haystacks.items():
            assert canary not in text, f"{canary} found in {where}"
    # The Dokobit URLs were logged (urllib3 at DEBUG), each with its token masked.
    assert "access_token=[redacted]" in logs
    assert UNREDACTED_ACCESS_TOKEN.findall(logs) == []


def status_of(signing) -> str:
    signing.refresh_from_db()
    return signing.status
