"""A signer's personal link after the signing completed: eID again, then the signed file (issue 12, 2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from identity.accounts import user_delete
from signing.emails import signing_completed_message_for_signer
from signing.models import Signer, Signing
from signing.privacy import finished_documents_purge
from signing.sync import signing_completed_notify
from tests.signing.helpers import (
    SIGNED_BY_EVERYONE as SIGNED,
)
from tests.signing.helpers import (
    assert_neutral,
    complete,
    identify,
    link,
    make_document,
    verify_in_session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user):
    return make_user(country_code="EE", personal_code="39912319999", first_name="Olivia", last_name="Owner")


@pytest.fixture
def completed(owner):
    document = make_document(owner)
    complete(document.signings.get())
    return document


def owner_bytes(client, owner, document) -> bytes:
    client.force_login(owner)
    response = client.get(reverse("signing:signed-download", kwargs={"uuid": document.uuid}))
    data = b"".join(response.streaming_content)
    client.logout()
    return data


def test_the_link_asks_for_eid_again_then_offers_the_owners_signed_file(client, owner, completed, gateway):
    signer = completed.signers.get()
    first = client.get(link(signer))
    html = first.content.decode()
    assert first.status_code == 200
    assert "data-identity-flow" in html
    assert "download the signed file" in html
    assert completed.title not in html  # nothing shown before the eID
    assert_neutral(client.get(link(signer, "signing:signer-signed-download")), completed)

    result = identify(client, signer, gateway, "identity_status_ok_lt_mobile")
    assert result.json() == {"status": "ok", "redirect": link(signer)}
    page = client.get(link(signer))
    html = page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    assert completed.title in html
    assert link(signer, "signing:signer-signed-download") in html

    response = client.get(link(signer, "signing:signer-signed-download"))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert response["Content-Disposition"].startswith("attachment;")
    assert "-signed.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert data == SIGNED
    assert data == owner_bytes(client, owner, completed)


def test_someone_else_with_the_link_gets_no_file(client, owner, completed, gateway):
    signer = completed.signers.get()
    identify(client, signer, gateway, "identity_status_ok_ee_mobile")
    assert_neutral(client.get(link(signer)), completed)
    response = client.get(link(signer, "signing:signer-signed-download"))
    assert_neutral(response, completed)
    assert SIGNED not in response.content


def test_a_verified_signer_of_another_document_gets_no_file(client, owner, completed):
    other = make_document(owner, title="Other contract")
    complete(other.signings.get())
    verify_in_session(client, other.signers.get())
    assert_neutral(client.get(link(completed.signers.get(), "signing:signer-signed-download")), completed)


@pytest.mark.parametrize("state", ["removed", "cancelled"])
def test_removed_signer_or_cancelled_signing_stays_neutral(client, owner, state):
    document = make_document(owner)
    signer = document.signers.get()
    verify_in_session(client, signer)
    if state == "removed":
        complete(document.signings.get())
        Signer.objects.filter(pk=signer.pk).update(status=Signer.Status.REMOVED)
    else:
        Signing.objects.filter(document=document).update(status=Signing.Status.CANCELLED)
    for name in ["signing:signer-landing", "signing:signer-signed-download"]:
        assert_neutral(client.get(link(signer, name)), document)


def test_the_original_and_the_signing_page_stay_closed_after_completion(client, owner, completed):
    signer = completed.signers.get()
    verify_in_session(client, signer)
    for name in ["signing:signer-file", "signing:signer-download", "signing:signer-sign"]:
        assert_neutral(client.get(link(signer, name)), completed)


def test_a_signer_of_an_earlier_copy_downloads_the_final_file(client, owner, signer_data):
    """Signed before a re-upload: their row still points at the replaced signing."""
    from tests.signing.helpers import EE_CODE, LT_CODE

    document = make_document(
        owner,
        signers=[
            signer_data(0, personal_code=LT_CODE, country_code="LT"),
            signer_data(1, personal_code=EE_CODE, country_code="EE"),
        ],
    )
    old = document.signings.get()
    first, second = document.signers.order_by("position")
    Signer.objects.filter(pk=first.pk).update(status=Signer.Status.SIGNED, signed_at=timezone.now())
    Signing.objects.filter(pk=old.pk).update(status=Signing.Status.REPLACED)
    new = Signing.objects.create(document=document, status=Signing.Status.PENDING, previous=old)
    Signer.objects.filter(pk=second.pk).update(signing=new)
    complete(new)

    verify_in_session(client, first)
    page = client.get(link(first))
    assert document.title in page.content.decode()
    response = client.get(link(first, "signing:signer-signed-download"))
    assert b"".join(response.streaming_content) == SIGNED


def test_a_changed_signed_file_is_not_served(client, owner, completed):
    signer = completed.signers.get()
    signing = completed.signings.get()
    with signing.signed_file.open("wb") as handle:
        handle.write(b"%PDF-1.4 swapped")
    verify_in_session(client, signer)
    response = client.get(link(signer, "signing:signer-signed-download"))
    assert response.status_code == 409
    assert b"swapped" not in response.content


def test_after_the_retention_purge_the_link_says_the_file_is_no_longer_kept(client, owner, completed, settings):
    settings.DOCUMENT_RETENTION_DAYS = 30
    signer = completed.signers.get()
    url = link(signer)
    with freeze_time(timezone.now() + timedelta(days=31)):
        assert finished_documents_purge() == 1
    for path in [url, url + "signed/"]:
        response = client.get(path)
        assert response.status_code == 410
        assert "The signed file is no longer kept" in response.content.decode()
        assert completed.title not in response.content.decode()
    # A link that never existed still gets the neutral page.
    assert client.get(reverse("signing:signer-landing", kwargs={"token": "x" * 43})).status_code == 403


def test_after_the_owner_deleted_their_account_the_link_says_so_too(client, owner, completed):
    signer = completed.signers.get()
    url = link(signer)
    user_delete(user=owner)
    response = client.get(url)
    assert response.status_code == 410
    assert "The signed file is no longer kept" in response.content.decode()


def test_completion_email_sends_the_signer_to_their_link_and_says_eid_is_asked(owner, completed):
    signer = completed.signers.get()
    message = signing_completed_message_for_signer(signer=signer)
    assert link(signer) in message.body
    assert "eID" in message.body
    # Nobody declined: the plain good news, no list of who did what.
    assert "Everyone has signed the document" in message.body
    assert "has been signed" in message.subject
    assert "Declined by" not in message.body
    assert signing_completed_notify(signing_id=completed.signings.get().pk) == 2
    assert any(link(signer) in sent.body for sent in mail.outbox if signer.email in sent.to)


def test_the_done_page_of_the_last_signer_offers_the_signed_file(client, owner, completed):
    signer = completed.signers.get()
    verify_in_session(client, signer)
    html = client.get(link(signer, "signing:signer-done")).content.decode()
    assert "Thank you, you have signed" in html
    assert link(signer, "signing:signer-signed-download") in html


def test_after_a_decline_the_signers_page_says_who_signed_and_who_declined_without_the_reason(
    client, owner, signer_data
):
    # The signer pages speak the signer's own language: this one reads English.
    document = make_document(owner, signers=[signer_data(0, language="en"), signer_data(1)])
    signing = document.signings.get()
    stays, declines = document.signers.order_by("position")
    Signer.objects.filter(pk=declines.pk).update(status=Signer.Status.DECLINED, decline_reason="Wrong company name")
    signing.signed_file.save("signed.pdf", ContentFile(SIGNED), save=False)
    signing.status = Signing.Status.COMPLETED
    signing.completed_at = timezone.now()
    signing.save()
    Signer.objects.filter(pk=stays.pk).update(status=Signer.Status.SIGNED, signed_at=timezone.now())

    verify_in_session(client, stays)
    html = client.get(link(stays)).content.decode()
    assert "Everyone has signed" not in html
    assert "not everyone signed it" in html
    assert f"Signed by: {stays}" in html
    assert f"Declined by {declines}" in html
    assert "Wrong company name" not in html
