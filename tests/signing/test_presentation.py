"""What the owner and the signers read: one date format, a cancelled signing's signers, the
signer's own language on their pages."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone

from signing.models import Signer, Signing
from signing.selectors import document_status_payload
from signing.signers import SignerData
from tests.factories import SignerDataFactory
from tests.signing.helpers import link, make_document, verify_in_session

pytestmark = pytest.mark.django_db

NUMERIC_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")


def lithuanian_signer() -> list[SignerData]:
    return [SignerDataFactory(language="lt")]


def test_document_pages_write_every_date_the_same_way(client, owner):
    document = make_document(owner)
    client.force_login(owner)
    detail = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    listing = client.get(reverse("signing:document-list")).content.decode()
    created = formats.date_format(timezone.localtime(document.created_at), "DATETIME_FORMAT")

    # The history said 12/06/2026 beside "Dec. 6, 2026" above it.
    assert NUMERIC_DATE.findall(detail) == []
    assert NUMERIC_DATE.findall(listing) == []
    assert detail.count(created) >= 2  # "Uploaded" and the history's first entry
    assert created in listing


def test_signers_of_a_cancelled_signing_are_not_waiting(client, owner):
    document = make_document(owner, status=Signing.Status.CANCELLED)
    client.force_login(owner)
    html = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()

    assert re.search(r'data-testid="signer-status-1" data-signer-status>Not signed \(signing cancelled\)<', html)
    assert ">Waiting<" not in html
    [signer] = document_status_payload(document=document)["signers"]
    assert signer["status_label"] == "Not signed (signing cancelled)"


def test_signers_of_an_open_signing_are_waiting(owner):
    document = make_document(owner)
    [signer] = document_status_payload(document=document)["signers"]
    assert signer["status_label"] == "Waiting"


def test_signer_pages_speak_the_signers_language_not_the_browsers(client, owner):
    document = make_document(owner, signers=lithuanian_signer())
    signer = document.signers.get()

    identify_page = client.get(link(signer), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert '<html lang="lt">' in identify_page.content.decode()
    assert "Patvirtinkite savo tapatybę" in identify_page.content.decode()

    verify_in_session(client, signer)
    document_page = client.get(link(signer), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert '<html lang="lt">' in document_page.content.decode()
    assert document_page["Content-Language"] == "lt"


def test_a_language_the_signer_picks_on_the_page_wins(client, owner):
    document = make_document(owner, signers=lithuanian_signer())
    signer = document.signers.get()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"

    page = client.get(link(signer), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert '<html lang="sv">' in page.content.decode()


# A completed signing's link is usable: it leads to the signed file (after eID), so it is not here.
@pytest.mark.parametrize("state", ["removed", "cancelled"])
def test_unusable_links_answer_like_unknown_ones_in_the_browsers_language(client, owner, state):
    """The neutral page must not tell a real but unusable link from a made-up one by its language."""
    document = make_document(owner, signers=lithuanian_signer())
    signer = document.signers.get()
    if state == "removed":
        Signer.objects.filter(pk=signer.pk).update(status=Signer.Status.REMOVED)
    else:
        Signing.objects.filter(document=document).update(status=state)
    unknown = reverse("signing:signer-landing", kwargs={"token": "not-a-token"})

    for url in (link(signer), unknown):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="et")
        assert page.status_code == 403
        assert '<html lang="et">' in page.content.decode()


def test_the_verified_signer_reads_the_result_in_their_language(client, owner):
    document = make_document(owner, signers=lithuanian_signer(), status=Signing.Status.COMPLETED)
    signer = document.signers.get()
    Signer.objects.filter(pk=signer.pk).update(status=Signer.Status.SIGNED)
    verify_in_session(client, signer)

    page = client.get(link(signer, "signing:signer-done"), HTTP_ACCEPT_LANGUAGE="en")

    assert '<html lang="lt">' in page.content.decode()


def test_upload_form_says_which_language_dokobit_will_use(client, owner):
    client.force_login(owner)
    html = client.get(reverse("signing:document-new")).content.decode()
    assert "Dokobit's signing page has one language for the whole signing: the language most signers chose" in html


def test_the_full_name_is_not_labelled_with_the_word_for_a_first_name(client, owner):
    """ "Name" beside "Surname" in the signer form is the given name ("Vardas"); the column of
    whole names in the signers table and the profile's name are not."""
    document = make_document(owner)
    owner.language = "lt"
    owner.save()
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "lt"

    detail = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    profile = client.get(reverse("identity:profile")).content.decode()
    upload = client.get(reverse("signing:document-new")).content.decode()

    assert '<th scope="col">Vardas</th>' not in detail
    assert "<dt>Vardas</dt>" not in profile
    assert re.search(r'<label for="id_signers-0-first_name">Vardas</label>', upload)
