"""The pages of a signing of several files: the upload form (without JavaScript), each file for the
owner and the signer, and the container page with the signed container's files and signatures."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from signing.models import Document, Signing
from tests.signing.bad_files import make_pdf
from tests.signing.container_files import complete_with_signatures, make_container_document, make_docx, make_image
from tests.signing.helpers import EE_CODE, formset_data, link, signer_row, verify_in_session

pytestmark = pytest.mark.django_db

NEW = "/documents/new/files/"
CONTRACT = make_pdf(2)
APPENDIX = make_docx("Appendix 1")
SCAN = make_image("PNG")


def upload(*files, signing_type="usual", rows=None, title="Lease with appendices"):
    """The upload form's POST: ``files`` as (name, bytes, role) in rows, then the signers."""
    data = formset_data(*(rows or [signer_row(0)]))
    data.update({"title": title, "signing_type": signing_type})
    data.update({"files-TOTAL_FORMS": "6", "files-INITIAL_FORMS": "0", "files-MIN_NUM_FORMS": "0"})
    data["files-MAX_NUM_FORMS"] = "6"
    for index in range(6):
        data[f"files-{index}-role"] = "appendix"
    for index, (name, content, role) in enumerate(files):
        data[f"files-{index}-file"] = SimpleUploadedFile(name, content, content_type="application/octet-stream")
        data[f"files-{index}-role"] = role
    return data


def test_the_form_offers_six_file_rows_and_explains_each_format(owner_client):
    page = owner_client.get(NEW).content.decode()
    assert page.count('type="file"') == 6
    for value in ("usual", "pdf", "asice", "bdoc", "edoc", "adoc"):
        assert f'value="{value}"' in page
    assert "Estonia" in page  # the usual format for Estonian signers is named
    assert "Its main document must be a PDF." in page


def test_a_pdf_with_appendices_for_estonian_signers_becomes_a_bdoc(
    owner_client, owner, django_capture_on_commit_callbacks
):
    rows = [signer_row(0, country_code="EE", personal_code=EE_CODE)]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = owner_client.post(
            NEW,
            upload(("Lease.pdf", CONTRACT, "main"), ("Appendix 1.docx", APPENDIX, "appendix"), rows=rows),
        )
    document = Document.objects.get(owner=owner)
    assert response.status_code == 302
    assert response["Location"] == reverse("signing:document-detail", kwargs={"uuid": document.uuid})
    assert document.signing_type == "bdoc"
    assert [(f.name, f.role) for f in document.files.all()] == [("Lease.pdf", "main"), ("Appendix 1.docx", "appendix")]
    assert len(queued) == 1  # the send task, after commit


