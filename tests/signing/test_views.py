"""Signing pages over HTTP: upload checks, owner pages, downloads, the signer's gate and T10."""

from __future__ import annotations

import datetime
import hashlib
import re
import time
import uuid

import pytest
import redis
import responses
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from signing.copies import CopyRecipientData, copy_recipient_new
from signing.forms import holding_purge_stale
from signing.models import Document, Signer, Signing, SigningEvent
from tests.conftest import load_fixture
from tests.signing.helpers import (
    EE_CODE,
    LT_CODE,
    assert_neutral,
    identify,
    link,
    make_document,
    pdf_bytes,
    pdf_upload,
    signer_row,
    upload_post,
    verify_in_session,
)

pytestmark = pytest.mark.django_db

IDENTITY = "https://id-sandbox.dokobit.com"
GATEWAY = "https://gateway-sandbox.dokobit.com"


@pytest.fixture
def owner(make_user):
    return make_user(country_code="EE", personal_code="39912319999", first_name="Olivia", last_name="Owner")


# --- Upload page ------------------------------------------------------------------------------


def test_upload_page_has_labelled_fields(owner_client):
    response = owner_client.get(reverse("signing:document-new"))
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"].count("no-store")
    for label in [
        "Document",
        "Title",
        "Name",
        "Surname",
        "Country",
        "Personal code",
        "E-mail",
        "Signing purpose",
        "Language",
        "Phone",
    ]:
        assert re.search(rf'<label for="[^"]+">{re.escape(label)}[ <]', html), label


def test_upload_creates_document_with_signers(owner_client, owner):
    rows = [signer_row(0), signer_row(1, country_code="EE", personal_code=EE_CODE, signing_purpose="visa")]
    response = owner_client.post(reverse("signing:document-new"), upload_post(file=pdf_upload(), rows=rows))
    document = Document.objects.get(owner=owner)
    assert response.status_code == 302
    assert response["Location"] == reverse("signing:document-detail", kwargs={"uuid": document.uuid})
    assert document.sha256 == hashlib.sha256(pdf_bytes()).hexdigest()
    assert [s.signing_purpose for s in document.signers.all()] == ["signature", "visa"]


def test_upload_by_script_gets_json_redirect(owner_client, owner):
    response = owner_client.post(
        reverse("signing:document-new"), upload_post(file=pdf_upload()), headers={"X-Requested-With": "XMLHttpRequest"}
    )
    document = Document.objects.get(owner=owner)
    assert response.json() == {"redirect": reverse("signing:document-detail", kwargs={"uuid": document.uuid})}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (upload_post(file=None), "Choose a PDF document to upload."),
        (upload_post(rows=[signer_row(0, personal_code="123")]), None),
        (upload_post(rows=[signer_row(0), signer_row(1)]), "This person is already a signer of this document."),
        ({**upload_post(rows=[]), "signers-TOTAL_FORMS": "0"}, "Add at least one signer."),
    ],
    ids=["no-file", "bad-code", "duplicate", "no-signer"],
)
def test_upload_errors_are_shown_and_nothing_is_created(owner_client, data, message):
    if "document" not in data and message != "Choose a PDF document to upload.":
        data = {**data, "document": pdf_upload()}
    response = owner_client.post(reverse("signing:document-new"), data)
    assert response.status_code == 400
    assert Document.objects.count() == 0
    if message:
        assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()


