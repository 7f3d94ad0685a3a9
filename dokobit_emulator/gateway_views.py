"""The emulated Documents Gateway: Dokobit's API paths, answers and errors, plus the signing page.

Strict where the documentation is silent, so that a portal which works against the emulator
works against Dokobit.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import mimetypes
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from dokobit_emulator import asic, faults, pades, postbacks
from dokobit_emulator.gateway_forms import BodyError, max_body_bytes, parse_body
from dokobit_emulator.models import Fault
from dokobit_emulator.models.gateway import (
    CONTAINER_LONG_TERM_LEVEL,
    LONG_TERM_LEVEL,
    GatewayBatch,
    GatewayBatchItem,
    GatewayFile,
    GatewaySigner,
    GatewaySigning,
)

# The SDK's DocumentTypeProvider::getAllDocumentTypes().
SIGNING_TYPES = {
    "pdf",
    "pdflt",
    "asice",
    "bdoc",
    "edoc",
    "adoc",
    "adoc.bedoc",
    "adoc.cedoc",
    "adoc.gedoc",
    "adoc.ggedoc",
    "mdoc",
    "mdoc.bedoc",
    "mdoc.cedoc",
    "mdoc.gedoc",
    "mdoc.ggedoc",
}
PDF_TYPES = {"pdf", "pdflt"}
SIGNING_PURPOSES = {
    "signature",
    "confirmation",
    "visa",
    "conciliation",
    "registration",
    "registration-of-incoming-documents",
    "acknowledgement",
    "notarisation",
    "copy-certification",
}
SIGNING_OPTIONS = {"mobile", "smartid", "stationary", "eparaksts_mobile"}
API_LANGUAGES = {"en", "et", "is", "lt", "lv", "ru"}
PAGE_LANGUAGES = {"en", "lt", "lv", "et", "is", "ru"}
AFTER_WORK_MODES = {"ambiguous_timeout", "cut_short", "truncated", "wrong_digest"}
DIGEST_RE = re.compile(r"^(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{40})$")
COUNTRY_RE = re.compile(r"^[A-Za-z]{2}$")
# The strictest documented reading of ``signers[i][phone]``: the SDK's Phone constraint
# (Lithuanian, Estonian and Finnish mobile numbers with the "+").
PHONE_RE = re.compile(r"^\+(3706\d{7}|372\d{7,8}|358(4[0-9]|467|50)\d{4,8})$", re.ASCII)

BLANK = "This value should not be blank."
INVALID = "This value is not valid."
# signers[i][...] optional strings besides the ones the emulator acts on (dokobit-api.md 2.4).
SIGNER_DETAIL_FIELDS = ("company", "country", "city", "postal_code", "position", "structural_subdivision")
FILE_NOT_FOUND = "File with such token not found."

ASSETS = Path(__file__).resolve().parent / "assets"

Errors = list[tuple[str, str]]


# --- plumbing -----------------------------------------------------------------------------------


def error_response(message: str, code: int, status: int) -> JsonResponse:
    return JsonResponse({"status": "error", "message": message, "code": code}, status=status)


def validation_response(errors: Errors) -> JsonResponse:
    return JsonResponse(
        {
            "status": "error",
            "message": "Data validation failed",
            "code": 10000,
            "errors": [{"message": message, "error_code": 1, "field": field} for field, message in errors],
        },
        status=400,
    )


@csrf_exempt
def api_path_unknown(request: HttpRequest) -> JsonResponse:
    """An API path neither gateway has, with any method: JSON in Dokobit's error shape, not HTML."""
    return error_response("Not found", 404, 404)


def signing_not_found() -> JsonResponse:
    return validation_response([("[token]", "Signing with such token not found.")])


def gateway_base(request: HttpRequest) -> str:
    """The absolute base URL of this emulated gateway, as the caller reached it."""
    return request.build_absolute_uri(reverse("dokobit_emulator:gateway-upload")).removesuffix("/api/file/upload.json")


def api_view(
    endpoint: str, methods: list[str], *, atomic: bool = True
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Fault switch first, then method and API key checks; the view gets the after-work fault, if any.

    ``atomic=False`` for a view that writes at most one row: a transaction would add only its round trips.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fault = faults.take("gateway", endpoint)
            if fault is not None:
                early = faults.response_for(fault)
                if early is not None:
                    return early
                if fault.mode not in AFTER_WORK_MODES:
                    fault = None
            if request.method not in methods:
                return error_response("Method not allowed", 405, 405)
            token = request.GET.get("access_token", "")
            expected = settings.DOKOBIT_EMULATOR_GATEWAY_TOKEN
            if not token or not constant_time_compare(token, expected):
                return error_response("Access forbidden. Invalid API key.", 403, 403)
            with transaction.atomic() if atomic else contextlib.nullcontext():
                response = view(request, *args, fault=fault, **kwargs)
            # ambiguous_timeout: the work is committed, but the answer comes too late to be read.
            if fault is not None and fault.mode == "ambiguous_timeout":
                time.sleep(fault.delay)
            if fault is not None and fault.mode == "cut_short":
                response.content = faults.cut_short(response.content)
            return response

        return wrapper

    return decorator


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | str):
        return str(value).strip()
    return ""


