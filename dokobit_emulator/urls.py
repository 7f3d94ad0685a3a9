from django.urls import include, path

app_name = "dokobit_emulator"
urlpatterns = [
    path("identity/", include("dokobit_emulator.identity_urls")),
    path("gateway/", include("dokobit_emulator.gateway_urls")),
    path("control/", include("dokobit_emulator.control_urls")),
]
