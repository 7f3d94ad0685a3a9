"""Personal code checks for the eight supported countries."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from identity.validators import COUNTRY_CHOICES, validate_personal_code

VALID = [
    # Dokobit sandbox and SK ID Solutions demo identities (Mobile-ID, Smart-ID).
    ("LT", "50001018865", "50001018865"),
    ("EE", "60001019906", "60001019906"),
    ("EE", "51001091072", "51001091072"),
    ("LT", "30303039914", "30303039914"),
    ("EE", "30303039914", "30303039914"),
    ("LT", "10101010005", "10101010005"),
    ("LT", "30303039903", "30303039903"),
    ("LT", "30403039917", "30403039917"),
    ("EE", "30403039983", "30403039983"),
    ("EE", "60001017869", "60001017869"),
    ("EE", "60001019950", "60001019950"),
    ("EE", "60001018800", "60001018800"),
    ("LT", "11412090004", "11412090004"),
    ("LV", "030303-10012", "030303-10012"),
    ("LV", "030403-10016", "030403-10016"),
    ("LV", "030403-10083", "030403-10083"),
    # Spaces, lower case and a missing dash are tidied up.
    ("lt", " 500 010 18865 ", "50001018865"),
    ("LV", "03030310012", "030303-10012"),
    ("LV", "321234-56789", "321234-56789"),  # new format: no date, no check digit
    ("LV", "32123456789", "321234-56789"),
    ("FI", "131052-308T", "131052-308T"),
    ("FI", "131052-308t", "131052-308T"),
    ("FI", "131052+308T", "131052+308T"),  # born 1852: the check character ignores the century
    ("FI", "010594Y9032", "010594Y9032"),  # 2023 century signs
    ("FI", "020502E902X", "020502E902X"),
    ("FI", "010100A123D", "010100A123D"),
    ("SE", "811218-9876", "198112189876"),
    ("SE", "8112189876", "198112189876"),
    ("SE", "19811218-9876", "198112189876"),
    ("SE", "198112189876", "198112189876"),
    ("SE", "121212+1212", "191212121212"),  # "+" marks someone 100 or older
    ("SE", "701063-2391", "197010632391"),  # samordningsnummer: day + 60
    ("SE", "20000101-9991", "200001019991"),
    ("NO", "01010750160", "01010750160"),
    ("NO", "15076500565", "15076500565"),
    ("NO", "41010750154", "41010750154"),  # D-nummer
    ("NO", "55076500559", "55076500559"),  # D-nummer
    ("NO", "29020050088", "29020050088"),  # 29 February 2000
    ("DK", "010190-1234", "0101901234"),
    ("DK", "0101901234", "0101901234"),
    ("DK", "290200-4000", "2902004000"),  # century digit 4 with year 00 is 2000, a leap year
    ("IS", "120174-3399", "1201743399"),
    ("IS", "1201743399", "1201743399"),
    ("IS", "010130-2989", "0101302989"),
]


@pytest.mark.parametrize(("country", "code", "normalised"), VALID)
def test_valid_codes_are_accepted_and_normalised(country, code, normalised):
    assert validate_personal_code(country, code) == normalised


INVALID = [
    # Estonia / Lithuania
    ("LT", "50001018866", "checksum"),
    ("EE", "60001019907", "checksum"),
    ("LT", "39912319999", "checksum"),
    ("LT", "50013018865", "invalid_date"),  # month 13
    ("EE", "30002300000", "invalid_date"),  # 30 February
    ("LT", "30102290005", "invalid_date"),  # 29 February 1901
    ("LT", "70001018865", "format"),  # century digit 7
    ("LT", "00001018865", "format"),
    ("LT", "5000101886", "format"),  # 10 digits
    ("LT", "500010188650", "format"),  # 12 digits
    ("EE", "5000101886X", "format"),
    ("EE", "ABCDEFGHIJK", "format"),
    # Latvia
    ("LV", "030303-10013", "checksum"),
    ("LV", "320303-1001", "format"),
    ("LV", "310203-10012", "invalid_date"),  # 31 February
    ("LV", "030303-30012", "format"),  # century digit 3
    ("LV", "430303-10012", "format"),  # not a person's code
    ("LV", "03030-310012", "format"),
    ("LV", "O30303-10012", "format"),  # letter O
    # Finland
    ("FI", "131052-308U", "checksum"),
    ("FI", "311152-308T", "invalid_date"),
    ("FI", "131052Z308T", "format"),  # unknown century sign
    ("FI", "131052-001T", "format"),  # individual numbers start at 002
    ("FI", "131052-308", "format"),
    ("FI", "131052-308G", "format"),  # G is never a check character
    # Sweden
    ("SE", "811218-9875", "checksum"),
    ("SE", "811318-9876", "invalid_date"),
    ("SE", "810229-1234", "invalid_date"),  # 1981 is not a leap year
    ("SE", "19811218+9876", "format"),
    ("SE", "81121-89876", "format"),
    ("SE", "811218-987", "format"),
    ("SE", "81121A-9876", "format"),
    # Norway
    ("NO", "01010750161", "checksum"),
    ("NO", "01010750170", "checksum"),
    ("NO", "32010750160", "invalid_date"),
    ("NO", "0101075016", "format"),
    ("NO", "0101075016A", "format"),
    ("NO", "01014560000", "format"),  # individual 600 with year 45 belongs to no century
    # Denmark
    ("DK", "320190-1234", "invalid_date"),
    ("DK", "290200-1234", "invalid_date"),  # century digit 1 with year 00 is 1900, not a leap year
    ("DK", "011390-1234", "invalid_date"),
    ("DK", "010190-123", "format"),
    ("DK", "010190-12345", "format"),
    ("DK", "01O190-1234", "format"),
    # Iceland
    ("IS", "120174-3389", "checksum"),
    ("IS", "120174-3396", "format"),  # century digit 6
    ("IS", "320174-3399", "invalid_date"),
    ("IS", "520174-3399", "invalid_date"),  # a company's kennitala (day + 40)
    ("IS", "120174-339", "format"),
    ("IS", "12017A-3399", "format"),
]


@pytest.mark.parametrize(("country", "code", "error_code"), INVALID)
def test_invalid_codes_are_refused_with_the_reason(country, code, error_code):
    with pytest.raises(ValidationError) as excinfo:
        validate_personal_code(country, code)
    assert excinfo.value.code == error_code
    message = excinfo.value.messages[0]
    assert message
    # The message explains the problem without echoing the code back.
    assert code not in message


def test_finnish_century_sign_changes_the_date_checked():
    # 29 February 2000 exists, 29 February 1900 does not.
    digits_check = "0123456789ABCDEFHJKLMNPRSTUVWXY"[int("290200" + "123") % 31]
    assert validate_personal_code("FI", f"290200A123{digits_check}") == f"290200A123{digits_check}"
    with pytest.raises(ValidationError) as excinfo:
        validate_personal_code("FI", f"290200-123{digits_check}")
    assert excinfo.value.code == "invalid_date"


@pytest.mark.parametrize("country", ["", "US", "RU", "XX"])
def test_unsupported_country_is_refused(country):
    with pytest.raises(ValidationError) as excinfo:
        validate_personal_code(country, "50001018865")
    assert excinfo.value.code == "unsupported_country"


@pytest.mark.parametrize("code", ["", "   ", None])
def test_empty_code_is_required(code):
    with pytest.raises(ValidationError) as excinfo:
        validate_personal_code("LT", code)
    assert excinfo.value.code == "required"
    assert excinfo.value.messages == ["Enter a personal code."]


def test_format_message_says_what_is_expected():
    with pytest.raises(ValidationError) as excinfo:
        validate_personal_code("LV", "12345")
    assert "DDMMYY-NNNNN" in excinfo.value.messages[0]


def test_messages_go_through_translation(monkeypatch):
    import identity.validators as validators

    monkeypatch.setattr(validators, "_", lambda text: f"«{text}»")
    with pytest.raises(ValidationError) as excinfo:
        validate_personal_code("LT", "50001018866")
    assert excinfo.value.messages[0].startswith("«")


def test_country_choices_cover_the_supported_countries_in_order():
    assert [code for code, _ in COUNTRY_CHOICES] == ["LT", "LV", "EE", "FI", "SE", "NO", "DK", "IS"]
    with translation.override("en"):
        assert dict(COUNTRY_CHOICES)["IS"] == "Iceland"
    for code, _ in COUNTRY_CHOICES:
        validate_personal_code(code, dict((c, v) for c, _, v in VALID)[code])
