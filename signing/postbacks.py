"""Postbacks: stored once, straight from the request (one statement, batched per process), then processed.

The body is only a hint: processing asks Dokobit's status endpoint (:mod:`signing.sync`) before
anything changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from portal.http import GatewayError, GatewayUnavailable
from signing import dispatch, postback_batch
from signing.archive import ARCHIVE_ACTIONS, archive_confirm
from signing.models import Signing, SigningEvent
from signing.selectors import token_hash
from signing.sync import signing_sync_from_gateway

logger = logging.getLogger(__name__)


_POSTBACK_KEYS = ("action", "status", "file_digest", "valid_to", "signature_id")
_SIGNER_INFO_KEYS = ("country_code", "signing_time", "signing_option", "type")


def postback_clean(*, payload: dict[str, Any], names_our_signer: bool) -> dict[str, Any]:
    """The postback as stored: an allowlist of fields, so no personal code, certificate or token is kept.

    ``signer`` is kept when it is one of the signing's Dokobit signer ids, otherwise only a hash of
    it (old payloads named signers by personal code).
    """
    cleaned: dict[str, Any] = {key: str(payload[key])[:200] for key in _POSTBACK_KEYS if key in payload}
    if "signer" in payload:
        signer = _postback_signer(payload)
        cleaned["signer"] = signer if names_our_signer or not signer else _hashed_signer(signer)
    info = payload.get("signer_info")
    if isinstance(info, dict):
        cleaned["signer_info"] = {key: str(info[key])[:100] for key in _SIGNER_INFO_KEYS if key in info}
    return cleaned


def _postback_signer(payload: dict[str, Any]) -> str:
    value = payload.get("signer")
    return str(value) if value is not None else ""


def _hashed_signer(value: str) -> str:
    return "h:" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _postback_dedup_key(*, signing_uuid: Any, cleaned: dict[str, Any]) -> str:
    parts = [str(signing_uuid), cleaned.get("action", ""), cleaned.get("signer", ""), cleaned.get("file_digest", "")]
    return "postback:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


# Secret check, signer check and insert in one statement, committed when it returns (autocommit).
# Both ways of storing ``signer`` are prepared; the join says which applies. Nothing is inserted
# for a wrong secret or an unknown signing, nor for a repeated postback (same dedup_key, also one
# racing in another worker).
_POSTBACK_INSERT_SQL = """
INSERT INTO signing_signingevent (document_id, signing_id, kind, payload, dedup_key, processed, error, created_at)
SELECT s.document_id, s.id, %s,
    CASE WHEN r.id IS NULL THEN %s ELSE %s END,
    CASE WHEN r.id IS NULL THEN %s ELSE %s END,
    false, '', %s
FROM signing_signing s LEFT JOIN signing_signer r ON r.signing_id = s.id AND r.dokobit_signer_id = %s
WHERE s.uuid = %s AND s.postback_secret_hash = %s
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id, signing_id
"""

# The same for many postbacks at once (PostgreSQL): one statement and one commit for a batch.
# The batch is one JSON parameter (a row per postback), so the statement's text is the same for
# every batch size and is prepared once per connection. The LATERAL lookup (LIMIT 1: a uuid names
# one signing) keeps the plan to an index probe per postback, whatever the batch.
# ``matched`` holds the postbacks whose secret is right; the final SELECT tells each of them its
# signing and the id of the row stored under its dedup_key by this statement (NULL when it
# already existed), so a repeat needs no second query.
# Two postbacks of one batch with the same dedup_key insert one row (ON CONFLICT DO NOTHING
# also skips a conflict with a row inserted by the same statement); the first in order keeps it.
_POSTBACK_INSERT_MANY_SQL = """
WITH matched AS (
    SELECT i.n, s.document_id, s.signing_id, i.created_at,
        CASE WHEN s.ours THEN coalesce(i.payload_ours, i.payload_plain) ELSE i.payload_plain END AS payload,
        CASE WHEN s.ours THEN coalesce(i.key_ours, i.key_plain) ELSE i.key_plain END AS dedup_key
    FROM jsonb_to_recordset(%s::jsonb) AS i(
        n int, payload_plain jsonb, payload_ours jsonb, key_plain text, key_ours text,
        created_at timestamptz, signer text, uuid uuid, secret_hash text
    )
    CROSS JOIN LATERAL (
        SELECT s.id AS signing_id, s.document_id,
            EXISTS (SELECT FROM signing_signer r WHERE r.signing_id = s.id AND r.dokobit_signer_id = i.signer) AS ours
        FROM signing_signing s
        WHERE s.uuid = i.uuid AND s.postback_secret_hash = i.secret_hash
        LIMIT 1
    ) s
), inserted AS (
    INSERT INTO signing_signingevent (document_id, signing_id, kind, payload, dedup_key, processed, error, created_at)
    SELECT document_id, signing_id, %s, payload, dedup_key, false, '', created_at FROM matched ORDER BY n
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id, dedup_key
)
SELECT m.n, m.signing_id, i.id FROM matched m LEFT JOIN inserted i ON i.dedup_key = m.dedup_key ORDER BY m.n
"""


@dataclass(frozen=True)
class PostbackRecorded:
    """A postback with its signing's secret: the id of the event stored for it, None for a repeat."""

    signing_id: int
    event_id: int | None


