"""Identity Gateway paths, exactly as Dokobit's after the base URL, plus the widget's own endpoints."""

from django.urls import path, re_path

from dokobit_emulator import identity_views
from dokobit_emulator.gateway_views import api_path_unknown

urlpatterns = [
    path("", identity_views.identity_root, name="identity-root"),
    path("api/authentication/create", identity_views.authentication_create, name="identity-create"),
    path("api/authentication/<str:token>/status", identity_views.authentication_status, name="identity-status"),
    path("js/dokobit-integration.min.js", identity_views.integration_script, name="identity-script"),
    path("auth/<str:token>", identity_views.auth_page, name="identity-auth"),
    path("auth/<str:token>/done", identity_views.auth_done, name="identity-auth-done"),
    path("api/emulator/<str:token>/session", identity_views.widget_session, name="identity-widget-session"),
    path("api/emulator/<str:token>/start", identity_views.widget_start, name="identity-widget-start"),
    path("api/emulator/<str:token>/finish", identity_views.widget_finish, name="identity-widget-finish"),
    # Last: any other API path gets a JSON error in Dokobit's shape, never an HTML page.
    re_path(r"^api/", api_path_unknown, name="identity-api-unknown"),
]