def body_or_error(request: HttpRequest) -> tuple[dict[str, Any], JsonResponse | None]:
    try:
        return parse_body(request), None
    except BodyError:
        return {}, validation_response([("[body]", INVALID)])


def live_signing(token: str) -> GatewaySigning | None:
    signing = GatewaySigning.objects.filter(token=token).first()
    if signing is None or signing.is_gone():
        return None
    return signing


def live_file(token: str) -> GatewayFile | None:
    found = GatewayFile.objects.filter(token=token).first()
    if found is None or found.is_expired():
        return None
    return found


# --- files --------------------------------------------------------------------------------------


def fetch_url(url: str) -> bytes | None:
    """Download a ``file[url]`` (http/https only, size-capped); None when it cannot be fetched."""
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    limit = max_body_bytes()
    timeout = float(getattr(settings, "DOKOBIT_EMULATOR_FETCH_TIMEOUT", 10.0))
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            data: bytes = response.read(limit + 1)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    if len(data) > limit:
        return None
    return data


@api_view("file.upload", ["POST"], atomic=False)
def file_upload(request: HttpRequest, *, fault: Fault | None) -> JsonResponse:
    data, error = body_or_error(request)
    if error:
        return error
    file_data = data.get("file")
    if not isinstance(file_data, dict):
        return validation_response([("[file]", BLANK)])
    errors: Errors = []
    name = text(file_data.get("name"))
    digest = text(file_data.get("digest")).lower()
    content = file_data.get("content")
    url = text(file_data.get("url"))
    if not name:
        errors.append(("[file][name]", BLANK))
    elif "/" in name or "\\" in name:
        errors.append(("[file][name]", INVALID))
    if not digest:
        errors.append(("[file][digest]", BLANK))
    elif not DIGEST_RE.match(digest):
        errors.append(("[file][digest]", INVALID))
    has_content = content not in (None, "")
    if has_content == bool(url):
        errors.append(("[file][content]", "Either file content or file URL must be provided."))
    if errors:
        return validation_response(errors)
    if has_content:
        try:
            raw = base64.b64decode(text(content), validate=True)
        except (binascii.Error, ValueError):
            return validation_response([("[file][content]", INVALID)])
    else:
        fetched = fetch_url(url)
        if fetched is None:
            return validation_response([("[file][url]", "File could not be downloaded.")])
        raw = fetched
    actual = hashlib.sha1(raw).hexdigest() if len(digest) == 40 else hashlib.sha256(raw).hexdigest()  # noqa: S324
    if not constant_time_compare(actual, digest):
        return validation_response([("[file][digest]", "File digest does not match file content.")])
    stored = GatewayFile(name=name, digest=hashlib.sha256(raw).hexdigest(), size=len(raw))
    stored.path.write_bytes(raw)
    stored.save()
    return JsonResponse({"status": "ok", "token": stored.token})


@api_view("file.status", ["GET"], atomic=False)
def file_upload_status(request: HttpRequest, token: str, *, fault: Fault | None) -> JsonResponse:
    stored = live_file(token)
    if stored is None:
        return error_response("File with such token not found", 404, 404)
    return JsonResponse({"status": "pending" if stored.is_pending() else "uploaded"})


# --- signings -----------------------------------------------------------------------------------


