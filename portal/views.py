"""Cross-cutting pages: home, dashboard, health check."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from portal.health import health_report


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home.html")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard.html")


def healthz(request: HttpRequest) -> JsonResponse:
    """Database, storage and (when configured) Redis: 200 when all are up, 503 otherwise."""
    checks = health_report()
    healthy = all(value == "ok" for value in checks.values())
    response = JsonResponse({"status": "ok" if healthy else "down", "checks": checks}, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response
