"""The organisation's settings where the portal applies them: reminders, the eID methods offered to
signers, the signer's page and e-mails (logo, colour, sender name), the eID widget's branding."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.core import mail
from django.urls import reverse
from freezegun import freeze_time

from organisations.models import Organisation
from signing import tasks
from signing.emails import signer_invitation_message
from signing.models import Document
from tests.identity.conftest import IDENTITY_BASE, answer_every_create
from tests.organisations.conftest import org_document
from tests.signing.conftest import live_signing, make_document, owner, signer_data  # noqa: F401
from tests.signing.helpers import link
from tests.signing.helpers import make_document as uploaded_document

pytestmark = pytest.mark.django_db


def _organisation(**settings) -> Organisation:
    return Organisation.objects.create(name="Acme UAB", registration_code="1", country_code="LT", **settings)


def test_an_organisation_document_is_reminded_at_the_organisation_cadence(
    live_signing,  # noqa: F811
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SIGNING_REMINDER_AFTER_DAYS = 3
    settings.SIGNING_REMINDER_MAX = 3
    Document.objects.filter(pk=live_signing.document_id).update(organisation=_organisation(reminder_every_days=1))
    invited = live_signing.signers.first().invited_at

    def remind_on(day: float) -> list:
        before = len(mail.outbox)
        with freeze_time(invited + timedelta(days=day)), django_capture_on_commit_callbacks(execute=True):
            tasks.signing_reminders_due_task.delay()
        return mail.outbox[before:]

    assert remind_on(0.9) == []
    assert len(remind_on(1.01)) == 2  # both signers, a day after the invitation, not three
    assert len(remind_on(2.01)) == 2


def test_the_signers_of_an_organisation_are_offered_its_eid_methods(owner, gateway, client):  # noqa: F811
    document = org_document(owner, _organisation(eid_methods=["smartid", "mobile"]), title="Supply")
    answer_every_create(gateway)
    signer = document.signers.first()
    response = client.post(link(signer, "signing:signer-identity-start"))
    assert response.status_code == 200
    create = next(
        call for call in gateway.calls if call.request.url.startswith(f"{IDENTITY_BASE}/api/authentication/create")
    )
    sent = parse_qs(create.request.body)
    assert sent["authentication_methods[]"] == ["smartid", "mobile"]


def test_a_personal_document_offers_every_method(owner, gateway, client):  # noqa: F811
    document = uploaded_document(owner, title="Personal")
    answer_every_create(gateway)
    client.post(link(document.signers.first(), "signing:signer-identity-start"))
    create = gateway.calls[0]
    assert "authentication_methods" not in (create.request.body or "")


def test_the_signer_page_and_widget_carry_the_organisation_brand(owner, client, settings):  # noqa: F811
    organisation = _organisation(primary_colour="#aa3300", sender_name="Acme contracts")
    organisation.logo, organisation.logo_content_type = b"\x89PNG fake", "image/png"
    organisation.save()
    document = org_document(owner, organisation, title="Supply")
    page = client.get(link(document.signers.first()))
    body = page.content.decode()
    assert 'data-testid="org-brand"' in body
    assert "border-top-color: #aa3300" in body
    config = json.loads(body.split('id="identity-gateway-config" type="application/json">')[1].split("</script>")[0])
    assert config["branding"] == {
        "logo": f"{settings.PORTAL_BASE_URL}{reverse('organisations:logo', kwargs={'uuid': organisation.uuid})}",
        "primaryColor": "#aa3300",
    }
    # The invitation e-mail: the organisation's sender name and colour, the creator and the organisation as requester.
    message = signer_invitation_message(signer=document.signers.first())
    assert message.from_email.startswith("Acme contracts <")
    assert "(Acme contracts)" in message.subject
    assert "#aa3300" in message.alternatives[0][0]
