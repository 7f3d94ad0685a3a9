"""The emulated Identity Gateway: Dokobit's API, its integration script and its redirect-flow page.

Paths under ``{prefix}/identity/`` are exactly Dokobit's (``api/authentication/create``,
``api/authentication/{token}/status``, ``js/dokobit-integration.min.js``, ``auth/{token}``).
``api/emulator/{token}/...`` are the emulator's own endpoints that its widget calls in place of
a real phone.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from dokobit_emulator import faults
from dokobit_emulator.identity_people import METHOD_FOR_REQUEST
from dokobit_emulator.models import IdentityAuthSession
from dokobit_emulator.models.identity import CANCELLED, FAILURE_MESSAGES, SESSION_LIFETIME

SCRIPT_PATH = Path(__file__).parent / "assets" / "dokobit-integration.js"
FORBIDDEN = {"status": "error", "message": "Access forbidden. Invalid API key.", "code": 403}
CLOSED = {"status": "error", "message": "Session closed", "code": 1005}
_SCALAR_FIELDS = ("origin_host", "return_url", "code", "country_code", "phone")
FAILURE_LABELS = {
    7023: _("Cancelled by user"),
    6001: _("Not a Mobile-ID user"),
    6005: _("Timed out"),
    6006: _("No Smart-ID account"),
}


def _token_ok(request: HttpRequest) -> bool:
    given = request.GET.get("access_token", "")
    return bool(given) and constant_time_compare(given, settings.DOKOBIT_EMULATOR_IDENTITY_TOKEN)


def _validation_error(errors: list[tuple[str, str]]) -> JsonResponse:
    return JsonResponse(
        {
            "status": "error",
            "message": "Data validation failed",
            "code": 10000,
            "errors": [{"message": message, "error_code": 1, "field": f"[{field}]"} for field, message in errors],
        },
        status=400,
    )


def _request_fields(request: HttpRequest) -> dict[str, Any] | None:
    """The create call's fields from a JSON or form-encoded body; None if the JSON is broken."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return None
        return body if isinstance(body, dict) else None
    fields: dict[str, Any] = {name: request.POST.get(name) for name in _SCALAR_FIELDS if name in request.POST}
    # PHP clients send arrays as name[]=a or name[0]=a; others repeat the plain name.
    methods = [
        value
        for key in request.POST
        if key == "authentication_methods" or key.startswith("authentication_methods[")
        for value in request.POST.getlist(key)
    ]
    if methods:
        fields["authentication_methods"] = methods
    return fields


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _validate(fields: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    clean: dict[str, Any] = {}
    for name in _SCALAR_FIELDS:
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            errors.append((name, "This value should be of type string."))
            value = None
        clean[name] = (value or "").strip()

    origin_host, return_url = clean["origin_host"], clean["return_url"]
    if not origin_host and not return_url:
        errors.append(("origin_host", "This value should not be blank when return_url is not set."))
        errors.append(("return_url", "This value should not be blank when origin_host is not set."))
    if origin_host:
        parts = urlsplit(origin_host)
        if not _is_http_url(origin_host) or parts.path not in ("", "/") or parts.query or parts.fragment:
            errors.append(("origin_host", "This value is not a valid origin (scheme and host)."))
    if return_url and not _is_http_url(return_url):
        errors.append(("return_url", "This value is not a valid URL."))
    if len(return_url) > 2048:
        errors.append(("return_url", "This value is too long."))
    if clean["code"] and (len(clean["code"]) > 32 or not clean["code"].replace("-", "").isalnum()):
        errors.append(("code", "This value is not valid."))
    country = clean["country_code"]
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        errors.append(("country_code", "This value is not a valid country."))
    phone = clean["phone"]
    if phone and not (phone.startswith("+") and phone[1:].isdigit() and 7 <= len(phone) <= 16):
        errors.append(("phone", "This value is not a valid phone number."))

    methods = fields.get("authentication_methods")
    if methods is None:
        methods = []
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        errors.append(("authentication_methods", "This value should be of type array."))
        methods = []
    for index, method in enumerate(methods):
        if method not in METHOD_FOR_REQUEST:
            errors.append((f"authentication_methods][{index}", "The value you selected is not a valid choice."))
    clean["authentication_methods"] = list(dict.fromkeys(methods))
    return clean, errors


def _identity_base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("dokobit_emulator:identity-root")).rstrip("/")


