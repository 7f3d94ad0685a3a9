"""Upload and signer forms: every check the upload page promises, with the message next to its field."""

from __future__ import annotations

import pytest

from signing.forms import DocumentUploadForm, SignerAddForm, SignerFormSet
from tests.signing.helpers import EE_CODE, LT_CODE, formset_data, pdf_upload, signer_row


def test_pdf_with_title_is_valid():
    form = DocumentUploadForm({"title": "Contract"}, {"document": pdf_upload()})
    assert form.is_valid(), form.errors


def test_file_is_required_without_a_held_upload():
    form = DocumentUploadForm({"title": "Contract"}, {})
    assert not form.is_valid()
    assert form.errors["document"] == ["Choose a PDF document to upload."]


def test_not_a_pdf_is_refused_by_content_even_with_a_pdf_name():
    form = DocumentUploadForm({"title": "x"}, {"document": pdf_upload("evil.pdf", b"<html><script>1</script></html>")})
    assert not form.is_valid()
    assert form.errors["document"]


def test_file_over_the_size_limit_is_refused(settings):
    settings.SIGNING_MAX_UPLOAD_BYTES = 100
    form = DocumentUploadForm({"title": "x"}, {"document": pdf_upload()})
    assert not form.is_valid()
    assert "too large" in form.errors["document"][0]


def test_valid_signer_row():
    formset = SignerFormSet(formset_data(signer_row(0)), prefix="signers")
    assert formset.is_valid(), formset.errors
    [data] = formset.signer_data()
    assert (data.country_code, data.personal_code, data.signing_purpose) == ("LT", LT_CODE, "signature")


def test_personal_code_must_be_valid_for_its_country():
    formset = SignerFormSet(formset_data(signer_row(0, personal_code="12345")), prefix="signers")
    assert not formset.is_valid()
    assert formset.forms[0].errors["personal_code"]


def test_at_least_one_signer():
    formset = SignerFormSet(formset_data(), prefix="signers")
    assert not formset.is_valid()
    assert "Add at least one signer." in formset.non_form_errors()


def test_same_person_twice_is_refused_on_the_second_row():
    formset = SignerFormSet(
        formset_data(signer_row(0), signer_row(1, first_name="Other", email="other@example.test")),
        prefix="signers",
    )
    assert not formset.is_valid()
    assert not formset.forms[0].errors
    assert formset.forms[1].errors["personal_code"] == ["This person is already a signer of this document."]


def test_same_code_in_another_country_is_another_person():
    formset = SignerFormSet(
        formset_data(signer_row(0), signer_row(1, country_code="EE", personal_code=EE_CODE)), prefix="signers"
    )
    assert formset.is_valid(), formset.errors


def test_signer_limit(settings):
    settings.SIGNING_MAX_SIGNERS = 1
    formset = SignerFormSet(
        formset_data(signer_row(0), signer_row(1, country_code="EE", personal_code=EE_CODE)), prefix="signers"
    )
    assert not formset.is_valid()
    assert "At most 1 signer is allowed." in formset.non_form_errors()


@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "personal_code"])
def test_required_signer_fields(field):
    formset = SignerFormSet(formset_data(signer_row(0, **{field: ""})), prefix="signers")
    assert not formset.is_valid()
    assert formset.forms[0].errors[field]


def test_add_form_refuses_a_person_already_on_the_document():
    from identity.personal_codes import personal_code_lookup

    data = {k.replace("signers-0-", ""): v for k, v in signer_row(0).items()}
    form = SignerAddForm(data, existing_keys={personal_code_lookup("LT", LT_CODE)})
    assert not form.is_valid()
    assert form.errors["personal_code"] == ["This person is already a signer of this document."]


# --- Limits of what Dokobit and the database accept (issue 13, finding 6) ---------------------


def signer_form_errors(**overrides) -> dict:
    formset = SignerFormSet(formset_data(signer_row(0, **overrides)), prefix="signers")
    formset.is_valid()
    return formset.forms[0].errors


def test_an_email_longer_than_the_database_column_is_refused_by_the_form():
    # 64-character local part and a long domain: a syntactically valid address of 255 characters.
    long_address = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example.test"
    assert len(long_address) > 254
    errors = signer_form_errors(email=long_address)
    assert "email" in errors


def test_an_email_of_254_characters_is_accepted():
    address = "a" * 64 + "@" + ".".join(["b" * 59] * 3) + "." + "c" * (254 - 64 - 1 - 3 * 59 - 3)
    assert len(address) == 254
    assert "email" not in signer_form_errors(email=address)


@pytest.mark.parametrize(
    "code",
    [
        "٣٠٣٠٣٠٣٩٩١٤",  # Arabic-Indic digits
        "३०३०३०३९९१४",  # Devanagari digits
        "3030303991４".replace("４", "\u0664"),  # one Arabic-Indic four among ASCII digits
    ],
)
def test_personal_codes_in_other_scripts_digits_are_refused(code):
    errors = signer_form_errors(personal_code=code)
    assert "right form" in str(errors["personal_code"])


def test_full_width_digits_are_stored_as_the_ascii_code():
    formset = SignerFormSet(formset_data(signer_row(0, personal_code="３０３０３０３９９１４")), prefix="signers")
    assert formset.is_valid(), formset.errors
    assert formset.signer_data()[0].personal_code == "30303039914"


def test_full_width_digits_are_read_as_the_ascii_code_so_duplicates_are_still_found():
    formset = SignerFormSet(
        formset_data(
            signer_row(0, personal_code="30303039914"),
            signer_row(1, personal_code="３０３０３０３９９１４", email="other@example.test"),
        ),
        prefix="signers",
    )
    assert not formset.is_valid()
    assert "already a signer" in str(formset.forms[1].errors["personal_code"])


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+37060000666", "+37060000666"),
        ("+370 600 00666", "+37060000666"),
        ("00372 5123 4567", "+37251234567"),
        ("+358 40 1234567", "+358401234567"),
        ("", ""),
    ],
)
def test_mobile_id_phones_are_accepted_in_the_form_dokobit_takes(typed, stored):
    formset = SignerFormSet(formset_data(signer_row(0, phone=typed)), prefix="signers")
    assert formset.is_valid(), formset.errors
    assert formset.signer_data()[0].phone == stored


@pytest.mark.parametrize("phone", ["060000666", "+4670123456", "+37060000", "call me", "+３７０６０００００６６６x"])
def test_phones_dokobit_would_refuse_get_an_error_next_to_the_phone_field(phone):
    errors = signer_form_errors(phone=phone)
    assert "Mobile-ID phone number" in str(errors["phone"])