def parse_signers(raw: Any, *, taken_ids: set[str]) -> tuple[list[GatewaySigner], Errors]:
    """Validate ``signers[i][...]`` into unsaved signer rows (ids must be unique per signing)."""
    if raw in (None, ""):
        return [], []
    if not isinstance(raw, list):
        return [], [("[signers]", INVALID)]
    signers: list[GatewaySigner] = []
    errors: Errors = []
    seen = set(taken_ids)
    for i, item in enumerate(raw):
        where = f"[signers][{i}]"
        if not isinstance(item, dict):
            errors.append((where, INVALID))
            continue
        signer_id, name, surname = text(item.get("id")), text(item.get("name")), text(item.get("surname"))
        for field, value in (("id", signer_id), ("name", name), ("surname", surname)):
            if not value:
                errors.append((f"{where}[{field}]", BLANK))
        if signer_id and signer_id in seen:
            errors.append((f"{where}[id]", "Signer with such id already exists."))
        seen.add(signer_id)
        purpose = text(item.get("signing_purpose"))
        if "signing_purpose" in item and purpose not in SIGNING_PURPOSES:
            errors.append((f"{where}[signing_purpose]", INVALID))
        country = text(item.get("country_code"))
        if country and not COUNTRY_RE.match(country):
            errors.append((f"{where}[country_code]", INVALID))
        phone = text(item.get("phone"))
        if phone and not PHONE_RE.match(phone):
            errors.append((f"{where}[phone]", INVALID))
        # Optional strings [SDK]: a list or a map where a string belongs is invalid; blank is left out.
        details: dict[str, str] = {}
        for detail in SIGNER_DETAIL_FIELDS:
            raw_detail = item.get(detail)
            if isinstance(raw_detail, dict | list):
                errors.append((f"{where}[{detail}]", INVALID))
            elif text(raw_detail):
                details[detail] = text(raw_detail)
        options = item.get("signing_options") or []
        if not isinstance(options, list) or any(text(o) not in SIGNING_OPTIONS for o in options):
            errors.append((f"{where}[signing_options]", INVALID))
            options = []
        signers.append(
            GatewaySigner(
                signer_id=signer_id,
                name=name,
                surname=surname,
                code=text(item.get("code")),
                phone=text(item.get("phone")),
                country_code=country.upper(),
                signing_purpose=purpose,
                signing_options=[text(o) for o in options],
                details=details,
            )
        )
    return signers, errors


def signers_map(signing: GatewaySigning) -> dict[str, str]:
    return {s.signer_id: s.token for s in signing.active_signers()}


def save_signers(signing: GatewaySigning, signers: list[GatewaySigner], *, start: int | None = None) -> None:
    """Add ``signers`` after the signing's present ones (``start`` of them, counted unless given)."""
    if start is None:
        start = signing.signers.count()
    for offset, signer in enumerate(signers):
        signer.signing = signing
        signer.position = start + offset
        signer.save()


def valid_postback_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def signing_level(signing_type: str, data: dict[str, Any]) -> tuple[str, Errors]:
    """The long-term level a create asks for: ``pdflt``, ``pdf[level]`` = ``pades-ltv``, or for a
    container ``{type}[level]`` = ``xades-xl`` (e.g. ``asice[level]``, ``adoc.bedoc[level]``).

    The SDK's docblock names ``pades-ltv`` as the one PDF value and Dokobit's postback documentation
    XAdES-XL as the container level; the strictest reading refuses any other value.
    """
    if signing_type == "pdflt":
        return LONG_TERM_LEVEL, []
    options = data.get(signing_type)
    if not isinstance(options, dict) or "level" not in options:
        return "", []
    wanted = LONG_TERM_LEVEL if signing_type == "pdf" else CONTAINER_LONG_TERM_LEVEL
    level = text(options.get("level")).lower()
    if signing_type not in ("pdf", *asic.CONTAINER_TYPES) or level != wanted:
        return "", [(f"[{signing_type}][level]", "The value you selected is not a valid choice.")]
    return level, []


def container_errors(signing_type: str, files: list[GatewayFile], roles: list[str]) -> Errors:
    """What Dokobit refuses in a container's files: several main files, an ADOC without a PDF main file,
    two files of one name, or an existing container among other files."""
    errors: Errors = []
    if roles.count("main") > 1:
        errors.append(("[files]", "Only one main file is allowed."))
    existing = [asic.container_mimetype(f.read_bytes()) for f in files]
    if len(files) == 1 and existing[0]:
        # An existing container signed further: it must be of the kind asked for.
        wanted = asic.ADOC_MIMETYPE if signing_type in asic.ADOC_TYPES else asic.ASICE_MIMETYPE
        return [] if existing[0] == wanted else [("[files][0][token]", "File type is not supported.")]
    if signing_type in asic.ADOC_TYPES:
        main = [f for f, role in zip(files, roles, strict=True) if role == "main"]
        if len(main) != 1 or not main[0].read_bytes().startswith(b"%PDF-"):
            errors.append(("[files]", "ADOC requires one main file in PDF format."))
    if len({f.name for f in files}) != len(files):
        errors.append(("[files]", "File names in a container must be unique."))
    if any(existing):
        errors.append(("[files]", "A signed container can only be signed on its own."))
    return errors


