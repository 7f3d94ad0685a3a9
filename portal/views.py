"""Cross-cutting pages: home, dashboard, health check, favicon."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from portal.health import health_report


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home.html")


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    # Pages name their icon with <link rel="icon">; this answers browsers and tools that still ask
    # for /favicon.ico, which otherwise left a 404 in the log for every visit.
    return redirect(static("img/favicon.svg"))


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
