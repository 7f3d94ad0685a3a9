"""Cross-cutting pages: home, dashboard, health check, favicon, the page for a refused request."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from portal.health import health_report
from signing.forms import signer_limit_message


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


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 page, naming the signer limit when a form had too many fields.

    Only an upload naming too many signers sends that many fields, and Django refuses it before
    the form could say so. Rendered without the request, like Django's own: a refused request
    (a forged Host header, say) must not fail again in a context processor.
    """
    signer_limit = signer_limit_message() if isinstance(exception, TooManyFieldsSent) else ""
    return HttpResponseBadRequest(loader.render_to_string("400.html", {"signer_limit": signer_limit}))