def test_one_pdf_alone_is_a_pdf_signing(owner_client, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        owner_client.post(NEW, upload(("Lease.pdf", CONTRACT, "main")))
    document = Document.objects.get(owner=owner)
    assert document.signing_type == "pdf"
    assert document.file.open("rb").read() == CONTRACT
    assert not document.files.exists()


@pytest.mark.parametrize(
    ("files", "signing_type", "message"),
    [
        (
            (("a.pdf", CONTRACT, "main"), ("b.docx", APPENDIX, "main")),
            "asice",
            "Mark exactly one file as the main document.",
        ),
        ((("a.pdf", CONTRACT, "appendix"),), "asice", "Mark exactly one file as the main document."),
        ((), "asice", "Choose at least one file."),
        (
            (("a.pdf", CONTRACT, "main"), ("b.docx", APPENDIX, "appendix")),
            "pdf",
            "A PDF signature holds exactly one PDF file.",
        ),
        (
            (("b.docx", APPENDIX, "main"), ("a.pdf", CONTRACT, "appendix")),
            "adoc",
            "An ADOC container needs a PDF as its main document.",
        ),
        (
            (("a.pdf", CONTRACT, "main"), ("virus.exe", b"MZ" + bytes(200), "appendix")),
            "asice",
            "This type of file cannot be added.",
        ),
        ((("a.pdf", CONTRACT, "main"), ("scan.docx", SCAN, "appendix")), "asice", "does not match its content"),
    ],
)
def test_a_refused_upload_says_why_and_stores_nothing(owner_client, owner, files, signing_type, message):
    response = owner_client.post(NEW, upload(*files, signing_type=signing_type))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Document.objects.filter(owner=owner).exists()


def test_files_together_over_the_limit_are_refused(owner_client, owner, settings):
    settings.SIGNING_MAX_UPLOAD_BYTES = len(CONTRACT) + 100
    response = owner_client.post(NEW, upload(("a.pdf", CONTRACT, "main"), ("b.docx", APPENDIX, "appendix")))
    assert response.status_code == 400
    assert "Together the files are too large" in response.content.decode()
    assert not Document.objects.filter(owner=owner).exists()


@pytest.fixture
def container(owner):
    files = [
        ("Lease.pdf", CONTRACT, "main"),
        ("Appendix 1.docx", APPENDIX, "appendix"),
        ("Plan.png", SCAN, "attachment"),
    ]
    document = make_container_document(owner, files=files)
    Signing.objects.filter(document=document).update(status=Signing.Status.PENDING)
    return document


def test_the_owner_sees_each_file_and_downloads_it(owner_client, container):
    page = owner_client.get(reverse("signing:document-detail", kwargs={"uuid": container.uuid})).content.decode()
    for stored, data in zip(container.files.all(), (CONTRACT, APPENDIX, SCAN), strict=True):
        url = reverse("signing:document-file", kwargs={"uuid": container.uuid, "file_uuid": stored.uuid})
        assert url in page
        response = owner_client.get(url)
        assert b"".join(response.streaming_content) == data
        assert f"filename*=UTF-8''{stored.name.replace(' ', '%20')}" in response["Content-Disposition"]
    assert page.count('data-testid="preview-page"') == 2  # the PDF's two pages
    assert 'data-testid="preview-image"' in page
    assert "This file is not shown as pages here" in page  # the Word file: a link, no converter
    # The single-PDF download has no meaning for a container.
    assert owner_client.get(reverse("signing:document-download", kwargs={"uuid": container.uuid})).status_code == 404


def test_a_pdf_file_of_the_container_is_previewed_as_pages(owner_client, container):
    pdf = container.files.get(role="main")
    url = reverse("signing:document-file-page-image", kwargs={"uuid": container.uuid, "file_uuid": pdf.uuid})
    response = owner_client.get(url + "?page=1")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    word = container.files.get(role="appendix")
    url = reverse("signing:document-file-page-image", kwargs={"uuid": container.uuid, "file_uuid": word.uuid})
    assert owner_client.get(url + "?page=1").status_code == 404


def test_only_images_are_ever_served_inline(owner_client, container):
    for stored in container.files.all():
        url = reverse("signing:document-file", kwargs={"uuid": container.uuid, "file_uuid": stored.uuid})
        disposition = owner_client.get(url + "?inline=1")["Content-Disposition"]
        assert disposition.startswith("inline" if stored.is_image else "attachment"), stored.name


def test_a_changed_file_is_not_served(owner_client, container):
    stored = container.files.get(role="appendix")
    with stored.file.open("wb") as handle:
        handle.write(b"tampered")
    url = reverse("signing:document-file", kwargs={"uuid": container.uuid, "file_uuid": stored.uuid})
    assert owner_client.get(url).status_code == 409


def test_the_signer_sees_each_file_before_signing(client, container):
    signer = container.signers.get()
    verify_in_session(client, signer)
    page = client.get(link(signer)).content.decode()
    assert "Please read every file before you sign" in page
    for stored, data in zip(container.files.all(), (CONTRACT, APPENDIX, SCAN), strict=True):
        url = reverse("signing:signer-file-download", kwargs={"token": signer.link_token, "file_uuid": stored.uuid})
        assert url in page
        assert b"".join(client.get(url).streaming_content) == data
    pdf = container.files.get(role="main")
    image = reverse("signing:signer-file-page-image", kwargs={"token": signer.link_token, "file_uuid": pdf.uuid})
    assert client.get(image + "?page=2").status_code == 200


def test_the_container_page_lists_files_and_signatures_for_owner_and_signer(owner_client, client, container):
    page = owner_client.get(reverse("signing:container", kwargs={"uuid": container.uuid})).content.decode()
    assert "The signed container is ready once everyone has signed." in page
    signer = container.signers.get()
    verify_in_session(client, signer)
    # Before everyone signed the signer has the files to read, not a container page.
    assert client.get(reverse("signing:signer-container", kwargs={"token": signer.link_token})).status_code == 403
    complete_with_signatures(container)
    pages = {
        "owner": (owner_client, reverse("signing:container", kwargs={"uuid": container.uuid})),
        "signer": (client, reverse("signing:signer-container", kwargs={"token": signer.link_token})),
    }
    for who, (browser, url) in pages.items():
        page = browser.get(url).content.decode()
        assert page.count('data-testid="container-entry"') == 3, who
        assert f"{signer.first_name} {signer.last_name}" in page, who
        for index, data in enumerate((CONTRACT, APPENDIX, SCAN)):
            response = browser.get(f"{url}{index}/")
            assert b"".join(response.streaming_content) == data, (who, index)
        assert browser.get(f"{url}3/").status_code == 404, who
    # The signer's finished link leads to the container page.
    assert pages["signer"][1] in client.get(link(signer)).content.decode()


def test_the_signed_container_downloads_under_its_own_extension(owner_client, container):
    data = complete_with_signatures(container)
    response = owner_client.get(reverse("signing:signed-download", kwargs={"uuid": container.uuid}))
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "application/vnd.etsi.asic-e+zip"
    assert ".asice" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist()[0] == "mimetype"


def test_a_container_is_never_served_by_the_fetch_url(client, container):
    from signing.documents import document_fetch_url

    path = document_fetch_url(document=container).split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{path}").status_code == 404


def test_files_that_passed_are_kept_while_a_signer_is_corrected(
    owner_client, owner, django_capture_on_commit_callbacks
):
    bad_signer = [signer_row(0, personal_code="12345")]
    response = owner_client.post(
        NEW, upload(("Lease.pdf", CONTRACT, "main"), ("Appendix 1.docx", APPENDIX, "appendix"), rows=bad_signer)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "These files are kept from your last attempt." in page
    assert "Appendix 1.docx" in page
    assert not Document.objects.filter(owner=owner).exists()
    # The corrected form is sent without choosing the files again.
    with django_capture_on_commit_callbacks(execute=False):
        response = owner_client.post(NEW, upload(signing_type="asice"))
    assert response.status_code == 302
    document = Document.objects.get(owner=owner)
    assert [(f.name, f.role, f.file.open("rb").read()) for f in document.files.all()] == [
        ("Lease.pdf", "main", CONTRACT),
        ("Appendix 1.docx", "appendix", APPENDIX),
    ]
    # Nothing stays kept after the upload went through.
    assert "These files are kept" not in owner_client.get(NEW).content.decode()


def test_a_refused_file_is_not_kept(owner_client, owner):
    response = owner_client.post(
        NEW, upload(("Lease.pdf", CONTRACT, "main"), ("virus.exe", b"MZ" + bytes(200), "appendix"))
    )
    assert response.status_code == 400
    assert "These files are kept" not in response.content.decode()


@pytest.mark.parametrize(("group", "allowed"), [(None, False), ("Support", True), ("Operations", True)])
def test_staff_reach_a_container_only_through_their_role(client, make_user, container, group, allowed):
    from django.contrib.auth.models import Group

    from signing.models import SigningEvent

    staff = make_user(country_code="EE", personal_code="60001019906", first_name="Staff", is_staff=True)
    if group:
        staff.groups.add(Group.objects.get(name=group))
    client.force_login(staff)
    complete_with_signatures(container)
    stored = container.files.first()
    urls = [
        reverse("signing:document-file", kwargs={"uuid": container.uuid, "file_uuid": stored.uuid}),
        reverse("signing:container", kwargs={"uuid": container.uuid}),
        reverse("signing:container-entry", kwargs={"uuid": container.uuid, "index": 0}),
    ]
    for url in urls:
        assert client.get(url).status_code == (200 if allowed else 404), url
    # Staff reading someone else's files leave a trace in the document's history.
    recorded = SigningEvent.objects.filter(document=container, kind="download", actor=staff).count()
    assert recorded == (2 if allowed else 0)
    admin_page = client.get(reverse("admin:signing_document_change", args=[container.pk]))
    assert (stored.name in admin_page.content.decode()) == allowed


def test_a_zip_bomb_in_the_signed_container_gets_a_clear_page(owner_client, container):
    import hashlib

    from tests.signing.container_files import make_zip

    bomb = make_zip(
        [("mimetype", b"application/vnd.etsi.asic-e+zip"), ("bomb.txt", bytes(5 * 1024 * 1024))], stored_first=True
    )
    complete_with_signatures(container)
    signing = container.signings.get()
    with signing.signed_file.open("wb") as handle:
        handle.write(bomb)
    Signing.objects.filter(pk=signing.pk).update(signed_sha256=hashlib.sha256(bomb).hexdigest())
    response = owner_client.get(reverse("signing:container-entry", kwargs={"uuid": container.uuid, "index": 0}))
    assert response.status_code == 422
    assert "cannot be taken out of the container safely" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "signing_type", "wanted"),
    [("earlier.asice", "usual", "asice"), ("earlier.bdoc", "usual", "bdoc"), ("earlier.asice", "edoc", "edoc")],
)
def test_an_existing_signed_container_is_signed_further_in_its_own_kind(
    owner_client, owner, django_capture_on_commit_callbacks, name, signing_type, wanted
):
    from tests.signing.container_files import make_asice

    with django_capture_on_commit_callbacks(execute=False):
        response = owner_client.post(NEW, upload((name, make_asice(), "main"), signing_type=signing_type))
    assert response.status_code == 302
    assert Document.objects.get(owner=owner).signing_type == wanted


@pytest.mark.parametrize(
    ("signing_type", "message"),
    [("adoc", "can only be signed further in its own format"), ("pdf", "can only be signed further in its own format")],
)
def test_a_signed_container_cannot_change_its_kind(owner_client, owner, signing_type, message):
    from tests.signing.container_files import make_asice

    response = owner_client.post(NEW, upload(("earlier.asice", make_asice(), "main"), signing_type=signing_type))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Document.objects.filter(owner=owner).exists()


def test_a_signed_container_is_not_mixed_with_other_files(owner_client, owner):
    from tests.signing.container_files import make_asice

    files = (("earlier.asice", make_asice(), "main"), ("b.docx", APPENDIX, "appendix"))
    response = owner_client.post(NEW, upload(*files, signing_type="asice"))
    assert response.status_code == 400
    assert "A signed container is signed on its own." in response.content.decode()
