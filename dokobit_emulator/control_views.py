"""Test control endpoints (not part of Dokobit's API): arm and clear fault switches over HTTP."""

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from dokobit_emulator import faults


@csrf_exempt
@require_http_methods(["POST", "DELETE"])
def faults_view(request: HttpRequest) -> JsonResponse:
    if request.method == "DELETE":
        faults.clear()
        return JsonResponse({"status": "ok"})
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise TypeError("a JSON object expected")
        if "\\u0000" in json.dumps(body):
            raise ValueError("NUL is not allowed")  # the database refuses it
        fault = faults.arm(
            str(body["service"]),
            str(body["mode"]),
            endpoint=str(body.get("endpoint", "*")),
            times=int(body.get("times", 1)),
            delay=float(body.get("delay", 0.0)),
        )
    except (KeyError, ValueError, TypeError, RecursionError) as err:
        return JsonResponse({"status": "error", "message": str(err), "code": 10000}, status=400)
    return JsonResponse({"status": "ok", "id": fault.pk})
