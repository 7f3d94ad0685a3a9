from django.urls import path

from signing.views import containers, copy, decline, inbox, owner, owner_changes, reports, signer, signer_account, trust
from signing.webhooks import DocumentFetchView, postback

app_name = "signing"
urlpatterns = [
    # Dokobit's postbacks; the per-signing secret is part of the URL. First: the busiest URL under
    # load, and each pattern tried before it costs (PF2 in the README).
    path("postback/<uuid:signing_uuid>/<str:secret>/", postback, name="postback"),
    # The owner's documents.
    path("documents/", owner.document_list, name="document-list"),
    path("documents/new/", owner.document_new, name="document-new"),
    path("documents/new/files/", containers.container_new, name="container-new"),
    path("documents/<uuid:uuid>/", owner.document_detail, name="document-detail"),
    path("documents/<uuid:uuid>/status/", owner.document_status, name="document-status"),
    path("documents/<uuid:uuid>/original/", owner.document_download, name="document-download"),
    path("documents/<uuid:uuid>/page.png", owner.document_page_image, name="document-page-image"),
    path("documents/<uuid:uuid>/signed/", owner.signed_download, name="signed-download"),
    path("documents/<uuid:uuid>/share/", owner.document_share_view, name="document-share"),
    path("documents/<uuid:uuid>/files/<uuid:file_uuid>/", containers.document_file_download, name="document-file"),
    path(
        "documents/<uuid:uuid>/files/<uuid:file_uuid>/page.png",
        containers.document_file_page_image,
        name="document-file-page-image",
    ),
    path("documents/<uuid:uuid>/container/", containers.container_page, name="container"),
    path("documents/<uuid:uuid>/container/<int:index>/", containers.container_entry, name="container-entry"),
    path("documents/<uuid:uuid>/cancel/", owner.signing_cancel_view, name="signing-cancel"),
    path("documents/<uuid:uuid>/archive/", trust.signing_archive_view, name="signing-archive"),
    path("documents/<uuid:uuid>/seal/", trust.signing_seal_view, name="signing-seal"),
    path("documents/<uuid:uuid>/report/", reports.report_page, name="report"),
    path("documents/<uuid:uuid>/report.pdf", reports.report_pdf_download, name="report-pdf"),
    path("check/", reports.file_check_page, name="file-check"),
    path("documents/<uuid:uuid>/signers/add/", owner.signer_add_view, name="signer-add"),
    path("documents/<uuid:uuid>/signers/<uuid:signer_uuid>/remove/", owner.signer_remove_view, name="signer-remove"),
    path("documents/<uuid:uuid>/signers/<uuid:signer_uuid>/resend/", owner.signer_resend_view, name="signer-resend"),
    path("documents/<uuid:uuid>/signers/<uuid:signer_uuid>/move/", owner_changes.signer_move_view, name="signer-move"),
    path("documents/<uuid:uuid>/copies/add/", owner_changes.copy_add_view, name="copy-add"),
    path("documents/<uuid:uuid>/copies/<uuid:copy_uuid>/remove/", owner_changes.copy_remove_view, name="copy-remove"),
    # The logged-in person's inbox: documents waiting for their signature, history, batch signing.
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/sign/", inbox.inbox_batch_start, name="inbox-batch-start"),
    path("inbox/sign/dokobit/", inbox.inbox_batch_sign, name="inbox-batch-sign"),
    path("inbox/sign/done/", inbox.inbox_batch_done, name="inbox-batch-done"),
    # A signer's pages: <token> is the personal link's token, or the signer's uuid for the
    # logged-in person it matches (signing.views.signer_link.signer_for_key).
    path("sign/<str:token>/", signer.signer_landing, name="signer-landing"),
    path("sign/<str:token>/identity/start/", signer.signer_identity_start, name="signer-identity-start"),
    path("sign/<str:token>/identity/complete/", signer.signer_identity_complete, name="signer-identity-complete"),
    path("sign/<str:token>/document/", signer.signer_file, name="signer-file"),
    path("sign/<str:token>/page.png", signer.signer_page_image, name="signer-page-image"),
    path("sign/<str:token>/download/", signer.signer_download, name="signer-download"),
    path("sign/<str:token>/signed/", signer.signer_signed_download, name="signer-signed-download"),
    path("sign/<str:token>/files/<uuid:file_uuid>/", containers.signer_file_download, name="signer-file-download"),
    path(
        "sign/<str:token>/files/<uuid:file_uuid>/page.png",
        containers.signer_file_page_image,
        name="signer-file-page-image",
    ),
    path("sign/<str:token>/container/", containers.signer_container_page, name="signer-container"),
    path("sign/<str:token>/container/<int:index>/", containers.signer_container_entry, name="signer-container-entry"),
    path("sign/<str:token>/report/", signer.signer_report, name="signer-report"),
    path("sign/<str:token>/report.pdf", signer.signer_report_pdf, name="signer-report-pdf"),
    path("sign/<str:token>/sign/", signer.signer_sign, name="signer-sign"),
    path("sign/<str:token>/sign/cancel/", signer.signer_sign_cancel, name="signer-sign-cancel"),
    path("sign/<str:token>/status/", signer.signer_status, name="signer-status"),
    path("sign/<str:token>/done/", signer.signer_done, name="signer-done"),
    path("sign/<str:token>/account/", signer_account.signer_account_create, name="signer-account"),
    # A copy recipient's link (CC): the signed file once everyone has signed.
    path("copy/<str:token>/", copy.copy_landing, name="copy-landing"),
    path("copy/<str:token>/signed/", copy.copy_signed_download, name="copy-signed-download"),
    path("copy/<str:token>/identity/start/", copy.copy_identity_start, name="copy-identity-start"),
    path("copy/<str:token>/identity/complete/", copy.copy_identity_complete, name="copy-identity-complete"),
    path("copy/<str:token>/page.png", copy.copy_page_image, name="copy-page-image"),
    # Declining, addressed by the signer's uuid (the portal link's pages and the inbox link here).
    path("signer/<uuid:signer_uuid>/decline/", decline.signer_decline, name="signer_decline"),
    path("fetch/<str:fetch_token>/", DocumentFetchView.as_view(), name="document-fetch"),
]
