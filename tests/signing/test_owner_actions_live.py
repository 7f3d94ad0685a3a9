"""The owner's and the admin's actions against the emulator served by a live server, as `make run` runs.

With SQLite and the emulator in the same process, a Dokobit call made while the portal held its
own write transaction could never succeed: the emulator's write waited for the portal's lock
until one of them gave up, and the owner read "Dokobit could not be reached". These tests go
through the real HTTP stack (portal view -> emulator over HTTP -> emulator's database) and
assert what the owner sees and what is stored.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from signing.models import Signer, Signing, SigningEvent
from tests.signing.conftest import upload_document

pytestmark = pytest.mark.django_db(transaction=True)

# What the owner read before: the view's and the admin's words for a failed Dokobit call.
NOT_REACHABLE = ("could not be reached", "not reachable")


def unreachable(response) -> bool:
    return any(words in text for text in shown(response) for words in NOT_REACHABLE)


@pytest.fixture
def emulator_live(live_server, settings):
    """The portal and Dokobit's emulated gateway both served by the live server."""
    base = live_server.url
    settings.PORTAL_BASE_URL = base
    settings.PORTAL_ORIGIN = base
    settings.DOKOBIT_GATEWAY_URL = f"{base}/dokobit-emulator/gateway"
    settings.DOKOBIT_GATEWAY_TOKEN = settings.DOKOBIT_EMULATOR_GATEWAY_TOKEN
    # Shorter than the database's own lock wait, so a call made under a lock fails fast here too.
    settings.DOKOBIT_TIMEOUT = 3.0
    return live_server


@pytest.fixture
def owner(make_user):
    return make_user(country_code="LT", personal_code="50001018865", first_name="Owner", last_name="Person")


@pytest.fixture
def live_document(owner, emulator_live):
    """A document sent to the emulator (eager task on commit), waiting for its signer."""
    document = upload_document(owner, title="Live lease")
    signing = document.signings.get()
    assert signing.status == Signing.Status.PENDING, signing.attention_reason
    return document


def shown(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_owner_adds_removes_and_cancels_against_the_emulator(client, owner, live_document):
    client.force_login(owner)
    add = client.post(
        reverse("signing:signer-add", kwargs={"uuid": live_document.uuid}),
        {
            "add-first_name": "Second",
            "add-last_name": "Signer",
            "add-country_code": "EE",
            "add-personal_code": "60001019906",
            "add-email": "second@example.test",
            "add-signing_purpose": "signature",
            "add-language": "et",
            "add-phone": "",
        },
    )
    assert not unreachable(add), shown(add)
    assert "The signer was added and invited." in shown(add)
    added = live_document.signers.get(email="second@example.test")
    assert added.status == Signer.Status.PENDING
    assert added.dokobit_token, "the Dokobit signer token of the new signer is kept"

    remove = client.post(
        reverse("signing:signer-remove", kwargs={"uuid": live_document.uuid, "signer_uuid": added.uuid})
    )
    assert not unreachable(remove), shown(remove)
    assert "The signer was removed." in shown(remove)
    added.refresh_from_db()
    assert added.status == Signer.Status.REMOVED

    cancel = client.post(reverse("signing:signing-cancel", kwargs={"uuid": live_document.uuid}))
    assert not unreachable(cancel), shown(cancel)
    assert "The signing was cancelled." in shown(cancel)
    signing = live_document.signings.get()
    assert signing.status == Signing.Status.CANCELLED
    assert SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.CANCELLED, actor=owner).exists()


def test_admin_cancels_against_the_emulator(client, django_user_model, live_document):
    staff = django_user_model.objects.create_superuser(username="staff", password="pw-for-tests")
    client.force_login(staff)
    response = client.post(
        reverse("admin:signing_document_changelist"),
        {"action": "cancel_signing", "_selected_action": [live_document.pk]},
        follow=True,
    )
    assert not unreachable(response), shown(response)
    assert "Done for 1 document(s)." in shown(response)
    signing = live_document.signings.get()
    assert signing.status == Signing.Status.CANCELLED
    assert SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.CANCELLED, actor=staff).exists()