def container_start(signing_type: str, files: list[GatewayFile], roles: list[str]) -> bytes:
    """An existing container on its own is signed further (its signatures kept); else a new one is built."""
    if len(files) == 1:
        data = files[0].read_bytes()
        if asic.container_mimetype(data):
            return data
    return asic.container_build(
        files=[
            (f.name, f.read_bytes(), mimetypes.guess_type(f.name)[0] or "application/octet-stream", role or "appendix")
            for f, role in zip(files, roles, strict=True)
        ],
        adoc=signing_type in asic.ADOC_TYPES,
    )


@api_view("signing.create", ["POST"])
def signing_create(request: HttpRequest, *, fault: Fault | None) -> JsonResponse:
    data, error = body_or_error(request)
    if error:
        return error
    errors: Errors = []
    signing_type = text(data.get("type"))
    if not signing_type:
        errors.append(("[type]", BLANK))
    elif signing_type not in SIGNING_TYPES:
        errors.append(("[type]", "The value you selected is not a valid choice."))
    name = text(data.get("name"))
    if not name:
        errors.append(("[name]", BLANK))
    files: list[GatewayFile] = []
    roles: list[str] = []
    raw_files = data.get("files")
    if not isinstance(raw_files, list) or not raw_files:
        errors.append(("[files]", BLANK))
    else:
        if signing_type in PDF_TYPES and len(raw_files) > 1:
            errors.append(("[files]", "Only one file is supported for this signing type."))
        for i, item in enumerate(raw_files):
            token = text(item.get("token")) if isinstance(item, dict) else ""
            found = live_file(token) if token else None
            role = text(item.get("type")) if isinstance(item, dict) else ""
            if role and role not in asic.FILE_ROLES:
                errors.append((f"[files][{i}][type]", "The value you selected is not a valid choice."))
            if found is None:
                errors.append((f"[files][{i}][token]", FILE_NOT_FOUND))
            elif found.is_pending():
                # Dokobit: a signing can only be created once the upload status is "uploaded".
                errors.append((f"[files][{i}][token]", "File is not uploaded yet."))
            elif signing_type in PDF_TYPES and not found.read_bytes().startswith(b"%PDF-"):
                errors.append((f"[files][{i}][token]", "File type is not supported."))
            else:
                files.append(found)
                roles.append(role)
        if signing_type in asic.CONTAINER_TYPES and len(files) == len(raw_files):
            errors += container_errors(signing_type, files, roles)
    signers, signer_errors = parse_signers(data.get("signers"), taken_ids=set())
    errors += signer_errors
    postback_url = ""
    if "postback_url" in data and data["postback_url"] is not None:
        postback_url = text(data["postback_url"])
        if not postback_url:
            errors.append(("[postback_url]", BLANK))
        elif not valid_postback_url(postback_url):
            errors.append(("[postback_url]", "This value is not a valid URL."))
    language = text(data.get("language")) or "en"
    if language not in API_LANGUAGES:
        errors.append(("[language]", "The value you selected is not a valid choice."))
    level, level_errors = signing_level(signing_type, data)
    errors += level_errors
    if errors:
        return validation_response(errors)
    signing = GatewaySigning.objects.create(
        type=signing_type, name=name, language=language, postback_url=postback_url, level=level
    )
    # A new signing: no files or signers to replace or count, and its signers are the ones just saved.
    signing.files.add(*files)
    if signing_type in asic.CONTAINER_TYPES:
        # The unsigned container is the signing's first version; each signature adds to it.
        signing.version_path(0).write_bytes(container_start(signing_type, files, roles))
    save_signers(signing, signers, start=0)
    return JsonResponse({"status": "ok", "token": signing.token, "signers": {s.signer_id: s.token for s in signers}})


@api_view("signing.status", ["GET"])
def signing_status(request: HttpRequest, token: str, *, fault: Fault | None) -> JsonResponse:
    signing = live_signing(token)
    if signing is None:
        return signing_not_found()
    signers: dict[str, dict[str, str]] = {}
    for signer in signing.active_signers():
        entry = {"status": signer.status}
        if signer.signed_at:
            entry["signing_time"] = postbacks.format_gateway_time(signer.signed_at)
        signers[signer.signer_id] = entry
    state = "archived" if signing.archived_at else "completed" if signing.completed_at else "pending"
    body: dict[str, Any] = {"status": state, "signers": signers}
    if signing.completed_at:
        body["file"] = f"{gateway_base(request)}/api/signing/{signing.token}/download"
        body["file_digest"] = hashlib.sha256(signing.current_bytes()).hexdigest()
        body["valid_to"] = postbacks.format_gateway_time(signing.valid_to())
    return JsonResponse(body)