def test_not_a_pdf_is_refused(owner_client):
    fake = pdf_upload("fake.pdf", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    response = owner_client.post(reverse("signing:document-new"), upload_post(file=fake))
    assert response.status_code == 400
    assert Document.objects.count() == 0
    assert "is kept" not in response.content.decode()


def test_too_large_is_refused(owner_client, settings):
    settings.SIGNING_MAX_UPLOAD_BYTES = 50
    response = owner_client.post(reverse("signing:document-new"), upload_post(file=pdf_upload()))
    assert response.status_code == 400
    assert "too large" in response.content.decode()


def test_signer_limit_on_upload(owner_client, settings):
    """T19: more signers than allowed get 400 with the limit."""
    settings.SIGNING_MAX_SIGNERS = 1
    rows = [signer_row(0), signer_row(1, country_code="EE", personal_code=EE_CODE)]
    response = owner_client.post(reverse("signing:document-new"), upload_post(file=pdf_upload(), rows=rows))
    assert response.status_code == 400
    assert "At most 1 signer is allowed." in response.content.decode()


def test_file_is_kept_when_another_field_is_wrong(owner_client, owner):
    url = reverse("signing:document-new")
    first = owner_client.post(url, upload_post(file=pdf_upload("my lease.pdf"), rows=[signer_row(0, email="nope")]))
    assert first.status_code == 400
    assert "my_lease.pdf is kept - choose another file to replace it." in first.content.decode() or (
        "is kept - choose another file to replace it." in first.content.decode()
    )
    # Corrected without choosing the file again: the kept file is used.
    second = owner_client.post(url, upload_post(file=None))
    assert second.status_code == 302
    document = Document.objects.get(owner=owner)
    assert document.sha256 == hashlib.sha256(pdf_bytes()).hexdigest()
    assert "is kept" not in owner_client.get(url).content.decode()


def test_a_kept_upload_of_an_abandoned_form_is_deleted_after_the_holding_time(owner_client, settings):
    url = reverse("signing:document-new")
    owner_client.post(url, upload_post(file=pdf_upload("my lease.pdf"), rows=[signer_row(0, email="nope")]))
    _, kept = default_storage.listdir("upload-holding")
    assert len(kept) == 1
    hours = settings.SIGNING_UPLOAD_HOLDING_HOURS

    # Within the holding time it stays, and the form still offers it.
    assert holding_purge_stale(now=timezone.now() + datetime.timedelta(hours=hours - 1)) == 0
    assert "is kept" in owner_client.get(url).content.decode()

    # The person never came back: the file is deleted, and the form simply asks for it again.
    assert holding_purge_stale(now=timezone.now() + datetime.timedelta(hours=hours + 1)) == 1
    assert default_storage.listdir("upload-holding") == ([], [])
    page = owner_client.get(url)
    assert page.status_code == 200
    assert "is kept" not in page.content.decode()


# --- Owner pages ------------------------------------------------------------------------------


def test_document_list_shows_status_and_paginates(owner_client, owner):
    for n in range(21):
        make_document(owner, title=f"Doc {n}")
    first = owner_client.get(reverse("signing:document-list"))
    html = first.content.decode()
    assert html.count('data-testid="document-status"') == 20
    assert "Waiting for signatures" in html
    assert "Page 1 of 2" in html
    second = owner_client.get(reverse("signing:document-list") + "?page=2")
    assert second.content.decode().count('data-testid="document-status"') == 1


def test_document_page_shows_signers_purposes_and_timeline(owner_client, owner):
    document = make_document(owner)
    response = owner_client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert 'data-testid="signing-status"' in html
    assert "Waiting for signatures" in html
    assert 'data-testid="signer-status-1"' in html
    assert "Acknowledgement" in html
    assert "Document uploaded" in html
    assert LT_CODE not in html


def test_live_status_json(owner_client, owner):
    document = make_document(owner)
    signer = document.signers.get()
    url = reverse("signing:document-status", kwargs={"uuid": document.uuid})
    data = owner_client.get(url).json()
    assert (data["status"], data["final"]) == ("pending", False)
    assert data["signers"] == [
        {
            "uuid": str(signer.uuid),
            "name": "Mobile Tester",
            "status": "pending",
            "status_label": "Waiting",
            "on_turn": True,
            # Everyone at once: nobody moves.
            "can_earlier": False,
            "can_later": False,
            "signed_at": None,
            "decline_text": "",
        }
    ]
    signer.status = Signer.Status.SIGNED
    signer.save()
    assert owner_client.get(url).json()["signers"][0]["status_label"] == "Signed"


def test_original_download_headers(owner_client, owner):
    """T12: a good PDF downloads as an attachment with nosniff."""
    document = make_document(owner)
    document.original_filename = "Sutartis ąčę.pdf"
    document.save()
    response = owner_client.get(reverse("signing:document-download", kwargs={"uuid": document.uuid}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_tampered_original_is_not_served(owner_client, owner):
    """T13: changed stored bytes are never served to the owner."""
    document = make_document(owner)
    with document.file.open("wb") as handle:
        handle.write(b"%PDF-1.4 swapped")
    response = owner_client.get(reverse("signing:document-download", kwargs={"uuid": document.uuid}))
    assert response.status_code == 409
    assert b"swapped" not in response.content


def test_signed_download(owner_client, owner):
    document = make_document(owner, status=Signing.Status.COMPLETED)
    signing = document.signings.get()
    signed = pdf_bytes() + b"%signed"
    signing.signed_file.save("signed.pdf", ContentFile(signed))
    signing.signed_sha256 = hashlib.sha256(signed).hexdigest()
    signing.save()
    response = owner_client.get(reverse("signing:signed-download", kwargs={"uuid": document.uuid}))
    assert b"".join(response.streaming_content) == signed
    assert "attachment;" in response["Content-Disposition"]
    assert "-signed.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_signed_download_before_completion_is_404(owner_client, owner):
    document = make_document(owner)
    assert owner_client.get(reverse("signing:signed-download", kwargs={"uuid": document.uuid})).status_code == 404


def test_resend_and_remove_and_cancel(owner_client, owner, gateway, mailoutbox):
    document = make_document(owner)
    signing = document.signings.get()
    signer = document.signers.get()
    kwargs = {"uuid": document.uuid, "signer_uuid": signer.uuid}

    gateway.add(
        responses.POST, f"{GATEWAY}/api/signing/{signing.dokobit_token}/removesigner.json", json={"status": "ok"}
    )
    response = owner_client.post(reverse("signing:signer-remove", kwargs=kwargs), follow=True)
    assert "The signer was removed." in response.content.decode()
    signer.refresh_from_db()
    assert signer.status == Signer.Status.REMOVED

    gateway.add(
        responses.POST,
        f"{GATEWAY}/api/signing/{signing.dokobit_token}/delete.json",
        json=load_fixture("gateway_signing_delete_ok"),
    )
    response = owner_client.post(reverse("signing:signing-cancel", kwargs={"uuid": document.uuid}), follow=True)
    assert "The signing was cancelled." in response.content.decode()
    signing.refresh_from_db()
    assert signing.status == Signing.Status.CANCELLED
    assert SigningEvent.objects.filter(document=document, kind=SigningEvent.Kind.CANCELLED).exists()


def test_resend_on_a_finished_signing_shows_a_message(owner_client, owner):
    document = make_document(owner, status=Signing.Status.CANCELLED)
    signer = document.signers.get()
    url = reverse("signing:signer-resend", kwargs={"uuid": document.uuid, "signer_uuid": signer.uuid})
    response = owner_client.post(url, follow=True)
    assert response.status_code == 200
    assert "An invitation can only be re-sent to a signer who has not signed yet." in response.content.decode()


def test_add_signer_refuses_a_duplicate_next_to_the_field(owner_client, owner):
    document = make_document(owner)
    data = {f"add-{k.split('-', 2)[2]}": v for k, v in signer_row(0).items()}
    response = owner_client.post(reverse("signing:signer-add", kwargs={"uuid": document.uuid}), data)
    assert response.status_code == 400
    assert "This person is already a signer of this document." in response.content.decode()
    assert document.signers.count() == 1


def test_actions_need_post(owner_client, owner):
    document = make_document(owner)
    assert owner_client.get(reverse("signing:signing-cancel", kwargs={"uuid": document.uuid})).status_code == 405


# --- Signer pages -----------------------------------------------------------------------------


def test_signer_landing_asks_for_eid_without_showing_the_document(client, owner):
    """T9: the link alone shows no document; its token goes to no other site in a Referer."""
    document = make_document(owner)
    signer = document.signers.get()
    response = client.get(link(signer))
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    assert "data-identity-flow" in html
    assert document.title not in html


def test_matching_eid_shows_document_requester_and_purpose(client, owner, gateway):
    document = make_document(owner)
    signer = document.signers.get()
    result = identify(client, signer, gateway, "identity_status_ok_lt_mobile")
    assert result.json() == {"status": "ok", "redirect": link(signer)}
    response = client.get(link(signer))
    html = response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"
    assert document.title in html
    assert "Olivia Owner" in html
    assert "Acknowledgement" in html
    assert link(signer, "signing:signer-file") in html
    preview = client.get(link(signer, "signing:signer-file"))
    assert b"".join(preview.streaming_content) == pdf_bytes()
    assert preview["Content-Disposition"] == "inline"


def test_wrong_person_gets_the_neutral_page(client, owner, gateway):
    """T9: after proving to be someone else: 403 neutral page, no Dokobit URL."""
    document = make_document(owner)
    signer = document.signers.get()
    identify(client, signer, gateway, "identity_status_ok_ee_mobile")
    for name in ["signing:signer-landing", "signing:signer-file", "signing:signer-sign", "signing:signer-download"]:
        assert_neutral(client.get(link(signer, name)), document)


def test_sign_page_embeds_dokobit_for_the_verified_signer_only(client, owner):
    """T9/T13: Dokobit's page only for the verified signer, with a way back."""
    document = make_document(owner)
    signer = document.signers.get()
    assert_neutral(client.get(link(signer, "signing:signer-sign")), document)
    verify_in_session(client, signer)
    response = client.get(link(signer, "signing:signer-sign"))
    html = response.content.decode()
    assert f"{GATEWAY}/signing/{document.signings.get().dokobit_token}?access_token=" in html
    assert f"{GATEWAY}/js/isign.frame.js" in html
    assert response["Referrer-Policy"] == "same-origin"
    assert link(signer, "signing:signer-sign-cancel") in html  # the Cancel, back to the document


@pytest.mark.parametrize("state", ["removed", "cancelled", "unknown"])
def test_link_is_neutral_when_it_cannot_be_used(client, owner, state):
    """T9: a removed, cancelled or unknown link shows the neutral page (a completed one leads to
    the signed file: test_signer_signed_file)."""
    document = make_document(owner)
    signer = document.signers.get()
    verify_in_session(client, signer)
    url = link(signer)
    if state == "removed":
        signer.status = Signer.Status.REMOVED
        signer.save()
    elif state == "cancelled":
        Signing.objects.filter(document=document).update(status=state)
    else:
        url = reverse("signing:signer-landing", kwargs={"token": "x" * 43})
    assert_neutral(client.get(url), document)


def test_done_page_shows_result_for_the_verified_signer(client, owner, gateway):
    document = make_document(owner)
    signer = document.signers.get()
    verify_in_session(client, signer)
    signing = document.signings.get()
    status = load_fixture("gateway_signing_status_pending")
    status["signers"] = {signer.dokobit_signer_id: {"status": "pending"}}
    gateway.add(responses.GET, f"{GATEWAY}/api/signing/{signing.dokobit_token}/status.json", json=status)
    waiting = client.get(link(signer, "signing:signer-done"))
    assert "Your signature is not recorded yet" in waiting.content.decode()
    signer.status = Signer.Status.SIGNED
    signer.save()
    signed = client.get(link(signer, "signing:signer-done"))
    assert "Thank you, you have signed" in signed.content.decode()
    assert signed["Referrer-Policy"] == "same-origin"


def test_verification_is_remembered_for_that_signer_only(client, owner):
    first = make_document(owner)
    second = make_document(owner, title="Other contract")
    verify_in_session(client, first.signers.get())
    assert first.title in client.get(link(first.signers.get())).content.decode()
    assert "data-identity-flow" in client.get(link(second.signers.get())).content.decode()


# --- T10: every object URL of the namespace refuses another user ------------------------------


def signing_patterns() -> list[URLPattern]:
    resolver = get_resolver()
    namespace = resolver.namespace_dict["signing"][1]
    return [p for p in namespace.url_patterns if isinstance(p, URLPattern) and p.pattern.converters]


def test_every_object_url_is_404_for_another_user(client, owner, make_user, gateway):
    """T10 (signing routes; all apps: tests/security/test_object_access.py)."""
    document = make_document(owner)
    signer = document.signers.get()
    copy = copy_recipient_new(
        document=document, data=CopyRecipientData(name="Cc", email="cc@example.test", language="en")
    )
    copy.save()
    other = make_user(country_code="LV", personal_code="030303-10012", first_name="Other", last_name="Person")
    client.force_login(other)
    values = {
        "uuid": document.uuid,
        "signer_uuid": signer.uuid,
        "copy_uuid": copy.uuid,
        "token": signer.link_token,
        "signing_uuid": document.signings.get().uuid,
        "secret": "wrong",
        "fetch_token": "forged",
        "file_uuid": uuid.uuid4(),
        "index": 0,
    }
    values_for_token = {"copy-landing": copy.link_token, "copy-signed-download": copy.link_token}
    # Anyone holding a link may start an eID check (that is how the signer proves who they are).
    created = load_fixture("identity_create_session")
    gateway.add(responses.POST, f"{IDENTITY}/api/authentication/create", json=created)
    gateway.add(
        responses.GET,
        f"{IDENTITY}/api/authentication/{created['session_token']}/status",
        json=load_fixture("identity_status_ok_lv"),
    )
    asks_for_eid = {("signer-landing", "get"), ("signer-identity-start", "post"), ("signer-identity-complete", "post")}
    patterns = signing_patterns()
    assert {p.name for p in patterns} >= {"document-detail", "signed-download", "signer-landing", "postback"}
    for pattern in patterns:
        kwargs = {k: values[k] for k in pattern.pattern.converters}
        if pattern.name in values_for_token:
            kwargs["token"] = values_for_token[pattern.name]  # a copy link works only once signed
        url = reverse(f"signing:{pattern.name}", kwargs=kwargs)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            body = response.content.decode() if not response.streaming else ""
            assert document.title not in body, url
            if "uuid" in pattern.pattern.converters:
                assert response.status_code in {404, 405}, (url, method, response.status_code)
            elif (pattern.name, method) in asks_for_eid:
                assert response.status_code == 200, (url, method, response.status_code)
            elif "token" in pattern.pattern.converters:
                assert response.status_code in {403, 405}, (url, method, response.status_code)
            else:
                assert response.status_code in {400, 403, 404, 405}, (url, method, response.status_code)
    # Having proven to be someone else, the link now shows the neutral page.
    assert_neutral(client.get(link(signer)), document)
    # Nothing changed for the owner.
    signer.refresh_from_db()
    assert signer.status == Signer.Status.PENDING
    assert document.signings.get().status == Signing.Status.PENDING


def test_anonymous_owner_pages_redirect_to_login(client, owner):
    """T10: an anonymous visitor is sent to log in."""
    document = make_document(owner)
    response = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid}))
    assert response.status_code == 302
    assert reverse("identity:login") in response["Location"]


