"""Signing several documents at once from the inbox, against the in-process emulator: Dokobit's
``signing/createbatch`` with each signing's signer token, its sequence page, and the inbox showing
the outcome per document, including a person who cancels half-way and a gateway that fails."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from dokobit_emulator import faults, gateway_views
from signing.documents import document_create
from signing.models import Signer, Signing
from signing.tasks import signing_send_task
from tests.factories import SignerDataFactory
from tests.signing.bad_files import make_pdf
from tests.signing.conftest import EMULATOR, GW
from tests.signing.inbox_people import ALICE_CODE

pytestmark = pytest.mark.django_db


def send(owner, title: str, *, others: int = 0, capture) -> Signer:
    """A document for Alice (and ``others`` more signers) sent to the emulator; Alice's signer."""
    signers = [SignerDataFactory(country_code="LT", personal_code=ALICE_CODE, email="alice@example.test")]
    signers += [
        SignerDataFactory(country_code="EE", personal_code="38001010007", email="erik@example.test")
        for _ in range(others)
    ]
    with capture(execute=False):
        document = document_create(
            owner=owner, uploaded_file=ContentFile(make_pdf(), name="x.pdf"), title=title, signers=signers
        )
    with capture(execute=True):
        signing_send_task.delay(document.signings.get().pk)
    assert document.signings.get().status == Signing.Status.PENDING
    return document.signers.get(country_code="LT")


@pytest.fixture
def two(emulator, owner, django_capture_on_commit_callbacks, monkeypatch):
    # The emulator names its own address in the file URLs it hands out: the configured gateway's.
    monkeypatch.setattr(gateway_views, "gateway_base", lambda request: GW)
    return [
        send(owner, "Lease", capture=django_capture_on_commit_callbacks),
        send(owner, "Annex", others=1, capture=django_capture_on_commit_callbacks),
    ]


def start_batch(client: Client, signers: list[Signer]) -> str:
    """Choose ``signers`` in the inbox and press sign: the emulator's sequence path of the batch."""
    response = client.post("/inbox/sign/", {"signer": [str(s.uuid) for s in signers]})
    assert (response.status_code, response["Location"]) == (302, "/inbox/sign/dokobit/")
    page = client.get("/inbox/sign/dokobit/")
    html = page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    match = re.search(rf'src="{re.escape(GW)}(/signing/sequence/[^"]+)"', html)
    assert match, html
    # The batch's page is a bearer secret: not in the session store in the clear.
    assert match.group(1) not in str(client.session["inbox_batch"])
    return EMULATOR + match.group(1)


def sequence_sign(page_path: str, position: int) -> None:
    response = Client().post(page_path + "/sign", {"position": str(position)})
    assert response.status_code == 200


def test_two_documents_signed_in_one_batch_show_as_signed_in_the_inbox(alice, two, emulator):
    client = Client()
    client.force_login(alice)
    page_path = start_batch(client, two)
    createbatch = [c for c in emulator.calls if "/api/signing/createbatch.json?" in c.request.url]
    assert len(createbatch) == 1
    # Dokobit's page shows the documents; nothing is signed before the person signs there.
    first = Client().get(page_path)
    assert first.content.decode().count('data-testid="dokobit-batch-document"') == 2
    assert all(s.status == Signer.Status.PENDING for s in Signer.objects.filter(pk__in=[x.pk for x in two]))

    sequence_sign(page_path, 0)
    sequence_sign(page_path, 1)
    back = client.get("/inbox/sign/done/", follow=True)
    html = back.content.decode()
    # The postbacks were lost (the emulator fixture drops them): the return asked Dokobit itself.
    assert html.count('data-state="signed"') == 2
    assert "No document is waiting for your signature." in html
    assert {s.status for s in Signer.objects.filter(pk__in=[x.pk for x in two])} == {Signer.Status.SIGNED}
    lease = Signing.objects.get(document=two[0].document)
    assert lease.status == Signing.Status.COMPLETED  # Alice was its only signer
    annex = Signing.objects.get(document=two[1].document)
    assert annex.status == Signing.Status.PARTIALLY_SIGNED  # Erik still has to sign
    # The outcome is shown once; the history keeps both, the completed one with its signed file.
    again = client.get("/inbox/").content.decode()
    assert "batch-outcome" not in again
    history = client.get("/inbox/?tab=history").content.decode()
    assert history.count('data-testid="inbox-row"') == 2
    assert history.count('data-testid="inbox-download-signed"') == 1


def test_a_person_who_cancels_half_way_keeps_the_first_signature_and_the_second_document_waits(alice, two, emulator):
    client = Client()
    client.force_login(alice)
    page_path = start_batch(client, two)
    # The sequence shows the inbox's order (newest first): the annex, then the lease.
    shown = Client().get(page_path).content.decode()
    assert re.search(r'data-testid="dokobit-signing-name" class="name">Annex<', shown)
    sequence_sign(page_path, 0)
    cancelled = Client().post(page_path + "/cancel")
    assert "The documents you signed stay signed" in cancelled.content.decode()
    html = client.get("/inbox/sign/done/", follow=True).content.decode()
    assert html.count('data-state="signed"') == 1
    assert html.count('data-state="pending"') == 1
    annex, lease = two[1], two[0]
    assert Signer.objects.get(pk=annex.pk).status == Signer.Status.SIGNED
    assert Signer.objects.get(pk=lease.pk).status == Signer.Status.PENDING
    # The lease is still there to sign, alone this time.
    waiting = client.get("/inbox/").content.decode()
    assert waiting.count('data-testid="inbox-row"') == 1
    assert ">Lease<" in waiting
    start_batch(client, [lease])


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("500", "The signing service is not reachable right now. Please try again in a few minutes."),
        ("timeout", "The signing service is not reachable right now. Please try again in a few minutes."),
        ("malformed_json", "The signing service"),
        ("html_error", "The signing service"),
    ],
)
def test_a_gateway_that_fails_the_batch_loses_nothing_and_says_so(alice, two, emulator, settings, fault, message):
    settings.DOKOBIT_TIMEOUT = 0.5
    faults.arm("gateway", fault, endpoint="signing.createbatch")
    client = Client()
    client.force_login(alice)
    response = client.post("/inbox/sign/", {"signer": [str(s.uuid) for s in two]}, follow=True)
    html = response.content.decode()
    assert message in html
    assert html.count('data-testid="inbox-row"') == 2
    assert "inbox_batch" not in client.session
    assert {s.status for s in Signer.objects.filter(pk__in=[x.pk for x in two])} == {Signer.Status.PENDING}


def test_a_document_no_longer_signable_is_left_out_of_the_batch(alice, two, emulator):
    Signing.objects.filter(document=two[1].document).update(status=Signing.Status.CANCELLED)
    client = Client()
    client.force_login(alice)
    page_path = start_batch(client, two)
    listed = Client().get(page_path).content.decode()
    assert listed.count('data-testid="dokobit-batch-document"') == 1
    assert client.session["inbox_batch"]["signers"] == [str(two[0].uuid)]