def _postback_insert_one(row: dict[str, Any]) -> PostbackRecorded | None:
    """One postback on a database without the batch statement (SQLite in development)."""
    ours = "payload_ours" in row
    created_at = SigningEvent._meta.get_field("created_at").get_db_prep_save(
        datetime.fromisoformat(row["created_at"]), connection
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _POSTBACK_INSERT_SQL,
            [
                SigningEvent.Kind.POSTBACK.value,
                *(json.dumps(row["payload_plain"]), json.dumps(row["payload_ours"] if ours else row["payload_plain"])),
                *(row["key_plain"], row["key_ours"] if ours else row["key_plain"]),
                *(created_at, row["signer"], row["uuid"].replace("-", ""), row["secret_hash"]),
            ],
        )
        found = cursor.fetchone()
    if found:
        return PostbackRecorded(signing_id=found[1], event_id=found[0])
    signing = Signing.objects.filter(uuid=row["uuid"], postback_secret_hash=row["secret_hash"])
    signing_id = signing.values_list("pk", flat=True).first()
    return None if signing_id is None else PostbackRecorded(signing_id=signing_id, event_id=None)


def _postback_connection_params() -> dict[str, Any]:
    """psycopg's arguments for the batch connection: Django's, with server-side parameters and prepares."""
    from django.db import connections

    params = connections["default"].get_connection_params()
    for django_only in ("cursor_factory", "prepare_threshold", "context"):
        params.pop(django_only, None)
    return params


# The batch statement's own connection (one per process; the group commit has one writer at a time).
_postback_connection = postback_batch.StatementConnection(_postback_connection_params)


# The secret checks' own connections (one per request thread checking at the same moment).
_secret_connections = postback_batch.StatementPool(_postback_connection_params)


def postback_connection_close() -> None:
    """Close this process's batch and secret-check connections (before its database is dropped or moved)."""
    _postback_connection.close()
    _secret_connections.close()


# The secret check of a postback whose secret the portal did not recognisably make (see
# signing.postback_secrets), before its body is read (signing.webhooks): one indexed read
# of one column, prepared once per connection. Loading the whole Signing through the ORM cost ~1.5
# ms of CPU per postback, more than the rest of the request; Django's cursor, with its health check
# (a second round trip), still ~0.3 ms more than this (PF2 in the README).
_POSTBACK_SECRET_HASH_SQL = "SELECT postback_secret_hash FROM signing_signing WHERE uuid = %s"
_SIGNING_UUID = Signing._meta.get_field("uuid")


def postback_secret_matches(*, signing_uuid: uuid.UUID, secret: str) -> bool:
    """Whether ``secret`` is the current postback secret of the signing ``signing_uuid``."""
    if not secret or len(secret) > 200:
        return False
    if connection.in_atomic_block or connection.vendor != "postgresql":
        # In a transaction (tests, a caller's atomic block) it must see that transaction's rows;
        # on SQLite the uuid is stored as 32 hex characters.
        with connection.cursor() as cursor:
            cursor.execute(_POSTBACK_SECRET_HASH_SQL, [_SIGNING_UUID.get_db_prep_value(signing_uuid, connection)])
            found = cursor.fetchall()
    else:
        found = _secret_connections.fetchall(_POSTBACK_SECRET_HASH_SQL, [signing_uuid])
    if not found or not found[0][0]:
        return False
    # Hash first, then compare in constant time: the stored value is only ever the hash.
    return constant_time_compare(token_hash(secret), found[0][0])


def _postback_insert_many(rows: Sequence[dict[str, Any]]) -> list[PostbackRecorded | None]:
    """Store a batch of postbacks in one statement; for each, what was stored, None for a wrong secret.

    ``event_id`` is None for a postback stored before, or by an earlier row of the same batch.
    """
    if connection.vendor != "postgresql":
        return [_postback_insert_one(row) for row in rows]
    params = [json.dumps([{**row, "n": n} for n, row in enumerate(rows)]), SigningEvent.Kind.POSTBACK.value]
    if connection.in_atomic_block:
        # Written with the caller's transaction (tests, a caller's atomic block): Django's connection.
        with connection.cursor() as cursor:
            cursor.execute(_POSTBACK_INSERT_MANY_SQL, params)
            found = cursor.fetchall()
    else:
        found = _postback_connection.fetchall(_POSTBACK_INSERT_MANY_SQL, params)
    recorded: list[PostbackRecorded | None] = [None] * len(rows)
    taken: set[int] = set()
    for n, signing_id, event_id in found:
        new = event_id is not None and event_id not in taken
        recorded[n] = PostbackRecorded(signing_id=signing_id, event_id=event_id if new else None)
        taken.add(event_id)
    return recorded