def _after_work(fault: Any, response: HttpResponse) -> HttpResponse:
    # An ambiguous time-out: the work is done, but the answer arrives too late to be seen.
    if fault is not None and fault.mode == "ambiguous_timeout":
        time.sleep(fault.delay)
    return response


@csrf_exempt
@require_http_methods(["POST"])
def authentication_create(request: HttpRequest) -> HttpResponse:
    fault = faults.take("identity", "authentication.create")
    if fault is not None and (answer := faults.response_for(fault)) is not None:
        return answer
    if not _token_ok(request):
        return JsonResponse(FORBIDDEN, status=403)
    fields = _request_fields(request)
    if fields is None:
        return _validation_error([("body", "The request body is not a valid JSON object.")])
    clean, errors = _validate(fields)
    if errors:
        return _validation_error(errors)
    session = IdentityAuthSession.objects.create(
        token=IdentityAuthSession.new_token(),
        origin_host=clean["origin_host"],
        return_url=clean["return_url"],
        code=clean["code"],
        country_code=clean["country_code"].lower(),
        phone=clean["phone"],
        authentication_methods=clean["authentication_methods"],
    )
    body = {
        "status": "ok",
        "session_token": session.token,
        "url": f"{_identity_base(request)}/auth/{session.token}",
        "expires_in": int(SESSION_LIFETIME.total_seconds()),
    }
    return _after_work(fault, JsonResponse(body))


@require_GET
def authentication_status(request: HttpRequest, token: str) -> HttpResponse:
    fault = faults.take("identity", "authentication.status")
    if fault is not None and (answer := faults.response_for(fault)) is not None:
        return answer
    if not _token_ok(request):
        return JsonResponse(FORBIDDEN, status=403)
    session = IdentityAuthSession.objects.filter(token=token).first()
    if session is None:
        return JsonResponse(CLOSED, status=400)
    status, body = session.read_status()
    return _after_work(fault, JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False}))


@require_GET
def integration_script(request: HttpRequest) -> HttpResponse:
    # The charset matters: the widget's texts are in six languages.
    script = SCRIPT_PATH.read_text(encoding="utf-8")
    response = HttpResponse(script, content_type="application/javascript; charset=utf-8")
    # The portal may load the script from another origin, as it does from Dokobit.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def identity_root(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok", "service": "Dokobit Identity Gateway emulator"})


# --- The widget's own endpoints (stand-ins for the person's phone) -----------------------------


