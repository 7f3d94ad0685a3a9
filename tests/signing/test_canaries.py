"""T14/T15 canaries: personal codes and the gateway token, pushed through a whole signing with
failures on the way, never appear in logs, e-mails, task arguments or plain database columns."""

from __future__ import annotations

import json
import logging
from unittest import mock
from urllib.parse import urlsplit

import pytest
from celery.app.task import Task
from django.core import mail

from signing.models import Signing
from tests.signing.conftest import CODES, calls_to, json_body
from tests.signing.helpers import (
    CREATE,
    completed,
    create_ok,
    mock_completed,
    mock_upload,
    plain_columns,
    send,
    signer_signed,
)

pytestmark = pytest.mark.django_db
CANARY_TOKEN = "testgw_canary_7f3a9c2e5b1d4e6f8a0b"


def test_canaries_stay_out_of_logs_mail_task_arguments_and_plain_columns(
    client, gateway, settings, make_document, caplog, django_capture_on_commit_callbacks
):
    """T14/T15 (Redis and DEBUG logs: tests/security/test_canaries_redis.py)."""
    settings.DOKOBIT_GATEWAY_TOKEN = CANARY_TOKEN
    caplog.set_level(logging.DEBUG)
    published = []
    real_apply_async = Task.apply_async

    def record(task, args=None, kwargs=None, **options):
        published.append(repr((task.name, args, kwargs)))
        return real_apply_async(task, args, kwargs, **options)

    with mock.patch("celery.app.task.Task.apply_async", autospec=True, side_effect=record):
        document = make_document(2)
        signing = document.signings.get()
        # A failure on the way: the first create answers 500, the retry succeeds.
        mock_upload(gateway)
        gateway.post(CREATE, status=500, json={"status": "error", "message": "problems", "error_code": 500})
        gateway.add_callback("POST", CREATE, callback=create_ok)
        settings.CELERY_TASK_EAGER_PROPAGATES = False
        send(signing, django_capture_on_commit_callbacks)
        signing.refresh_from_db()
        if signing.status != Signing.Status.PENDING:
            # Eager retries are not replayed here: run the send again as a worker would.
            send(signing, django_capture_on_commit_callbacks)
        signing.refresh_from_db()
        assert signing.status == Signing.Status.PENDING

        # The postback URL of the create that succeeded (each attempt gets its own secret).
        postback_path = urlsplit(json_body(calls_to(gateway, "/api/signing/create.json")[-1])["postback_url"]).path
        mock_completed(gateway)
        payloads = [signer_signed("signer1"), signer_signed("signer2"), completed()]
        for payload in payloads[:2]:
            payload["signer_info"]["code"] = CODES[0]
        for payload in payloads:
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(postback_path, data=json.dumps(payload), content_type="application/json")
            assert response.status_code == 200

    signing.refresh_from_db()
    assert signing.status == Signing.Status.COMPLETED
    # The canaries really went through: the signers are the canary people and Dokobit got them.
    assert {signer.personal_code for signer in document.signers.all()} <= set(CODES)
    assert any(CODES[0] in call.request.body.decode() for call in calls_to(gateway, "/api/signing/create.json"))
    assert published, "no task was published"
    haystacks = {
        "logs": caplog.text,
        "mail": "\n".join(f"{m.subject}\n{m.body}\n{m.alternatives}" for m in mail.outbox),
        "task arguments": "\n".join(published),
        "database": plain_columns(),
    }
    assert mail.outbox, "no e-mail was sent"
    for canary in (*CODES, CANARY_TOKEN):
        for where, text in haystacks.items():
            assert canary not in text, f"{canary} found in {where}"
