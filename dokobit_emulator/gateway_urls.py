"""Documents Gateway paths, exactly as Dokobit's after the base URL."""

from django.urls import path, re_path

from dokobit_emulator import gateway_views as views

urlpatterns = [
    path("api/file/upload.json", views.file_upload, name="gateway-upload"),
    path("api/file/upload/<str:token>/status.json", views.file_upload_status, name="gateway-upload-status"),
    # The older path Dokobit's public gateway example still polls; the same answer.
    path("api/file/upload/status/<str:token>.json", views.file_upload_status, name="gateway-upload-status-legacy"),
    path("api/signing/create.json", views.signing_create, name="gateway-signing-create"),
    path("api/signing/<str:token>/status.json", views.signing_status, name="gateway-signing-status"),
    path("api/signing/<str:token>/addsigner.json", views.signing_addsigner, name="gateway-signing-addsigner"),
    path("api/signing/<str:token>/removesigner.json", views.signing_removesigner, name="gateway-signing-removesigner"),
    path("api/signing/<str:token>/delete.json", views.signing_delete, name="gateway-signing-delete"),
    path("api/signing/<str:token>/download", views.signing_download, name="gateway-signing-download"),
    path(
        "api/signing/<str:token>/download/<str:signer_id>",
        views.signing_download,
        name="gateway-signing-download-signer",
    ),
    path("signing/<str:token>", views.signing_page, name="gateway-signing-page"),
    path("signing/<str:token>/document", views.signing_document, name="gateway-signing-document"),
    path("signing/<str:token>/sign", views.signing_sign, name="gateway-signing-sign"),
    path("signing/<str:token>/cancel", views.signing_cancel, name="gateway-signing-cancel"),
    path("js/isign.frame.js", views.isign_frame_js, name="gateway-isign-frame-js"),
    # Last: any other API path gets a JSON error in Dokobit's shape, never an HTML page.
    re_path(r"^api/", views.api_path_unknown, name="gateway-api-unknown"),
]
