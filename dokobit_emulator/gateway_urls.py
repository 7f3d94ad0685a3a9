"""Documents Gateway paths, exactly as Dokobit's after the base URL."""

from django.urls import path

from dokobit_emulator import gateway_views as views

urlpatterns = [
    path("api/file/upload.json", views.file_upload, name="gateway-upload"),
    path("api/file/upload/<str:token>/status.json", views.file_upload_status, name="gateway-upload-status"),
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
]