def refresh_completion(signing: GatewaySigning) -> bool:
    """Mark the signing completed when every remaining signer has signed; True when it just completed."""
    active = list(signing.active_signers())
    if signing.completed_at or not active or any(s.status != GatewaySigner.STATUS_SIGNED for s in active):
        return False
    signing.completed_at = timezone.now()
    signing.save(update_fields=["completed_at"])
    return True


@api_view("signing.addsigner", ["POST"])
def signing_addsigner(request: HttpRequest, token: str, *, fault: Fault | None) -> JsonResponse:
    signing = live_signing(token)
    if signing is None:
        return signing_not_found()
    data, error = body_or_error(request)
    if error:
        return error
    if signing.completed_at:
        return validation_response([("[token]", "Signing is already completed.")])
    taken = set(signers_map(signing))
    signers, errors = parse_signers(data.get("signers"), taken_ids=taken)
    if not signers and not errors:
        errors = [("[signers]", BLANK)]
    if errors:
        return validation_response(errors)
    save_signers(signing, signers)
    return JsonResponse({"status": "ok", "signers": signers_map(signing)})


@api_view("signing.removesigner", ["POST"])
def signing_removesigner(request: HttpRequest, token: str, *, fault: Fault | None) -> JsonResponse:
    signing = live_signing(token)
    if signing is None:
        return signing_not_found()
    data, error = body_or_error(request)
    if error:
        return error
    raw = data.get("signers")
    if not isinstance(raw, list) or not raw:
        return validation_response([("[signers]", BLANK)])
    current = {s.signer_id: s for s in signing.active_signers()}
    errors: Errors = []
    to_remove: list[GatewaySigner] = []
    for i, item in enumerate(raw):
        signer_id = text(item.get("id")) if isinstance(item, dict) else ""
        if not signer_id:
            errors.append((f"[signers][{i}][id]", BLANK))
        elif signer_id not in current:
            errors.append((f"[signers][{i}][id]", "Signer with such id not found."))
        elif current[signer_id].status == GatewaySigner.STATUS_SIGNED:
            errors.append((f"[signers][{i}][id]", "Signer has already signed."))
        else:
            to_remove.append(current[signer_id])
    if errors:
        return validation_response(errors)
    for signer in to_remove:
        signer.removed = True
        signer.save(update_fields=["removed"])
    refresh_completion(signing)
    return JsonResponse({"status": "ok"})


@api_view("signing.delete", ["POST"])
def signing_delete(request: HttpRequest, token: str, *, fault: Fault | None) -> JsonResponse:
    signing = live_signing(token)
    if signing is None:
        return signing_not_found()
    signing.deleted = True
    signing.save(update_fields=["deleted"])
    return JsonResponse({"status": "ok", "token": signing.token})


def batch_person(signer: GatewaySigner) -> tuple[str, ...]:
    """Who signs: by personal code when the signer has one, else by name."""
    if signer.code:
        return (signer.country_code.upper(), signer.code)
    return (signer.name.casefold(), signer.surname.casefold())


@api_view("signing.createbatch", ["POST"])
def signing_createbatch(request: HttpRequest, *, fault: Fault | None) -> JsonResponse:
    """``signings[i][token]`` + ``signings[i][signer_token]`` -> a batch token for the batch and sequence pages.

    Dokobit documents the fields and the answer only; the checks below are the emulator's reading:
    each signing must be live, named once, and hold a signer with that token who has not signed yet,
    and one person signs the whole batch (the pages show one signer).
    """
    data, error = body_or_error(request)
    if error:
        return error
    raw = data.get("signings")
    if not isinstance(raw, list) or not raw:
        return validation_response([("[signings]", BLANK)])
    errors: Errors = []
    chosen: list[tuple[GatewaySigning, GatewaySigner]] = []
    seen: set[int] = set()
    person: tuple[str, ...] | None = None
    for i, item in enumerate(raw):
        where = f"[signings][{i}]"
        if not isinstance(item, dict):
            errors.append((where, INVALID))
            continue
        signing_token, signer_token = text(item.get("token")), text(item.get("signer_token"))
        signing = live_signing(signing_token) if signing_token else None
        if not signing_token:
            errors.append((f"{where}[token]", BLANK))
            continue
        if signing is None:
            errors.append((f"{where}[token]", "Signing with such token not found."))
            continue
        if signing.pk in seen:
            errors.append((f"{where}[token]", "Signing is already in this batch."))
            continue
        seen.add(signing.pk)
        active = list(signing.active_signers())
        if signer_token:
            signer = next((s for s in active if constant_time_compare(s.token, signer_token)), None)
        else:
            # The SDK lets signer_token out; only a signing with a single signer says who signs.
            signer = active[0] if len(active) == 1 else None
            if signer is None:
                errors.append((f"{where}[signer_token]", BLANK))
                continue
        if signer is None:
            errors.append((f"{where}[signer_token]", "Signer with such token not found in this signing."))
        elif signer.status == GatewaySigner.STATUS_SIGNED:
            errors.append((f"{where}[signer_token]", "Signer has already signed."))
        elif person is not None and batch_person(signer) != person:
            errors.append((f"{where}[signer_token]", "All signings of a batch must be signed by the same person."))
        else:
            person = person or batch_person(signer)
            chosen.append((signing, signer))
    if errors:
        return validation_response(errors)
    batch = GatewayBatch.objects.create()
    GatewayBatchItem.objects.bulk_create(
        GatewayBatchItem(batch=batch, signing=signing, signer=signer, position=position)
        for position, (signing, signer) in enumerate(chosen)
    )
    return JsonResponse({"status": "ok", "token": batch.token})