def test_upload_with_a_deadline_sets_it_to_the_end_of_that_day(owner_client, owner):
    data = upload_post(file=pdf_upload())
    day = timezone.localdate() + datetime.timedelta(days=7)
    data["deadline"] = day.isoformat()
    owner_client.post(reverse("signing:document-new"), data)
    signing = Document.objects.get(owner=owner).signings.get()
    assert timezone.localtime(signing.deadline).date() == day
    page = owner_client.get(reverse("signing:document-detail", kwargs={"uuid": signing.document.uuid}))
    assert 'data-testid="deadline"' in page.content.decode()


def test_a_deadline_in_the_past_is_refused_and_nothing_is_stored(owner_client, owner):
    data = upload_post(file=pdf_upload())
    data["deadline"] = timezone.localdate().isoformat()
    response = owner_client.post(reverse("signing:document-new"), data)
    assert "Choose a day after today." in response.content.decode()
    assert not Document.objects.filter(owner=owner).exists()


def test_the_document_field_is_not_marked_optional(owner_client):
    html = owner_client.get(reverse("signing:document-new")).content.decode()
    document_label = re.search(r'<label for="id_document">(.*?)</label>', html, re.S).group(1)
    assert "optional" not in document_label
    assert re.search(r'<label for="id_deadline">Sign by <span class="optional">', html)


