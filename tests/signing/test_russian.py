"""Russian, the tenth language: the pickers, the validation messages, the e-mails, the eID widget
and the emulator's signing page follow it (issue 16)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from dokobit_emulator.models.gateway import GatewaySigning
from identity.validators import validate_personal_code
from identity.widget import widget_locale
from signing.emails import signer_invitation_message
from signing.models import Signer
from tests.signing.helpers import signer_row, upload_post

pytestmark = pytest.mark.django_db


def test_the_upload_form_in_russian_names_countries_languages_and_choices_in_russian(client, owner):
    client.force_login(owner)
    client.cookies["django_language"] = "ru"

    html = client.get(reverse("signing:document-new")).content.decode()

    assert '<html lang="ru">' in html
    for text in ("Литва", "Латвия", "Исландия", "Русский", "Язык", "Персональный код", "Завершить подписание"):
        assert text in html, text


def test_a_wrong_personal_code_is_explained_in_russian(client, owner):
    client.force_login(owner)
    client.cookies["django_language"] = "ru"
    data = upload_post(rows=[signer_row(0, personal_code="50001018866")])

    page = client.post(reverse("signing:document-new"), data)

    assert page.status_code == 400
    assert "контрольная цифра" in page.content.decode()
    with translation.override("ru"), pytest.raises(ValidationError, match="11 цифр"):
        validate_personal_code("LT", "123")


def test_a_russian_speaking_signers_invitation_is_in_russian(make_document, signer_data):
    document = make_document(signers=[signer_data(0, language="ru")])
    signer = document.signers.get()

    message = signer_invitation_message(signer=signer)

    assert message.subject == "Owner Person просит вас подписать «Lease agreement»"
    assert "Здравствуйте, Signer0 Testnumber!" in message.body
    assert "Прочитать и подписать документ" in message.alternatives[0][0]
    assert not mail.outbox  # built, not sent


def test_the_eid_widget_and_dokobits_signing_page_speak_russian(sent):
    assert widget_locale("ru") == "ru"
    gateway_signing = GatewaySigning.objects.get(token=sent.dokobit_token)
    gateway_signing.language = "ru"
    gateway_signing.save(update_fields=["language"])
    signer = Signer.objects.get(signing=sent, dokobit_signer_id="signer2")

    from django.test import Client

    page = Client().get(
        reverse("dokobit_emulator:gateway-signing-page", args=[sent.dokobit_token])
        + f"?access_token={signer.dokobit_token}"
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert 'lang="ru"' in html
    assert "Подписать" in html
