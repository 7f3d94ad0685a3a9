"""T20: names come from the Identity Gateway's status answer only; one with CRLF + ``Bcc:`` and
HTML in it is escaped on every page and breaks no e-mail header, and Dokobit's own test name
``MARY ÄNN O’CONNEŽ-ŠUSLIK TESTNUMBER`` comes out exactly as it is.

The emulator (in the live server) answers the status calls; it offers one extra, hostile test
identity here.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
from email.header import decode_header, make_header

import pytest
from django.core import mail
from django.test import Client

from dokobit_emulator import identity_people
from identity.models import User
from signing.models import Signing
from tests.services.conftest import point_at_live_server, wait_for
from tests.signing.conftest import upload_document

HOSTILE_NAME = "EVIL\r\nBcc: victim@evil.example"
HOSTILE_SURNAME = "<script>alert(1)</script>O'NEIL"
EMULATOR = "/dokobit-emulator/identity/api/emulator"


@pytest.fixture
def emulated(live_server, settings, transactional_db, monkeypatch):
    point_at_live_server(settings, live_server.url)
    hostile = dataclasses.replace(
        identity_people.TEST_IDENTITIES[0], key="hostile", label="Hostile", name=HOSTILE_NAME, surname=HOSTILE_SURNAME
    )
    monkeypatch.setattr(identity_people, "TEST_IDENTITIES", (*identity_people.TEST_IDENTITIES, hostile))
    return live_server


def register_with_emulator(client: Client, identity: str) -> None:
    """The widget's steps: start at the portal, choose and approve at the emulator, complete, details."""
    token = client.post("/identity/session/", {"purpose": "register"}).json()["session_token"]
    start = client.post(f"{EMULATOR}/{token}/start", data=json.dumps({"identity": identity}), content_type="text/plain")
    assert start.status_code == 200, start.content
    finish = client.post(
        f"{EMULATOR}/{token}/finish", data=json.dumps({"outcome": "approve"}), content_type="text/plain"
    )
    assert finish.status_code == 200, finish.content
    completed = client.post("/identity/session/complete/", {"purpose": "register"})
    assert completed.json() == {"status": "ok", "redirect": "/register/details/"}, completed.content


def send_a_document(owner: User) -> Signing:
    signing = upload_document(owner, title="Lease").signings.get()
    assert wait_for(lambda: Signing.objects.get(pk=signing.pk).status == Signing.Status.PENDING, timeout=30)
    return signing


def invitation(signing: Signing) -> email.message.EmailMessage:
    """The one invitation the signing's signer was sent, parsed as a mail client reads it."""
    messages = [m for m in mail.outbox if m.to == [signing.document.signers.get().email]]
    assert len(messages) == 1
    return email.message_from_bytes(messages[0].message().as_bytes(), policy=email.policy.default)


def subject(message: email.message.EmailMessage) -> str:
    """The Subject as a mail client shows it: the raw header's encoded words, decoded."""
    raw = email.message_from_bytes(message.as_bytes(policy=email.policy.compat32))
    return str(make_header(decode_header(raw["Subject"])))


def test_crlf_and_html_in_an_eid_name_are_escaped_and_break_no_header(emulated, mailoutbox):
    client = Client()
    register_with_emulator(client, "hostile")
    details = client.get("/register/details/").content.decode()
    assert "<script>alert(1)</script>" not in details
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in details

    client.post("/register/details/", {"email": "evil@example.test", "language": "en"})
    user = User.objects.get(email="evil@example.test")
    # Stored as the gateway said; escaping is the templates' job and header safety the e-mails'.
    assert (user.first_name, user.last_name) == (HOSTILE_NAME, HOSTILE_SURNAME)
    for path in ("/dashboard/", "/profile/", "/documents/"):
        page = client.get(path).content.decode()
        assert "<script>alert(1)</script>" not in page, path
        assert "&lt;script&gt;" in page, path

    message = invitation(send_a_document(user))
    assert message["Bcc"] is None
    assert "victim@evil.example" not in message["To"]
    assert "\n" not in subject(message)
    assert subject(message).startswith("EVIL Bcc: victim@evil.example <script>")
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    raw = mail.outbox[-1].message().as_bytes()
    assert b"\nBcc:" not in raw


def test_the_dokobit_test_name_renders_exactly(emulated, mailoutbox):
    client = Client()
    register_with_emulator(client, "ee-mobile")
    client.post("/register/details/", {"email": "mary@example.test", "language": "en"})
    user = User.objects.get(email="mary@example.test")
    name = "MARY ÄNN O’CONNEŽ-ŠUSLIK TESTNUMBER"
    assert user.get_full_name() == name
    for path in ("/dashboard/", "/profile/"):
        assert name in client.get(path).content.decode(), path

    message = invitation(send_a_document(user))
    assert subject(message) == f"{name} asks you to sign “Lease”"
    assert f"{name} asks you to sign the document “Lease”" in message.get_body(("plain",)).get_content()
    assert name in message.get_body(("html",)).get_content()
