"""The emulated gateway's trust services: ``file/check``, ``signing/{token}/archive`` and
``signing/{token}/seal`` (dokobit-api.md section 2.8), with their validation errors.

Archiving is offered only for long-term signings (``pdflt``, ``pdf[level]=pades-ltv`` or a container's
``{type}[level]=xades-xl``), the only ones Dokobit sends archiving postbacks for (2.9). Sealing is
done once every signer has signed, so a seal never comes before a signature it should cover; a
signing created with no signers can be sealed at once, and the seal completes it (its status is
then "completed" with the sealed file), which is how an organisation seals instead of signing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from dokobit_emulator import asic, container_check, faults, pades, pdf_check, postbacks
from dokobit_emulator.gateway_views import (
    BLANK,
    DIGEST_RE,
    INVALID,
    SIGNING_PURPOSES,
    Errors,
    api_view,
    body_or_error,
    gateway_base,
    live_signing,
    signing_not_found,
    text,
    valid_postback_url,
    validation_response,
)
from dokobit_emulator.models import Fault
from dokobit_emulator.models.gateway import GatewaySigner, GatewaySigning

CHECK_TYPES = {"pdf", "pdflt", "asic", "adoc", "mdoc", "bdoc", "edoc"}
PDF_CHECK_TYPES = {"pdf", "pdflt"}
NOT_SUPPORTED = "File type is not supported."
NO_SIGNATURES = "No signatures found in the file."
ANNOTATION_FIELDS = ("page", "top", "left", "width", "height")


# --- file/check --------------------------------------------------------------------------------


def _checked_content(file_data: Any) -> tuple[bytes, Errors]:
    if not isinstance(file_data, dict):
        return b"", [("[file]", BLANK)]
    errors: Errors = []
    name, digest, content = text(file_data.get("name")), text(file_data.get("digest")).lower(), file_data.get("content")
    if not name:
        errors.append(("[file][name]", BLANK))
    if not digest:
        errors.append(("[file][digest]", BLANK))
    elif not DIGEST_RE.match(digest):
        errors.append(("[file][digest]", INVALID))
    if content in (None, ""):
        errors.append(("[file][content]", BLANK))
    if errors:
        return b"", errors
    try:
        raw = base64.b64decode(text(content), validate=True)
    except (binascii.Error, ValueError):
        return b"", [("[file][content]", INVALID)]
    actual = hashlib.sha1(raw).hexdigest() if len(digest) == 40 else hashlib.sha256(raw).hexdigest()  # noqa: S324
    if actual != digest:
        return b"", [("[file][digest]", "File digest does not match file content.")]
    return raw, []


@api_view("file.check", ["POST"])
def file_check(request: HttpRequest, *, fault: Fault | None) -> JsonResponse:
    data, error = body_or_error(request)
    if error:
        return error
    check_type = text(data.get("type"))
    errors: Errors = []
    if not check_type:
        errors.append(("[type]", BLANK))
    elif check_type not in CHECK_TYPES:
        errors.append(("[type]", "The value you selected is not a valid choice."))
    raw, file_errors = _checked_content(data.get("file"))
    errors += file_errors
    if errors:
        return validation_response(errors)
    try:
        if check_type in PDF_CHECK_TYPES:
            structure = pdf_check.pdf_structure(raw)
        else:
            # Containers: the emulator reads its own ASiC-E / ADOC signatures, nothing else.
            structure = container_check.container_structure(raw)
    except pdf_check.NotCheckable as err:
        message = NO_SIGNATURES if str(err) == "no signatures" else NOT_SUPPORTED
        return validation_response([("[file][content]", message)])
    return JsonResponse({"status": "ok", "structure": structure})


# --- archive -------------------------------------------------------------------------------------


def archive_payload(*, signing: GatewaySigning, action: str, base: str) -> dict[str, Any]:
    payload: dict[str, Any] = {"action": action, "token": signing.token, "status": "ok"}
    if action == "signing_archived":
        payload |= {
            "file": f"{base}/api/signing/{signing.token}/download",
            "file_digest": hashlib.sha256(signing.current_bytes()).hexdigest(),
            "valid_to": postbacks.format_gateway_time(signing.valid_to()),
        }
    return payload


@api_view("signing.archive", ["POST"])
def signing_archive(request: HttpRequest, token: str, *, fault: Fault | None) -> JsonResponse:
    signing = live_signing(token)
    if signing is None:
        return signing_not_found()
    data, error = body_or_error(request)
    if error:
        return error
    postback_url = signing.postback_url
    if data.get("postback_url") is not None:
        postback_url = text(data.get("postback_url"))
        if not valid_postback_url(postback_url):
            return validation_response([("[postback_url]", "This value is not a valid URL.")])
    if not signing.long_term:
        return validation_response([("[token]", "Only PAdES-LTV and XAdES-XL signings can be archived.")])
    if not signing.completed_at:
        return validation_response([("[token]", "Signing is not completed.")])
    if signing.archived_at:
        return validation_response([("[token]", "Signing is already archived.")])
    failed = faults.take("gateway", "archive", modes={"archive_failed"}) is not None
    base = gateway_base(request)
    if not failed:
        signing.version += 1
        previous = signing.version_bytes(signing.version - 1)
        archived = (
            asic.container_archive(previous) if signing.type in asic.CONTAINER_TYPES else pades.pdf_archive(previous)
        )
        signing.version_path(signing.version).write_bytes(archived)
        signing.archived_at = timezone.now()
        signing.save(update_fields=["version", "archived_at"])
    if postback_url:
        action = "signing_archive_failed" if failed else "signing_archived"
        payload = archive_payload(signing=signing, action=action, base=base)
        # After the commit, so a portal that asks the status endpoint sees the archive.
        transaction.on_commit(lambda: postbacks.postback_send(url=postback_url, payload=payload))
    return JsonResponse({"status": "ok"})


# --- seal ----------------------------------------------------------------------------------------


def _annotation(raw: Any, *, pages: int) -> tuple[pades.SealAnnotation | None, Errors]:
    if raw is None:
        return None, []
    if not isinstance(raw, dict):
        return None, [("[pdf][annotation]", INVALID)]
    errors: Errors = []
    numbers: dict[str, int] = {}
    for field in ANNOTATION_FIELDS:
        value = text(raw.get(field))
        if not value:
            errors.append((f"[pdf][annotation][{field}]", BLANK))
            continue
        try:
            numbers[field] = int(float(value))
        except ValueError:
            errors.append((f"[pdf][annotation][{field}]", INVALID))
            continue
        if numbers[field] < 0 or (field in ("page", "width", "height") and numbers[field] == 0):
            errors.append((f"[pdf][annotation][{field}]", INVALID))
    if "page" in numbers and numbers["page"] > pages:
        errors.append(("[pdf][annotation][page]", "Page does not exist in the document."))
    if errors:
        return None, errors
    return pades.SealAnnotation(text=text(raw.get("text")), **numbers), []


@api_view("signing.seal", ["POST"])
def signing_seal(request: HttpRequest, token: str, *, fault: Fault | None) -> JsonResponse:
    live = live_signing(token)
    if live is None:
        return signing_not_found()
    # Locked: a seal builds on the current version of the file, like a signature.
    signing = GatewaySigning.objects.select_for_update().get(pk=live.pk)
    data, error = body_or_error(request)
    if error:
        return error
    errors: Errors = []
    name = text(data.get("name"))
    if not name:
        errors.append(("[name]", BLANK))
    purpose = text(data.get("signing_purpose"))
    if "signing_purpose" in data and purpose not in SIGNING_PURPOSES:
        errors.append(("[signing_purpose]", INVALID))
    pdf_options = data.get("pdf")
    if pdf_options is not None and not isinstance(pdf_options, dict):
        errors.append(("[pdf]", INVALID))
        pdf_options = None
    annotation, annotation_errors = _annotation(
        (pdf_options or {}).get("annotation"), pages=pades.pdf_page_count(signing.current_bytes())
    )
    errors += annotation_errors
    if signing.type not in ("pdf", "pdflt"):
        errors.append(("[token]", "Only PDF signings can be sealed."))
    if signing.active_signers().exclude(status=GatewaySigner.STATUS_SIGNED).exists():
        errors.append(("[token]", "Signing has signers who have not signed yet."))
    if signing.archived_at:
        errors.append(("[token]", "Signing is already archived."))
    if errors:
        return validation_response(errors)
    sealed = pades.pdf_seal(data=signing.current_bytes(), name=name, annotation=annotation)
    signing.version += 1
    signing.version_path(signing.version).write_bytes(sealed.data)
    now = timezone.now()
    signing.sealed_at = now
    signing.completed_at = signing.completed_at or now
    signing.save(update_fields=["version", "sealed_at", "completed_at"])
    return JsonResponse({"status": "ok", "token": signing.token})