# Concurrent postbacks in one process share a statement and a commit (see signing.postback_batch).
_postback_group = postback_batch.GroupCommit(_postback_insert_many)


def _postbacks_publish(event_ids: list[int]) -> None:
    dispatch.task_named("signing.tasks.signing_postbacks_process_task").delay(event_ids)


# A publish costs ~0.8 ms of CPU whatever its size: one per 0.2 s per process (PF2: 0.05 s left it a
# few percent of a loaded worker). Processing, a Dokobit status call, starts at most 0.2 s later.
_postback_publisher = postback_batch.Publisher(_postbacks_publish, interval=0.2)


def _postback_queue_processing(event_id: int) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Tasks run inline (tests, a broker-less `make run`): process it now, as before batching.
        dispatch.publish("signing.tasks.signing_postback_process_task", event_id)
    else:
        # A Celery publish per postback cost more than the rest of the request: the publisher
        # thread sends one task per batch. A batch lost with the process is found by the sweep.
        _postback_publisher.put(event_id)


def postback_record(*, signing_uuid: Any, secret: str, payload: dict[str, Any]) -> PostbackRecorded | None:
    """Store a postback once and queue its processing.

    None for a wrong secret or an unknown signing (nothing written); a repeated postback is
    recorded with ``event_id`` None. The body is only a hint: processing asks Dokobit's status
    endpoint before changing anything.
    Raises :class:`signing.postback_batch.BatchNotStored` when the statement of its batch failed.
    """
    if not secret or len(secret) > 200:
        return None
    try:
        signing_uuid = Signing._meta.get_field("uuid").to_python(signing_uuid)
    except ValidationError:
        return None
    plain = postback_clean(payload=payload, names_our_signer=False)
    row = {
        "payload_plain": plain,
        "key_plain": _postback_dedup_key(signing_uuid=signing_uuid, cleaned=plain),
        "created_at": timezone.now().isoformat(),
        "signer": _postback_signer(payload),
        "uuid": str(signing_uuid),
        # The stored hash is compared with the hash of the secret (never the secret itself).
        "secret_hash": token_hash(secret),
    }
    if "signer" in payload:
        # Stored this way when the signer is one of the signing's own (the statement checks).
        ours = postback_clean(payload=payload, names_our_signer=True)
        row |= {"payload_ours": ours, "key_ours": _postback_dedup_key(signing_uuid=signing_uuid, cleaned=ours)}
    if connection.in_atomic_block or connection.vendor != "postgresql":
        # Inside a transaction the row is committed with it, not by a batch: written alone.
        recorded = _postback_insert_many([row])[0]
    else:
        try:
            recorded = _postback_group.submit(row)
        except postback_batch.BatchNotStored:
            logger.exception("a batch of postbacks could not be stored")
            raise
    if recorded is not None and recorded.event_id is not None:
        event_id = recorded.event_id
        transaction.on_commit(lambda: _postback_queue_processing(event_id))
    return recorded


def postback_process(*, event_id: int) -> None:
    """Process one recorded postback: synchronise its signing with Dokobit, then mark it processed."""
    event = SigningEvent.objects.select_related("signing").get(pk=event_id)
    if event.processed or event.signing is None:
        return
    action = event.payload.get("action") if isinstance(event.payload, dict) else None
    try:
        if action in ARCHIVE_ACTIONS:
            # About a completed signing's archive: the status endpoint says whether it happened.
            archive_confirm(signing_id=event.signing.pk, failed_notice=action == "signing_archive_failed")
        else:
            signing_sync_from_gateway(signing=event.signing)
    except GatewayUnavailable:
        raise
    except GatewayError as err:
        SigningEvent.objects.filter(pk=event.pk).update(error=str(err)[:2000])
        raise
    SigningEvent.objects.filter(pk=event.pk).update(processed=True, processed_at=timezone.now(), error="")


def postback_event_reprocess(*, event: SigningEvent) -> None:
    """Process a failed or never-processed postback event again; GatewayErrors propagate.

    For operators (the ``signing_reprocess_events`` command and the admin action); the error of a
    failed attempt is kept on the event.
    """
    SigningEvent.objects.filter(pk=event.pk).update(processed=False, processed_at=None)
    try:
        postback_process(event_id=event.pk)
    except GatewayError as err:
        SigningEvent.objects.filter(pk=event.pk).update(error=str(err)[:2000])
        raise