@api_view("signing.download", ["GET"])
def signing_download(
    request: HttpRequest, token: str, signer_id: str | None = None, *, fault: Fault | None
) -> HttpResponse:
    signing = live_signing(token)
    if signing is None:
        return error_response("Document not found. Please contact support.", 404, 404)
    if signer_id is None:
        data = signing.current_bytes()
    else:
        signed = signing.signers.filter(signed_version__isnull=False).order_by("-pk")
        signer = next((s for s in signed if s.public_id == signer_id), None)
        if signer is None or signer.signed_version is None:
            return error_response("Document not found. Please contact support.", 404, 404)
        data = signing.version_path(signer.signed_version).read_bytes()
    if fault is not None and fault.mode == "truncated":
        data = data[: max(1, len(data) // 2)]
    elif fault is not None and fault.mode == "wrong_digest":
        # Same length, different bytes: only a digest check notices.
        data = data[:-1] + bytes([data[-1] ^ 0xFF]) if data else b"x"
    container = signing.type in asic.CONTAINER_TYPES
    response = HttpResponse(data, content_type=asic.container_mimetype(data) if container else "application/pdf")
    filename = f"{signing.name}.{signing.type.split('.')[0]}" if container else signing.first_file().name
    response["Content-Disposition"] = f'attachment; filename="{re.sub(r"[^A-Za-z0-9._-]", "_", filename)}"'
    return response


# --- the signer's page --------------------------------------------------------------------------


def page_signer(token: str, signer_token: str) -> GatewaySigner:
    """The active signer holding ``signer_token`` on a live signing, else 404."""
    signing = live_signing(token)
    if signing is None or not signer_token:
        raise Http404
    for signer in signing.active_signers():
        if constant_time_compare(signer.token, signer_token):
            signer.signing = signing
            return signer
    raise Http404


def page_language(signing: GatewaySigning) -> str:
    return signing.language if signing.language in PAGE_LANGUAGES else "en"


def render_page(
    request: HttpRequest, signer: GatewaySigner | None, *, result: str = "", event: str = "", status: int = 200
) -> HttpResponse:
    language = page_language(signer.signing) if signer else "en"
    with translation.override(language):
        context: dict[str, Any] = {"language": language, "result": result, "event": event, "signer": signer}
        if signer is not None:
            context["signing"] = signer.signing
            if signer.signing.type in asic.CONTAINER_TYPES:
                # Dokobit's page lists a container's files instead of showing one document.
                context["container_files"] = [f.name for f in signer.signing.files.order_by("pk")]
            context["document_url"] = (
                reverse("dokobit_emulator:gateway-signing-document", args=[signer.signing.token])
                + f"?access_token={signer.token}"
            )
        template = "dokobit_emulator/gateway_signing.html" if signer else "dokobit_emulator/gateway_not_found.html"
        response = render(request, template, context, status=status)
    # The signer token is in this page's URL: keep it out of other sites' Referer headers and out
    # of caches. Not "no-referrer": Chromium would then post the page's own forms with "Origin: null".
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


@xframe_options_exempt
@require_GET
def signing_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signer = page_signer(token, request.GET.get("access_token", ""))
    except Http404:
        return render_page(request, None, status=404)
    result = _("You have signed this document.") if signer.status == GatewaySigner.STATUS_SIGNED else ""
    return render_page(request, signer, result=result)


def document_response(signing: GatewaySigning) -> HttpResponse:
    """The signing's current PDF, shown inline in the signing pages' frame and never cached."""
    data = signing.current_bytes()
    if signing.type in asic.CONTAINER_TYPES:
        response = HttpResponse(data, content_type=asic.container_mimetype(data))
        response["Content-Disposition"] = "attachment"
    else:
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "no-store"
    return response


# Framed by Dokobit's signing page, which integrators frame on their own origin (the iframe
# integration): SAMEORIGIN is checked against the top page, so it must be frameable by anyone.
@xframe_options_exempt
@require_GET
def signing_document(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signer = page_signer(token, request.GET.get("access_token", ""))
    except Http404:
        return render_page(request, None, status=404)
    return document_response(signer.signing)


@xframe_options_exempt
@csrf_exempt
@require_http_methods(["POST"])
def signing_cancel(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signer = page_signer(token, request.POST.get("access_token", ""))
    except Http404:
        return render_page(request, None, status=404)
    with translation.override(page_language(signer.signing)):
        result = _("Signing was cancelled. Nothing was signed.")
    return render_page(request, signer, result=result, event="sign-cancel")


@dataclass(frozen=True)
class Signature:
    """One signer's signature on one signing, committed; the postbacks still to send."""

    signing: GatewaySigning
    signer: GatewaySigner
    signer_signed: dict[str, Any] | None  # None: the signer had signed before, nothing to send
    completed: dict[str, Any] | None


def signature_make(*, signing_token: str, signer_token: str, base: str) -> Signature:
    """Sign as the signer holding ``signer_token``: what Dokobit's signing page does on "Sign".

    The single, batch and sequence pages all sign through here, so a signature is the same
    whichever page made it: a PAdES signature in the file's next free field, the signer's status
    and time, and the postbacks of that signing. Raises Http404 when the signing is gone or the
    token is not one of its active signers'. Returns after the commit; the caller sends the
    postbacks (``signature_postbacks_send``) outside any transaction.
    """
    with transaction.atomic():
        # Lock the signing: each signature builds on the previous version of the file.
        locked = GatewaySigning.objects.select_for_update().filter(token=signing_token).first()
        signer = page_signer(signing_token, signer_token)
        if locked is None:
            raise Http404
        signing = locked
        signer.signing = signing
        if signer.status == GatewaySigner.STATUS_SIGNED:
            return Signature(signing=signing, signer=signer, signer_signed=None, completed=None)
        identity = pades.SignerIdentity(
            name=signer.name, surname=signer.surname, code=signer.code, country_code=signer.country_code
        )
        if signing.type in asic.CONTAINER_TYPES:
            signed = asic.container_sign(data=signing.current_bytes(), identity=identity)
        else:
            signed = pades.pdf_sign(data=signing.current_bytes(), identity=identity, long_term=signing.long_term)
        signing.version += 1
        signing.version_path(signing.version).write_bytes(signed.data)
        signing.save(update_fields=["version"])
        signer.status = GatewaySigner.STATUS_SIGNED
        signer.signed_at = timezone.now()
        signer.signed_version = signing.version
        signer.signature_id = "S-" + hashlib.sha256(signed.data).hexdigest().upper()
        signer.save(update_fields=["status", "signed_at", "signed_version", "signature_id"])
        just_completed = refresh_completion(signing)
        signer_signed = postbacks.signer_signed_payload(
            signing=signing,
            signer=signer,
            certificate=pades.certificate_info(signed.certificate),
            signed_bytes=signed.data,
            gateway_base=base,
        )
        completed = postbacks.signing_completed_payload(signing=signing, gateway_base=base) if just_completed else None
    return Signature(signing=signing, signer=signer, signer_signed=signer_signed, completed=completed)


def signature_postbacks_send(signature: Signature) -> None:
    # After the commit, so a portal that re-fetches the status sees the signature.
    if signature.signer_signed is not None:
        postbacks.postbacks_send_after_signature(
            signing=signature.signing, signer_signed=signature.signer_signed, completed=signature.completed
        )


@xframe_options_exempt
@csrf_exempt
@require_http_methods(["POST"])
def signing_sign(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signature = signature_make(
            signing_token=token, signer_token=request.POST.get("access_token", ""), base=gateway_base(request)
        )
    except Http404:
        return render_page(request, None, status=404)
    signature_postbacks_send(signature)
    with translation.override(page_language(signature.signing)):
        result = _("You have signed this document.")
    return render_page(request, signature.signer, result=result, event="sign-success")


# --- batch and sequence pages ----------------------------------------------------------------------


@dataclass
class BatchEntry:
    """One document of a batch as its pages show it."""

    item: GatewayBatchItem
    available: bool  # the signing is live and the signer still on it
    document_url: str

    @property
    def signed(self) -> bool:
        return self.available and self.item.signer.status == GatewaySigner.STATUS_SIGNED

    @property
    def pending(self) -> bool:
        return self.available and not self.signed


def batch_entries(token: str, *, route: str) -> list[BatchEntry]:
    """The batch's documents in order, read fresh; Http404 when the token or every document is gone."""
    batch = GatewayBatch.objects.filter(token=token).first() if token else None
    if batch is None:
        raise Http404
    entries = []
    for item in batch.ordered_items():
        available = not item.signer.removed and not item.signing.is_gone()
        entries.append(
            BatchEntry(
                item=item,
                available=available,
                document_url=reverse("dokobit_emulator:gateway-batch-document", args=[route, token, item.position]),
            )
        )
    if not any(entry.available for entry in entries):
        raise Http404
    return entries


def render_batch(
    request: HttpRequest,
    token: str,
    *,
    route: str,
    result: str = "",
    event: str = "",
    entries: list[BatchEntry] | None = None,
) -> HttpResponse:
    """The batch page (one "Sign all") or the sequence page (the first unsigned document, then the next)."""
    try:
        entries = entries if entries is not None else batch_entries(token, route=route)
    except Http404:
        return render_page(request, None, status=404)
    first = next(entry for entry in entries if entry.available)
    language = page_language(first.item.signing)
    pending = [entry for entry in entries if entry.pending]
    current = pending[0] if pending and route == "sequence" and not event else None
    with translation.override(language):
        if not pending and not result:
            result = _("You have signed these documents.")
        context: dict[str, Any] = {
            "language": language,
            "route": route,
            "token": token,
            "entries": entries,
            "signer": first.item.signer,
            "current": current,
            "position": entries.index(current) + 1 if current else 0,
            "total": len(entries),
            "can_sign": bool(pending) and not event,
            "result": result,
            "event": event,
        }
        response = render(request, "dokobit_emulator/gateway_batch.html", context)
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


def batch_sign_entries(request: HttpRequest, entries: list[BatchEntry]) -> None:
    """Sign each entry as the single page would: one signing at a time, its postbacks after its commit."""
    base = gateway_base(request)
    for entry in entries:
        try:
            signature = signature_make(
                signing_token=entry.item.signing.token, signer_token=entry.item.signer.token, base=base
            )
        except Http404:
            continue  # deleted or the signer removed since the page was shown: nothing to sign
        signature_postbacks_send(signature)


@xframe_options_exempt
@require_GET
def batch_page(request: HttpRequest, route: str, token: str) -> HttpResponse:
    return render_batch(request, token, route=route)


@xframe_options_exempt
@require_GET
def batch_document(request: HttpRequest, route: str, token: str, position: str) -> HttpResponse:
    try:
        entries = batch_entries(token, route=route)
    except Http404:
        return render_page(request, None, status=404)
    entry = next((e for e in entries if e.item.position == int(position) and e.available), None)
    if entry is None:
        return render_page(request, None, status=404)
    return document_response(entry.item.signing)


@xframe_options_exempt
@csrf_exempt
@require_http_methods(["POST"])
def batch_sign(request: HttpRequest, route: str, token: str) -> HttpResponse:
    try:
        entries = batch_entries(token, route=route)
    except Http404:
        return render_page(request, None, status=404)
    if route == "batch":
        batch_sign_entries(request, [e for e in entries if e.pending])
    else:
        # The sequence page signs the one document it showed, named by its position; the next
        # one follows. Sending the same form again signs nothing twice.
        position = request.POST.get("position", "")
        shown = next((e for e in entries if e.available and str(e.item.position) == position), None)
        if shown is None:
            return render_page(request, None, status=404)
        batch_sign_entries(request, [shown] if shown.pending else [])
    try:
        entries = batch_entries(token, route=route)
    except Http404:
        return render_page(request, None, status=404)
    done = not any(entry.pending for entry in entries)
    return render_batch(request, token, route=route, event="sign-success" if done else "", entries=entries)


@xframe_options_exempt
@csrf_exempt
@require_http_methods(["POST"])
def batch_cancel(request: HttpRequest, route: str, token: str) -> HttpResponse:
    try:
        entries = batch_entries(token, route=route)
    except Http404:
        return render_page(request, None, status=404)
    with translation.override(page_language(next(e for e in entries if e.available).item.signing)):
        if any(entry.signed for entry in entries):
            result = _("Signing was cancelled. The documents you signed stay signed; the others were not signed.")
        else:
            result = _("Signing was cancelled. Nothing was signed.")
    return render_batch(request, token, route=route, result=result, event="sign-cancel", entries=entries)


def isign_frame_js(request: HttpRequest) -> HttpResponse:
    response = HttpResponse((ASSETS / "isign.frame.js").read_bytes(), content_type="application/javascript")
    response["Access-Control-Allow-Origin"] = "*"
    return response
