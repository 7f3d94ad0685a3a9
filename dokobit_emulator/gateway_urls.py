"""Documents Gateway paths, exactly as Dokobit's after the base URL."""

from django.urls import path, re_path

from dokobit_emulator import gateway_trust
from dokobit_emulator import gateway_views as views

urlpatterns = [
    path("api/file/upload.json", views.file_upload, name="gateway-upload"),
    path("api/file/upload/<str:token>/status.json", views.file_upload_status, name="gateway-upload-status"),
    # The older path Dokobit's public gateway example still polls; the same answer.
    path("api/file/upload/status/<str:token>.json", views.file_upload_status, name="gateway-upload-status-legacy"),
    path("api/signing/create.json", views.signing_create, name="gateway-signing-create"),
    path("api/signing/createbatch.json", views.signing_createbatch, name="gateway-signing-createbatch"),
    path("api/signing/<str:token>/status.json", views.signing_status, name="gateway-signing-status"),
    path("api/signing/<str:token>/addsigner.json", views.signing_addsigner, name="gateway-signing-addsigner"),
    path("api/signing/<str:token>/removesigner.json", views.signing_removesigner, name="gateway-signing-removesigner"),
    path("api/signing/<str:token>/delete.json", views.signing_delete, name="gateway-signing-delete"),
    path("api/signing/<str:token>/archive.json", gateway_trust.signing_archive, name="gateway-signing-archive"),
    path("api/signing/<str:token>/seal.json", gateway_trust.signing_seal, name="gateway-signing-seal"),
    path("api/file/check.json", gateway_trust.file_check, name="gateway-file-check"),
    path("api/signing/<str:token>/download", views.signing_download, name="gateway-signing-download"),
    path(
        "api/signing/<str:token>/download/<str:signer_id>",
        views.signing_download,
        name="gateway-signing-download-signer",
    ),
    # Before signing/<token>/...: "batch" and "sequence" are not signing tokens. One batch token
    # opens both pages (Dokobit's SDK: getBatchSigningUrl, getSequenceSigningUrl).
    re_path(r"^signing/(?P<route>batch|sequence)/(?P<token>[^/]+)$", views.batch_page, name="gateway-batch-page"),
    re_path(r"^signing/(?P<route>batch|sequence)/(?P<token>[^/]+)/sign$", views.batch_sign, name="gateway-batch-sign"),
    re_path(
        r"^signing/(?P<route>batch|sequence)/(?P<token>[^/]+)/cancel$", views.batch_cancel, name="gateway-batch-cancel"
    ),
    re_path(
        r"^signing/(?P<route>batch|sequence)/(?P<token>[^/]+)/document/(?P<position>[0-9]+)$",
        views.batch_document,
        name="gateway-batch-document",
    ),
    path("signing/<str:token>", views.signing_page, name="gateway-signing-page"),
    path("signing/<str:token>/document", views.signing_document, name="gateway-signing-document"),
    path("signing/<str:token>/sign", views.signing_sign, name="gateway-signing-sign"),
    path("signing/<str:token>/cancel", views.signing_cancel, name="gateway-signing-cancel"),
    path("js/isign.frame.js", views.isign_frame_js, name="gateway-isign-frame-js"),
    # Last: any other API path gets a JSON error in Dokobit's shape, never an HTML page.
    re_path(r"^api/", views.api_path_unknown, name="gateway-api-unknown"),
]
