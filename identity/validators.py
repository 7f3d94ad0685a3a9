"""Input checks for signer details: national personal codes of the eight supported countries.

``validate_personal_code`` returns the code in the one form the portal stores and compares, so a
code typed by a document owner matches the code the eID reports for the same person:

- LT, EE, NO: 11 digits.
- LV: ``DDMMYY-NNNNN`` with the dash (as Dokobit reports it).
- FI: ``DDMMYYCZZZQ`` in upper case.
- SE: 12 digits ``YYYYMMDDNNNC`` (as BankID reports it).
- DK, IS: 10 digits without the dash.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

COUNTRY_CHOICES = [
    ("LT", gettext_lazy("Lithuania")),
    ("LV", gettext_lazy("Latvia")),
    ("EE", gettext_lazy("Estonia")),
    ("FI", gettext_lazy("Finland")),
    ("SE", gettext_lazy("Sweden")),
    ("NO", gettext_lazy("Norway")),
    ("DK", gettext_lazy("Denmark")),
    ("IS", gettext_lazy("Iceland")),
]

_FI_CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_FI_CENTURIES = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}


def validate_personal_code(country_code: str, code: str) -> str:
    """Check a personal code of ``country_code`` and return it normalised.

    Raises ``django.core.exceptions.ValidationError`` with a translated message saying what is
    wrong; its ``code`` is one of ``required``, ``unsupported_country``, ``format``,
    ``invalid_date`` or ``checksum``.
    """
    country = (country_code or "").strip().upper()
    validator = _VALIDATORS.get(country)
    if validator is None:
        raise ValidationError(_("Personal codes from this country are not supported."), code="unsupported_country")
    # People type codes with spaces, in lower case or in full-width digits (an East Asian keyboard);
    # none of that changes the code. NFKC folds full-width digits to ASCII ones.
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", code or "")).upper()
    if not value:
        raise ValidationError(_("Enter a personal code."), code="required")
    return validator(value)


# --- shared checks ----------------------------------------------------------------------------


def _fullmatch(pattern: str, value: str) -> re.Match[str] | None:
    # ASCII only: Python's \d also matches other scripts' digits (Arabic-Indic, Devanagari ...),
    # which would be stored as typed, never match the eID's ASCII code and defeat the duplicate check.
    return re.fullmatch(pattern, value, flags=re.ASCII)


def _format_error(pattern: str) -> ValidationError:
    return ValidationError(
        _("This personal code does not have the right form: expected %(pattern)s."),
        code="format",
        params={"pattern": pattern},
    )


def _checksum_error() -> ValidationError:
    return ValidationError(
        _("This personal code is not valid: its check digit does not match. Please check it for typos."),
        code="checksum",
    )


def _birth_date(year: int, month: int, day: int) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValidationError(
            _("This personal code is not valid: it does not contain a real date of birth."), code="invalid_date"
        ) from None


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(digit) * weight for digit, weight in zip(digits, weights, strict=False))


# --- Estonia and Lithuania: GYYMMDDSSSC ---------------------------------------------------------


def _baltic_check_digit(first_ten: str) -> int:
    # Two-stage mod 11: a remainder of 10 in the first stage moves on to the second weights,
    # and a 10 there becomes 0.
    remainder = _weighted(first_ten, (1, 2, 3, 4, 5, 6, 7, 8, 9, 1)) % 11
    if remainder == 10:
        remainder = _weighted(first_ten, (3, 4, 5, 6, 7, 8, 9, 1, 2, 3)) % 11
        if remainder == 10:
            remainder = 0
    return remainder


def _validate_ee_lt(value: str) -> str:
    if not _fullmatch(r"\d{11}", value) or value[0] not in "123456":
        raise _format_error(_("11 digits, starting with 1 to 6"))
    century = 1800 + (int(value[0]) - 1) // 2 * 100
    _birth_date(century + int(value[1:3]), int(value[3:5]), int(value[5:7]))
    if _baltic_check_digit(value[:10]) != int(value[10]):
        raise _checksum_error()
    return value


# --- Latvia: DDMMYY-CNNNN, or 32NNNN-NNNNN since 2017 -------------------------------------------


def _validate_lv(value: str) -> str:
    match = _fullmatch(r"(\d{6})-?(\d{5})", value)
    if not match:
        raise _format_error("DDMMYY-NNNNN")
    normalised = f"{match[1]}-{match[2]}"
    digits = match[1] + match[2]
    if digits.startswith("32"):
        # Codes issued since July 2017 carry no date of birth and no published check digit.
        return normalised
    if digits[0] not in "0123" or digits[6] not in "012":
        raise _format_error("DDMMYY-NNNNN")
    _birth_date(1800 + int(digits[6]) * 100 + int(digits[4:6]), int(digits[2:4]), int(digits[0:2]))
    check = (1101 - _weighted(digits[:10], (1, 6, 3, 7, 9, 10, 5, 8, 4, 2))) % 11 % 10
    if check != int(digits[10]):
        raise _checksum_error()
    return normalised


# --- Finland: henkilötunnus DDMMYYCZZZQ ---------------------------------------------------------


def _validate_fi(value: str) -> str:
    match = _fullmatch(r"(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-FHJ-NPR-Y])", value)
    if not match:
        raise _format_error("DDMMYYCZZZQ")
    day, month, year, sign, individual, check = match.groups()
    _birth_date(_FI_CENTURIES[sign] + int(year), int(month), int(day))
    if int(individual) < 2:
        raise _format_error("DDMMYYCZZZQ")
    if _FI_CHECK_CHARS[int(day + month + year + individual) % 31] != check:
        raise _checksum_error()
    return value


# --- Sweden: personnummer (and samordningsnummer) -----------------------------------------------


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        number = int(digit)
        if position % 2:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def _validate_se(value: str) -> str:
    match = _fullmatch(r"(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})", value)
    if not match:
        raise _format_error("YYMMDD-NNNN")
    century, year, month, day, separator, tail = match.groups()
    if century and separator == "+":
        raise _format_error("YYMMDD-NNNN")
    # Coordination numbers (samordningsnummer) add 60 to the day.
    birth_day = int(day) - 60 if int(day) > 60 else int(day)
    if century:
        full_year = int(century + year)
        _birth_date(full_year, int(month), birth_day)
    else:
        # A 10-digit code leaves out the century: "-" means younger than 100, "+" 100 or older.
        today = timezone.localdate()
        full_year = today.year - (today.year - int(year)) % 100
        born = _birth_date_lenient(full_year, int(month), birth_day)
        if born > today:
            full_year -= 100
        if separator == "+":
            full_year -= 100
        _birth_date(full_year, int(month), birth_day)
    if not _luhn_ok(year + month + day + tail):
        raise _checksum_error()
    return f"{full_year:04d}{month}{day}{tail}"


def _birth_date_lenient(year: int, month: int, day: int) -> datetime.date:
    # Only for choosing the century: 29 February is checked again against the chosen year.
    return _birth_date(year, month, 28 if (month, day) == (2, 29) else day)


# --- Norway: fødselsnummer and D-nummer DDMMYYIIIKK ---------------------------------------------


def _no_check_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    check = 11 - _weighted(digits, weights) % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def _no_year(two_digits: int, individual: int) -> int | None:
    if individual <= 499:
        return 1900 + two_digits
    if individual <= 749 and two_digits >= 54:
        return 1800 + two_digits
    if two_digits <= 39:
        return 2000 + two_digits
    if individual >= 900:
        return 1900 + two_digits
    return None


def _validate_no(value: str) -> str:
    if not _fullmatch(r"\d{11}", value):
        raise _format_error(_("11 digits"))
    day, month = int(value[0:2]), int(value[2:4])
    if day > 40:
        day -= 40  # D-nummer: the first digit is raised by 4
    year = _no_year(int(value[4:6]), int(value[6:9]))
    if year is None:
        raise _format_error(_("11 digits"))
    _birth_date(year, month, day)
    first = _no_check_digit(value[:9], (3, 7, 6, 1, 8, 9, 4, 5, 2))
    second = _no_check_digit(value[:10], (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))
    if first is None or second is None or first != int(value[9]) or second != int(value[10]):
        raise _checksum_error()
    return value


# --- Denmark: CPR DDMMYY-SSSS -------------------------------------------------------------------


def _validate_dk(value: str) -> str:
    match = _fullmatch(r"(\d{6})-?(\d{4})", value)
    if not match:
        raise _format_error("DDMMYY-NNNN")
    digits = match[1] + match[2]
    two_digits, century_digit = int(digits[4:6]), int(digits[6])
    if century_digit <= 3:
        year = 1900 + two_digits
    elif century_digit in (4, 9):
        year = (2000 if two_digits <= 36 else 1900) + two_digits
    else:
        year = (2000 if two_digits <= 57 else 1800) + two_digits
    # No modulus-11 check: CPR numbers issued since 2007 need not satisfy it.
    _birth_date(year, int(digits[2:4]), int(digits[0:2]))
    return digits


# --- Iceland: kennitala DDMMYY-RRCÖ -------------------------------------------------------------


def _validate_is(value: str) -> str:
    match = _fullmatch(r"(\d{6})-?(\d{4})", value)
    if not match:
        raise _format_error("DDMMYY-NNNN")
    digits = match[1] + match[2]
    century = {"8": 1800, "9": 1900, "0": 2000}.get(digits[9])
    if century is None:
        raise _format_error("DDMMYY-NNNN")
    # Companies add 40 to the day; a person's kennitala has a real day.
    _birth_date(century + int(digits[4:6]), int(digits[2:4]), int(digits[0:2]))
    check = 11 - _weighted(digits[:8], (3, 2, 7, 6, 5, 4, 3, 2)) % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[8]):
        raise _checksum_error()
    return digits


_VALIDATORS: dict[str, Callable[[str], str]] = {
    "EE": _validate_ee_lt,
    "LT": _validate_ee_lt,
    "LV": _validate_lv,
    "FI": _validate_fi,
    "SE": _validate_se,
    "NO": _validate_no,
    "DK": _validate_dk,
    "IS": _validate_is,
}


# --- Mobile-ID phone numbers ---------------------------------------------------------------------

# The numbers Dokobit's gateway takes for Mobile-ID prefill (its SDK's Phone constraint):
# Lithuanian and Estonian mobile numbers and Finnish mobile-certificate numbers, with the "+".
_MOBILE_ID_PHONE = r"\+(3706\d{7}|372\d{7,8}|358(4[0-9]|467|50)\d{4,8})"


def validate_mobile_id_phone(phone: str) -> str:
    """Check an optional Mobile-ID phone number and return it as Dokobit takes it (``+`` and digits).

    Spaces, dashes, dots and brackets people type are dropped, and ``00`` before the country code
    becomes ``+``. An empty value stays empty. Anything else Dokobit would refuse at signing time,
    so it is refused here, where the owner can still correct it.
    """
    value = re.sub(r"[\s().-]", "", unicodedata.normalize("NFKC", phone or ""))
    if not value:
        return ""
    if value.startswith("00"):
        value = "+" + value[2:]
    if not _fullmatch(_MOBILE_ID_PHONE, value):
        raise ValidationError(
            _(
                "Enter a Mobile-ID phone number in international form, for example +37060000666 "
                "(Lithuania, Estonia or Finland), or leave it empty."
            ),
            code="phone",
        )
    return value
