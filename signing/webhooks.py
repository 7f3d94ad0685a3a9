"""Dokobit postbacks: validate the URL secret, record the event once, queue processing, answer 200.

A postback is a doorbell, not a fact (there is no signature on it): processing asks Dokobit's
status endpoint before anything changes, and never follows the ``file`` URL in the body.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any, NoReturn

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.errors import json_error
from portal.http import GatewayError
from signing import recovery
from signing.documents import document_file_verified, document_get_by_fetch_token
from signing.errors import DocumentTampered
from signing.postback_batch import BatchNotStored
from signing.postback_secrets import postback_secret_made_here
from signing.postbacks import postback_record, postback_secret_matches

logger = logging.getLogger(__name__)

_MAX_ACTION_LENGTH = 64
# The answer to every accepted postback, encoded once (it is the busiest answer the portal gives).
_OK_BODY = b'{"status": "ok"}'


def _bad_request(reason: str) -> JsonResponse:
    return json_error(reason, status=400)


def _ok() -> HttpResponse:
    return HttpResponse(_OK_BODY, content_type="application/json")


def _try_again_later() -> JsonResponse:
    return json_error("try again later", status=503)


# Dokobit's postbacks are a few hundred bytes; anything far bigger is not one, and is not parsed.
MAX_POSTBACK_BYTES = 64 * 1024
# Nesting a real postback never reaches (its deepest value is ``signer_info``'s fields). Checked
# before json.loads, so a deeply nested body never reaches the parser's recursion.
_MAX_DEPTH = 16


def _too_deep(body: bytes) -> bool:
    """Whether ``body`` opens more than ``_MAX_DEPTH`` arrays or objects at once (outside strings)."""
    if body.count(b"[") + body.count(b"{") <= _MAX_DEPTH:
        return False  # the common case, counted at C speed: too few brackets to nest that deep
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > _MAX_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def _storable(value: Any) -> bool:
    """Whether every string in ``value`` can be stored: UTF-8 encodable (no lone surrogate such as
    ``"\\ud800"``, which JSON allows) and free of NUL, which PostgreSQL's text and jsonb refuse."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_storable(key) and _storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


def _payload(body: bytes) -> tuple[Any, str | None]:
    """The decoded body and what is wrong with it as a postback (None when it is one)."""
    if len(body) > MAX_POSTBACK_BYTES or _too_deep(body):
        return None, "not a postback"
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, "invalid JSON"
    if not isinstance(payload, dict):
        return payload, "JSON object expected"
    if not _storable(payload):
        return payload, "text that cannot be stored"
    action = payload.get("action")
    if not isinstance(action, str) or not action or len(action) > _MAX_ACTION_LENGTH:
        return payload, "action missing"
    return payload, None


def _not_found() -> NoReturn:
    # Wrong or unknown secret: the same 404 either way, nothing written, the body never read.
    logger.warning("postback with an unknown signing or wrong secret")
    raise Http404


# A function, not a class-based view: the busiest URL, and method_decorator re-applies its
# decorators on every request.
@csrf_exempt
@login_not_required
@require_POST
def postback(request: HttpRequest, signing_uuid: uuid.UUID, secret: str) -> HttpResponse:
    """``POST /postback/<signing uuid>/<secret>/``: Dokobit's signer_signed / signing_completed notices."""
    # The URL secret is checked before the body is parsed: whoever does not hold it gets a 404 and
    # costs no parsing at all. A secret the portal made (its MAC checks, signing.postback_secrets)
    # passes without a read, as the insert stores the postback only while the secret is the
    # signing's; any other is looked up first.
    made_here = postback_secret_made_here(signing_uuid=signing_uuid, secret=secret)
    current = made_here or _secret_is_current(signing_uuid=signing_uuid, secret=secret)
    payload, problem = _payload(request.body)
    if made_here and problem is not None:
        # A bad body is refused only on the signing's current URL; on any other it is an orphan's or a 404.
        current = _secret_is_current(signing_uuid=signing_uuid, secret=secret)
    if not current:
        return _orphan_postback(signing_uuid=signing_uuid, secret=secret, payload=payload)
    if problem is not None:
        return _bad_request(problem)
    try:
        recorded = postback_record(signing_uuid=signing_uuid, secret=secret, payload=payload)
    except BatchNotStored:
        # Not stored (the batch it was written in failed): Dokobit retries on an error status.
        return _try_again_later()
    if recorded is None:
        # Not (or no longer) the signing's secret: a retired create attempt's, or one that a retried
        # create attempt replaced between the check and the insert.
        if recovery.orphan_secret_known(signing_uuid=signing_uuid, secret=secret):
            return _orphan_postback(signing_uuid=signing_uuid, secret=secret, payload=payload)
        _not_found()
    if recorded.event_id is None:
        logger.info("duplicate postback for signing %s ignored", recorded.signing_id)
    return _ok()


def _secret_is_current(*, signing_uuid: uuid.UUID, secret: str) -> bool:
    """Whether ``secret`` is the signing's current postback secret (read from the database); a 404
    when it is not one of its retired create attempts' either (signing.recovery)."""
    current = postback_secret_matches(signing_uuid=signing_uuid, secret=secret)
    if not current and not recovery.orphan_secret_known(signing_uuid=signing_uuid, secret=secret):
        _not_found()
    return current


def _orphan_postback(*, signing_uuid: uuid.UUID, secret: str, payload: Any) -> HttpResponse:
    # A retired create attempt's URL: its Dokobit signing is an orphan and is deleted.
    try:
        recovery.orphan_postback(signing_uuid=signing_uuid, secret=secret, payload=payload)
    except GatewayError:
        return _try_again_later()
    return _ok()


@method_decorator(login_not_required, name="dispatch")
class DocumentFetchView(View):
    """``GET /fetch/<signed token>/``: Dokobit fetching a document uploaded with ``file[url]``.

    The token is a time-limited signature of the document's id; the bytes are re-checked against
    the stored SHA-256 before they are served, so Dokobit receives exactly what was hashed.
    """

    http_method_names = ["get"]

    def get(self, request: HttpRequest, fetch_token: str) -> FileResponse:
        document = document_get_by_fetch_token(token=fetch_token)
        if document is None or document.is_container:
            # A container's files are always uploaded as content (signing.container_sending).
            raise Http404
        try:
            handle = document_file_verified(document=document)
        except DocumentTampered as err:
            raise Http404 from err
        response = FileResponse(handle, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document.uuid}.pdf"'
        response["Cache-Control"] = "no-store"
        return response
