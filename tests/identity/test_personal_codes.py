"""Personal codes at rest: one lookup key per person whatever form the code was written in."""

import pytest

from identity.personal_codes import (
    decrypt_personal_code,
    encrypt_personal_code,
    mask_personal_code,
    personal_code_lookup,
)


@pytest.mark.parametrize(
    ("country", "typed", "reported"),
    [
        ("LV", "03030310012", "030303-10012"),  # owner typed the Latvian code without its dash
        ("lt", " 50001018865 ", "50001018865"),
        ("EE", "60001019906", "60001019906"),
    ],
)
def test_same_person_same_lookup_key(country, typed, reported):
    assert personal_code_lookup(country, typed) == personal_code_lookup(country.upper(), reported)


def test_same_digits_in_another_country_is_another_person():
    """T5: the lookup key includes the country."""
    assert personal_code_lookup("LT", "30303039914") != personal_code_lookup("EE", "30303039914")


def test_lookup_is_keyed(settings):
    before = personal_code_lookup("LT", "50001018865")
    settings.PERSONAL_CODE_HASH_KEY = "another-key"
    assert personal_code_lookup("LT", "50001018865") != before
    assert "50001018865" not in before


def test_encryption_round_trip_and_masking():
    token = encrypt_personal_code("50001018865")
    assert "50001018865" not in token
    assert decrypt_personal_code(token) == "50001018865"
    assert mask_personal_code("50001018865") == "5•••••••865"
