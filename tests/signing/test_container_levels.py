"""Containers beyond ASiC-E: the ADOC variants (form, emulator, container page) and long-term
containers (XAdES-XL sent as ``{type}[level]``, archived with its postback like a ``pdflt``)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from dokobit_emulator import gateway_views, postbacks
from dokobit_emulator.models import GatewaySigning
from signing.container_contents import container_contents
from signing.container_forms import FORMAT_HELP, ContainerUploadForm
from signing.containers import ContainerFileIn, container_document_create
from signing.file_types import file_kind_check
from signing.models import Signing, SigningEvent, SigningType
from signing.sync import signing_sync_from_gateway
from signing.tasks import signing_send_task
from signing.trust_models import ArchiveStatus
from tests.signing.bad_files import make_pdf
from tests.signing.conftest import EMULATOR, GW, calls_to, json_body
from tests.signing.container_files import make_docx

pytestmark = pytest.mark.django_db
VARIANTS = ["adoc.bedoc", "adoc.cedoc", "adoc.gedoc", "adoc.ggedoc"]


@pytest.fixture(autouse=True)
def _emulator_apart(tmp_path, settings, monkeypatch):
    settings.DOKOBIT_EMULATOR_ROOT = str(tmp_path / "dokobit")
    monkeypatch.setattr(gateway_views, "gateway_base", lambda request: GW)


@pytest.fixture
def postbacks_sent(monkeypatch):
    kept: list[dict] = []
    monkeypatch.setattr(postbacks, "postback_send", lambda *, url, payload: kept.append({"url": url, "json": payload}))
    return kept


def files():
    items = [("Contract.pdf", make_pdf(2), "main"), ("Appendix.docx", make_docx("Appendix 1"), "appendix")]
    return [
        ContainerFileIn(
            fileobj=ContentFile(data, name=name),
            name=name,
            role=role,
            kind=file_kind_check(io.BytesIO(data), name=name, max_bytes=5 * 1024 * 1024),
        )
        for name, data, role in items
    ]


def signed(owner, signer_data, capture, *, signing_type: str, long_term: bool = False) -> Signing:
    with capture(execute=False):
        document = container_document_create(
            owner=owner,
            files=files(),
            signing_type=signing_type,
            title="Contract with appendix",
            signers=[signer_data(0)],
            long_term=long_term,
        )
    with capture(execute=True):
        signing_send_task.delay(document.signings.get().pk)
    signing = document.signings.get()
    signer = document.signers.get()
    answer = Client().post(f"{EMULATOR}/signing/{signing.dokobit_token}/sign", {"access_token": signer.dokobit_token})
    assert answer.status_code == 200
    with capture(execute=True):
        signing = signing_sync_from_gateway(signing=signing)
    assert signing.status == Signing.Status.COMPLETED
    return signing


@pytest.mark.parametrize("variant", VARIANTS)
def test_an_adoc_variant_is_sent_by_its_name_and_read_back_on_the_container_page(
    variant, owner, signer_data, emulator, client, django_capture_on_commit_callbacks
):
    signing = signed(owner, signer_data, django_capture_on_commit_callbacks, signing_type=variant)

    (create,) = calls_to(emulator, "/api/signing/create.json")
    assert json_body(create)["type"] == variant
    assert signing.signed_file.name == f"signed/{signing.uuid}.adoc"
    data = signing.signed_file.open("rb").read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("mimetype") == b"application/vnd.lt.archyvai.adoc-2008"
    assert [e.name for e in container_contents(io.BytesIO(data)).entries] == ["Contract.pdf", "Appendix.docx"]

    client.force_login(owner)
    page = client.get(reverse("signing:container", kwargs={"uuid": signing.document.uuid})).content.decode()
    assert str(SigningType(variant).label) in page
    assert "Contract.pdf" in page
    assert "Signer0 Testnumber" in page
    download = client.get(reverse("signing:signed-download", kwargs={"uuid": signing.document.uuid}))
    assert 'filename="Contract with appendix-signed.adoc"' in download["Content-Disposition"]


def test_the_form_explains_each_variant_and_refuses_one_without_a_pdf_main_document():
    for variant in VARIANTS:
        assert variant.split(".")[1].upper() in str(FORMAT_HELP[variant])
    form = ContainerUploadForm({"title": "T", "signing_type": "adoc.gedoc"})
    assert form.is_valid(), form.errors
    docx_main = [
        ContainerFileIn(
            fileobj=ContentFile(make_docx("x"), name="a.docx"),
            name="a.docx",
            role="main",
            kind=file_kind_check(io.BytesIO(make_docx("x")), name="a.docx", max_bytes=10**6),
        )
    ]
    assert form.chosen_format(files=docx_main, countries=["LT"]) is None
    assert form.errors["signing_type"] == ["An ADOC container needs a PDF as its main document."]
    assert ContainerUploadForm({"title": "T", "signing_type": "adoc.gedoc"}).is_valid()
    ok = ContainerUploadForm({"title": "T", "signing_type": "adoc.gedoc"})
    assert ok.is_valid()
    assert ok.chosen_format(files=files(), countries=["LT"]) == "adoc.gedoc"


def test_the_emulator_refuses_a_level_that_is_not_the_containers():
    from dokobit_emulator.gateway_views import signing_level

    assert signing_level("asice", {"asice": {"level": "xades-xl"}}) == ("xades-xl", [])
    assert signing_level("adoc.ggedoc", {"adoc.ggedoc": {"level": "XADES-XL"}}) == ("xades-xl", [])
    assert signing_level("asice", {"asice": {"level": "pades-ltv"}})[1] == [
        ("[asice][level]", "The value you selected is not a valid choice.")
    ]
    assert signing_level("pdf", {"pdf": {"level": "xades-xl"}})[1] == [
        ("[pdf][level]", "The value you selected is not a valid choice.")
    ]


def test_a_long_term_container_is_sent_at_xades_xl_and_archived_through_its_postback(
    owner, signer_data, emulator, client, postbacks_sent, django_capture_on_commit_callbacks
):
    signing = signed(owner, signer_data, django_capture_on_commit_callbacks, signing_type="asice", long_term=True)

    (create,) = calls_to(emulator, "/api/signing/create.json")
    assert json_body(create)["asice"] == {"level": "xades-xl"}
    assert GatewaySigning.objects.get(token=signing.dokobit_token).long_term
    before = signing.signed_sha256
    postbacks_sent.clear()
    client.force_login(owner)
    url = reverse("signing:document-detail", kwargs={"uuid": signing.document.uuid})
    page = client.get(url).content.decode()
    assert "Yes (XAdES-XL)" in page
    assert 'data-testid="archive-button"' in page
    assert 'data-testid="seal-open"' not in page  # containers are never sealed

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("signing:signing-archive", kwargs={"uuid": signing.document.uuid}), follow=True)
    (archived,) = postbacks_sent
    assert archived["json"]["action"] == "signing_archived"
    path = "/" + archived["url"].split("://", 1)[1].split("/", 1)[1]
    for _ in range(2):  # Dokobit's retry: applied once
        with django_capture_on_commit_callbacks(execute=True):
            answer = Client().post(path, data=json.dumps(archived["json"]), content_type="application/json")
        assert answer.status_code == 200

    signing.refresh_from_db()
    assert signing.archive_status == ArchiveStatus.ARCHIVED
    assert signing.signed_sha256 == archived["json"]["file_digest"] != before
    assert SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.ARCHIVED).count() == 1
    data = signing.signed_file.open("rb").read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "META-INF/archive-timestamp.xml" in archive.namelist()
    assert [s.signer for s in container_contents(io.BytesIO(data)).signatures] == ["Signer0 Testnumber"]
    page = client.get(url).content.decode()
    assert 'data-testid="archive-status">Archived<' in page


def test_a_container_of_an_organisation_that_seals_is_not_sealed_and_its_page_says_why(
    owner, signer_data, emulator, client, django_capture_on_commit_callbacks
):
    from organisations.models import Organisation, SealMode
    from organisations.services import organisation_create
    from signing.models import Document
    from signing.trust_models import SealStatus

    organisation = organisation_create(creator=owner, name="UAB Šiaurė", registration_code="3", country_code="LT")
    Organisation.objects.filter(pk=organisation.pk).update(seal_mode=SealMode.AFTER_SIGNERS)
    with django_capture_on_commit_callbacks(execute=False):
        document = container_document_create(
            owner=owner,
            files=files(),
            signing_type="asice",
            title="Contract with appendix",
            signers=[signer_data(0)],
            organisation=organisation,
        )
    assert Document.objects.get(pk=document.pk).organisation_id == organisation.pk
    with django_capture_on_commit_callbacks(execute=True):
        signing_send_task.delay(document.signings.get().pk)
    signing = document.signings.get()
    signer = document.signers.get()
    Client().post(f"{EMULATOR}/signing/{signing.dokobit_token}/sign", {"access_token": signer.dokobit_token})
    with django_capture_on_commit_callbacks(execute=True):
        signing = signing_sync_from_gateway(signing=signing)

    assert signing.status == Signing.Status.COMPLETED
    assert signing.seal_status == SealStatus.NONE
    assert calls_to(emulator, f"/api/signing/{signing.dokobit_token}/seal.json") == []
    client.force_login(owner)
    page = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    assert "Dokobit&#x27;s e-seal is placed in a PDF, so this container was not sealed." in page