def _widget_json(body: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    # The widget posts text/plain JSON, a "simple" request, so no preflight is needed cross-origin.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _open_session(token: str) -> IdentityAuthSession | None:
    session = IdentityAuthSession.objects.filter(token=token).first()
    return session if session is not None and session.is_open else None


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@csrf_exempt
@require_http_methods(["GET"])
def widget_session(request: HttpRequest, token: str) -> JsonResponse:
    session = _open_session(token)
    if session is None:
        return _widget_json(CLOSED, status=400)
    people, selected = session.people()
    return _widget_json(
        {
            "status": "ok",
            "state": session.state,
            "selected": session.person_key or selected,
            "control_code": session.control_code if session.state == session.State.STARTED else "",
            "identities": [{"key": p.key, "label": f"{p.label} — {p.name} {p.surname}"} for p in people],
            "failures": sorted(FAILURE_MESSAGES),
        }
    )


@csrf_exempt
@require_http_methods(["POST"])
def widget_start(request: HttpRequest, token: str) -> JsonResponse:
    session = _open_session(token)
    if session is None:
        return _widget_json(CLOSED, status=400)
    if not session.start(person_key=str(_json_body(request).get("identity", ""))):
        return _validation_error([("identity", "Choose one of the offered identities.")])
    return _widget_json({"status": "ok", "control_code": session.control_code})


@csrf_exempt
@require_http_methods(["POST"])
def widget_finish(request: HttpRequest, token: str) -> JsonResponse:
    session = _open_session(token)
    if session is None:
        return _widget_json(CLOSED, status=400)
    body = _json_body(request)
    outcome = body.get("outcome")
    if outcome == "approve":
        if not session.approve():
            return _validation_error([("outcome", "Choose an identity before approving.")])
        # Where the widget goes when the page gave it no callback (Dokobit's own embedded example).
        return _widget_json({"status": "ok", "return_url": _return_url_with_token(session)})
    if outcome == "fail":
        try:
            code = int(body.get("code", CANCELLED))
        except (TypeError, ValueError):
            code = 0
        if not session.fail(code=code):
            return _validation_error([("code", "Unknown failure code.")])
        return _widget_json({"status": "error", "code": code, "message": FAILURE_MESSAGES[code]})
    return _validation_error([("outcome", "Expected approve or fail.")])


# --- The redirect flow: a server-rendered page, no JavaScript needed ---------------------------


def _return_url_with_token(session: IdentityAuthSession) -> str:
    """The session's ``return_url`` with ``session_token`` appended, or "" when it has none."""
    if not session.return_url:
        return ""
    separator = "&" if urlsplit(session.return_url).query else "?"
    # The return URL was validated as http(s) on create; it is the integrator's own page.
    return f"{session.return_url}{separator}session_token={session.token}"


def _finish_redirect(session: IdentityAuthSession) -> HttpResponse:
    if session.return_url:
        return HttpResponseRedirect(_return_url_with_token(session))
    return redirect("dokobit_emulator:identity-auth-done", token=session.token)


# Dokobit's page shares nothing with the integrator's CSRF cookie, and its own pages send no
# referrer (so a browser sends "Origin: null" on their forms, which Django's check refuses); the
# unguessable session token in the path is what authorises acting on the session, as it is for
# the widget's endpoints above.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def auth_page(request: HttpRequest, token: str) -> HttpResponse:
    session = IdentityAuthSession.objects.filter(token=token).first()
    # A session created for the embedded widget (origin_host, no return_url) is used only in the
    # widget on that origin: this page has nowhere to send the person back to, and serving it
    # would let whoever started the session have someone else authenticate it from a link.
    if session is None or not session.is_open or not session.return_url:
        return render(request, "dokobit_emulator/identity_closed.html", status=400)
    people, selected = session.people()
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "start" and session.start(person_key=request.POST.get("identity", "")):
            return redirect("dokobit_emulator:identity-auth", token=session.token)
        if action == "approve" and session.approve():
            return _finish_redirect(session)
        if action == "cancel" and session.fail(code=CANCELLED):
            return _finish_redirect(session)
        if action == "fail":
            try:
                code = int(request.POST.get("code", ""))
            except ValueError:
                code = 0
            if session.fail(code=code):
                return _finish_redirect(session)
        session.refresh_from_db()
        if not session.is_open:
            return render(request, "dokobit_emulator/identity_closed.html", status=400)
        error = "invalid"
    context = {
        "session": session,
        "people": people,
        "selected": session.person_key or selected,
        "person": session.person() if session.state == session.State.STARTED else None,
        "failures": [(code, FAILURE_LABELS[code]) for code in sorted(FAILURE_MESSAGES)],
        "error": error,
    }
    return render(request, "dokobit_emulator/identity_auth.html", context, status=400 if error else 200)


@require_GET
def auth_done(request: HttpRequest, token: str) -> HttpResponse:
    session = IdentityAuthSession.objects.filter(token=token).first()
    if session is None or session.is_open:
        return render(request, "dokobit_emulator/identity_closed.html", status=400)
    succeeded = session.authenticated_at is not None
    return render(request, "dokobit_emulator/identity_done.html", {"succeeded": succeeded})
