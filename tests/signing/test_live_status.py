"""The owner's document page and its live status after a re-upload and at the end (issue 12, 5 and 8)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from signing.models import Signer, Signing, SigningEvent
from tests.signing.helpers import EE_CODE, LT_CODE, make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user):
    return make_user(country_code="EE", personal_code="39912319999", first_name="Olivia", last_name="Owner")


@pytest.fixture
def two_signers(signer_data):
    return [
        signer_data(0, personal_code=LT_CODE, country_code="LT", first_name="Lina"),
        signer_data(1, personal_code=EE_CODE, country_code="EE", first_name="Eva"),
    ]


def reuploaded_after_first_signature(document) -> Signing:
    """As signing.retention leaves it: the first signer signed the old copy, the other moved on."""
    old = document.signings.get()
    first, second = document.signers.order_by("position")
    Signer.objects.filter(pk=first.pk).update(status=Signer.Status.SIGNED, signed_at=timezone.now())
    Signing.objects.filter(pk=old.pk).update(status=Signing.Status.REPLACED)
    new = Signing.objects.create(
        document=document, status=Signing.Status.PENDING, previous=old, dokobit_token="renewed-token"
    )
    Signer.objects.filter(pk=second.pk).update(signing=new)
    return new


def test_after_a_reupload_the_owner_sees_partly_signed(owner_client, owner, two_signers):
    document = make_document(owner, signers=two_signers)
    reuploaded_after_first_signature(document)
    detail = owner_client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    status = detail.split('data-testid="signing-status"', 1)[1].split("</span>", 1)[0]
    assert "Partially signed" in status
    assert "Waiting for signatures" not in detail
    data = owner_client.get(reverse("signing:document-status", kwargs={"uuid": document.uuid})).json()
    assert (data["status"], data["status_label"]) == ("partially_signed", "Partially signed")
    assert [s["status_label"] for s in data["signers"]] == ["Signed", "Waiting"]
    listing = owner_client.get(reverse("signing:document-list")).content.decode()
    assert "Partially signed" in listing
    assert "Waiting for signatures" not in listing


def test_a_new_copy_nobody_signed_yet_is_still_waiting(owner_client, owner, two_signers):
    document = make_document(owner, signers=two_signers)
    data = owner_client.get(reverse("signing:document-status", kwargs={"uuid": document.uuid})).json()
    assert data["status_label"] == "Waiting for signatures"


def test_status_json_says_when_the_actions_end_and_carries_the_history(owner_client, owner, two_signers):
    document = make_document(owner, signers=two_signers)
    url = reverse("signing:document-status", kwargs={"uuid": document.uuid})
    data = owner_client.get(url).json()
    assert (data["actions"], data["open"]) == (True, True)
    assert [item["text"] for item in data["history"]][:1] == ["Document uploaded"]

    signing = document.signings.get()
    Signing.objects.filter(pk=signing.pk).update(status=Signing.Status.COMPLETED, completed_at=timezone.now())
    first = document.signers.order_by("position").first()
    SigningEvent.objects.create(document=document, signing=signing, kind=SigningEvent.Kind.SIGNER_SIGNED, signer=first)
    SigningEvent.objects.create(document=document, signing=signing, kind=SigningEvent.Kind.COMPLETED)
    data = owner_client.get(url).json()
    assert (data["status_label"], data["final"], data["actions"], data["open"]) == ("Signed", True, False, False)
    texts = [item["text"] for item in data["history"]]
    assert texts[-2:] == ["Signer signed: Lina Testnumber", "Signing completed"]
    assert all(item["at"] and item["at_label"] for item in data["history"])


def test_a_reader_without_the_owners_actions_is_never_offered_them(client, owner, make_user, two_signers):
    from django.contrib.auth.models import Permission

    document = make_document(owner, signers=two_signers)
    staff = make_user(country_code="LV", personal_code="32345678901", first_name="Sam", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_document"))
    client.force_login(staff)
    data = client.get(reverse("signing:document-status", kwargs={"uuid": document.uuid})).json()
    assert (data["actions"], data["open"]) == (False, True)


def test_the_live_history_writes_times_as_the_page_does(client, owner, two_signers):
    """Issue 12, 9: the live update rewrote the history as 12/06/2026 beside the page's Dec. 6, 2026."""
    import re

    document = make_document(owner, signers=two_signers)
    client.force_login(owner)
    page = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    rendered = re.findall(r'<time datetime="[^"]+">([^<]+)</time>', page[page.index('data-testid="timeline"') :])
    live = client.get(reverse("signing:document-status", kwargs={"uuid": document.uuid})).json()["history"]
    assert rendered
    assert [entry["at_label"] for entry in live] == rendered
