"""The portal's URLs plus the baselines: a bare "ok" view and a bare JSON view."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from portal.urls import urlpatterns as portal_urlpatterns


@csrf_exempt
@login_not_required
def bare_ok(request):
    return HttpResponse("ok")


@csrf_exempt
@login_not_required
def bare_json(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bench/ok/", bare_ok), path("bench/json/", bare_json), *portal_urlpatterns]