def test_reloading_the_done_page_asks_dokobit_once_per_window(client, owner, gateway, settings):
    """Issue 13 finding 11: 40 reloads of the return page were 40 calls to Dokobit's status API."""
    # One second: the shortest window Redis (the cache in CI) can hold, and a real wait, because
    # a frozen clock does not reach Redis's own expiry.
    settings.SIGNING_RETURN_SYNC_SECONDS = 1
    document = make_document(owner)
    signer = document.signers.get()
    verify_in_session(client, signer)
    signing = document.signings.get()
    status = load_fixture("gateway_signing_status_pending")
    status["signers"] = {signer.dokobit_signer_id: {"status": "pending"}}
    status_url = f"{GATEWAY}/api/signing/{signing.dokobit_token}/status.json"
    gateway.add(responses.GET, status_url, json=status)

    def status_calls() -> int:
        return len([c for c in gateway.calls if c.request.url.startswith(status_url)])

    started = time.monotonic()
    for _ in range(40):
        page = client.get(link(signer, "signing:signer-done"))
        assert "Your signature is not recorded yet" in page.content.decode()
    if time.monotonic() - started < 1:  # the 40 visits fell inside one window (the usual case)
        assert status_calls() == 1
    assert status_calls() <= 1 + int(time.monotonic() - started)

    # Once the window has passed, the next visit asks again.
    before = status_calls()
    time.sleep(1.1)
    client.get(link(signer, "signing:signer-done"))
    assert status_calls() == before + 1


def test_the_done_page_still_answers_without_asking_dokobit_when_the_cache_is_down(client, owner, monkeypatch):
    document = make_document(owner)
    signer = document.signers.get()
    verify_in_session(client, signer)

    def cache_down(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("signing.views.common.cache.add", cache_down)
    syncs = []
    monkeypatch.setattr("signing.views.signer.signing_sync_from_gateway", lambda **kwargs: syncs.append(kwargs))
    for _ in range(5):
        page = client.get(link(signer, "signing:signer-done"))
        assert page.status_code == 200
        assert "Your signature is not recorded yet" in page.content.decode()
    assert syncs == []
