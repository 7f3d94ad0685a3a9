"""One eID widget configuration: the login pages and the signer's page build it the same way."""

from __future__ import annotations

import json

import pytest

from identity.widget import widget_locale
from tests.signing.helpers import link, make_document

pytestmark = pytest.mark.django_db


def _config(page: str) -> dict:
    return json.loads(page.split('id="identity-gateway-config" type="application/json">')[1].split("</script>")[0])


@pytest.mark.parametrize("language", ["lt", "et", "sv"])
def test_the_login_page_and_the_signer_page_configure_the_widget_alike(client, make_user, language):
    owner = make_user(country_code="EE", personal_code="39912319999", first_name="Olivia", last_name="Owner")
    document = make_document(owner)
    signer = document.signers.get()
    signer.language = language
    signer.save(update_fields=["language"])
    client.cookies["django_language"] = language

    login = _config(client.get("/login/").content.decode())
    signer_page = _config(client.get(link(signer)).content.decode())

    # Only where the calls go and what they carry differ; locale, script and texts are one.
    for key in ("locale", "scriptUrl", "messages"):
        assert signer_page[key] == login[key]
    assert login["params"]["purpose"] == "login"
    assert signer_page["params"] == {}
    assert signer_page["createUrl"] != login["createUrl"]


@pytest.mark.parametrize(
    ("language", "locale"),
    [("lt", "lt"), ("lv", "lv"), ("et", "et"), ("is", "is"), ("ru", "ru"), ("lt-LT", "lt"), ("fi", "en"), (None, "en")],
)
def test_every_locale_dokobit_has_is_used_and_others_fall_back_to_english(language, locale):
    assert widget_locale(language) == locale
