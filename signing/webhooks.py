"""Dokobit postbacks: validate the URL secret, record the event once, queue processing, answer 200.

A postback is a doorbell, not a fact (there is no signature on it): processing asks Dokobit's
status endpoint before anything changes, and never follows the ``file`` URL in the body.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.http import GatewayError
from signing import recovery
from signing.errors import DocumentTampered
from signing.postback_batch import BatchNotStored
from signing.selectors import signing_get_by_postback_secret
from signing.services import document_file_verified, document_get_by_fetch_token, postback_record

logger = logging.getLogger(__name__)

_MAX_ACTION_LENGTH = 64
# The answer to every accepted postback, encoded once (it is the busiest answer the portal gives).
_OK_BODY = b'{"status": "ok"}'


def _bad_request(reason: str) -> JsonResponse:
    return JsonResponse({"status": "error", "error": reason}, status=400)


def _ok() -> HttpResponse:
    return HttpResponse(_OK_BODY, content_type="application/json")


def _try_again_later() -> JsonResponse:
    return JsonResponse({"status": "error", "error": "try again later"}, status=503)


def _payload(body: bytes) -> tuple[Any, str | None]:
    """The decoded body and what is wrong with it as a postback (None when it is one)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, "invalid JSON"
    if not isinstance(payload, dict):
        return payload, "JSON object expected"
    action = payload.get("action")
    if not isinstance(action, str) or not action or len(action) > _MAX_ACTION_LENGTH:
        return payload, "action missing"
    return payload, None


# A function, not a class-based view: the busiest URL, and method_decorator re-applies its
# decorators on every request.
@csrf_exempt
@login_not_required
@require_POST
def postback(request: HttpRequest, signing_uuid: Any, secret: str) -> HttpResponse:
    """``POST /postback/<signing uuid>/<secret>/``: Dokobit's signer_signed / signing_completed notices."""
    payload, problem = _payload(request.body)
    if problem is None:
        # The common case in one query: checked against the secret and stored once.
        try:
            recorded = postback_record(signing_uuid=signing_uuid, secret=secret, payload=payload)
        except BatchNotStored:
            # Not stored (the batch it was written in failed): Dokobit retries on an error status.
            return _try_again_later()
        if recorded is not None:
            if recorded.event_id is None:
                logger.info("duplicate postback for signing %s ignored", recorded.signing_id)
            return _ok()
    elif signing_get_by_postback_secret(signing_uuid=signing_uuid, secret=secret) is not None:
        return _bad_request(problem)
    # A retired create attempt's URL: its Dokobit signing is an orphan and is deleted.
    try:
        if recovery.orphan_postback(signing_uuid=signing_uuid, secret=secret, payload=payload):
            return _ok()
    except GatewayError:
        return _try_again_later()
    # Wrong or unknown secret: the same 404 either way, nothing written.
    logger.warning("postback with an unknown signing or wrong secret")
    raise Http404


@method_decorator(login_not_required, name="dispatch")
class DocumentFetchView(View):
    """``GET /fetch/<signed token>/``: Dokobit fetching a document uploaded with ``file[url]``.

    The token is a time-limited signature of the document's id; the bytes are re-checked against
    the stored SHA-256 before they are served, so Dokobit receives exactly what was hashed.
    """

    http_method_names = ["get"]

    def get(self, request: HttpRequest, fetch_token: str) -> FileResponse:
        document = document_get_by_fetch_token(token=fetch_token)
        if document is None:
            raise Http404
        try:
            handle = document_file_verified(document=document)
        except DocumentTampered as err:
            raise Http404 from err
        response = FileResponse(handle, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document.uuid}.pdf"'
        response["Cache-Control"] = "no-store"
        return response
