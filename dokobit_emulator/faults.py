"""Fault switches shared by both emulated gateways.

Tests (in-process or in another process sharing the database) arm a fault with :func:`arm`, or
over HTTP with ``POST {prefix}/control/faults``; every emulator endpoint calls :func:`take` first
and, when a fault is armed for it, answers with :func:`response_for` instead of its normal answer.
"""

from __future__ import annotations

import time

from django.db import transaction
from django.http import HttpResponse, JsonResponse

from dokobit_emulator.models import Fault

# Modes that replace the answer entirely.
HTTP_MODES = {
    "500": (
        500,
        {"status": "error", "message": "We have encountered some problems. It will be fixed soon!", "error_code": 500},
    ),
    "502": (502, None),
    "503": (503, None),
    "504": (504, None),
}
_REASONS = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
MODES = set(HTTP_MODES) | {
    "timeout",  # sleep `delay` seconds before answering (longer than the client's time-out)
    "ambiguous_timeout",  # do the work, then sleep `delay` seconds (the answer is lost)
    "malformed_json",  # 200 with a body that is not JSON
    "html_error",  # 200 with an HTML error page
    "status_error",  # 200 with {"status": "error", "code": 500}
    "error_code",  # 200 with Dokobit's generic server error body, which says "error_code", not "code"
    "cut_short",  # do the work, then send only the first two thirds of the answer (the connection broke)
    "truncated",  # a download cut short
    "wrong_digest",  # a download whose bytes do not match the announced digest
    "postback_skip",  # postbacks are not sent
    "postback_twice",  # each postback is sent twice
    "postback_out_of_order",  # signing_completed is sent before the last signer_signed
    "archive_failed",  # an archive request is accepted, then signing_archive_failed is posted back
}


def arm(service: str, mode: str, *, endpoint: str = "*", times: int = 1, delay: float = 0.0) -> Fault:
    if mode not in MODES:
        raise ValueError(f"unknown fault mode {mode!r}")
    return Fault.objects.create(service=service, endpoint=endpoint, mode=mode, remaining=times, delay=delay)


def clear() -> None:
    Fault.objects.all().delete()


def take(service: str, endpoint: str, *, modes: set[str] | None = None) -> Fault | None:
    """Consume one armed fault for this call, if any (restricted to ``modes`` when given)."""
    candidates = Fault.objects.filter(service=service, endpoint__in=[endpoint, "*"], remaining__gt=0)
    if modes is not None:
        candidates = candidates.filter(mode__in=modes)
    # Almost every call finds none: one plain read then, and a transaction and a row lock only to
    # consume one (a fault armed after this read is taken by the next call, as it would be anyway).
    if not candidates.exists():
        return None
    with transaction.atomic():
        fault = candidates.select_for_update().order_by("created_at", "pk").first()
        if fault is None:
            return None
        fault.remaining -= 1
        fault.save(update_fields=["remaining"])
        return fault


def response_for(fault: Fault) -> HttpResponse | None:
    """The misbehaving answer for a fault taken before the work, or None for after-work modes."""
    if fault.mode in HTTP_MODES:
        status, body = HTTP_MODES[fault.mode]
        if body is None:
            page = f"<html><body><h1>{status} {_REASONS[status]}</h1></body></html>"
            return HttpResponse(page, status=status, content_type="text/html")
        return JsonResponse(body, status=status)
    if fault.mode == "timeout":
        time.sleep(fault.delay)
        return JsonResponse({"status": "error", "message": "late answer"}, status=504)
    if fault.mode == "malformed_json":
        return HttpResponse('{"status": "ok", "token": ', content_type="application/json")
    if fault.mode == "html_error":
        return HttpResponse("<html><body>Maintenance</body></html>", content_type="text/html")
    if fault.mode == "status_error":
        return JsonResponse({"status": "error", "message": "Unexpected error", "code": 500})
    if fault.mode == "error_code":
        return JsonResponse(HTTP_MODES["500"][1])
    return None


def cut_short(content: bytes) -> bytes:
    """The first two thirds of an answer, as a client sees it when the connection breaks mid-body."""
    return content[: max(1, len(content) * 2 // 3)]
