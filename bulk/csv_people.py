"""The people of a bulk send, read from a CSV file and checked row by row before anything is sent.

The file is what Excel and LibreOffice write: a header row, UTF-8 with or without a byte-order
mark, fields separated by commas or (Nordic and Baltic Excel) semicolons. Every row is checked
with the same validators as the upload form (identity.validators), and every problem is reported
with its line and column, in the reader's language, so the owner fixes the file in one go.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from identity.personal_codes import personal_code_lookup
from identity.validators import COUNTRY_CHOICES, validate_mobile_id_phone, validate_personal_code

# The columns, each with the header names people write for it, in English and in the portal's other
# languages (compared in lower case without spaces, dashes, dots and underscores).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "firstname",
        "givenname",
        "vardas",
        "vārds",
        "eesnimi",
        "etunimi",
        "förnamn",
        "fornavn",
        "fornafn",
        "имя",
    ),
    "surname": (
        "surname",
        "lastname",
        "familyname",
        "pavardė",
        "uzvārds",
        "perekonnanimi",
        "sukunimi",
        "efternamn",
        "etternavn",
        "efternavn",
        "eftirnafn",
        "фамилия",
    ),
    "country": ("country", "countrycode", "šalis", "valsts", "riik", "maa", "land", "страна"),
    "personal_code": (
        "personalcode",
        "code",
        "idcode",
        "nationalid",
        "asmenskodas",
        "personaskods",
        "isikukood",
        "henkilötunnus",
        "personnummer",
        "fødselsnummer",
        "cprnummer",
        "cpr",
        "kennitala",
        "личныйкод",
    ),
    "email": ("email", "emailaddress", "elpaštas", "epasts", "epost", "sähköposti", "netfang", "электроннаяпочта"),
    "phone": ("phone", "phonenumber", "mobile", "telefonas", "tālrunis", "telefon", "puhelin", "sími", "телефон"),
    "language": ("language", "lang", "kalba", "valoda", "keel", "kieli", "språk", "sprog", "tungumál", "язык"),
}
REQUIRED_COLUMNS = ("name", "surname", "country", "personal_code", "email")
NAME_MAX_LENGTH = 150


def column_label(column: str) -> str:
    """A column's name as the forms word it, in the active language."""
    labels = {
        "name": _("Name"),
        "surname": _("Surname"),
        "country": _("Country"),
        "personal_code": _("Personal code"),
        "email": _("E-mail"),
        "phone": _("Phone"),
        "language": _("Language"),
    }
    return labels.get(column, "")


@dataclass(frozen=True)
class CsvPerson:
    """One checked row: the values as the portal stores them."""

    line: int
    first_name: str
    last_name: str
    country_code: str
    personal_code: str
    email: str
    phone: str
    language: str


@dataclass(frozen=True)
class CsvProblem:
    """What is wrong, where: ``line`` 0 and ``column`` "" for the file as a whole."""

    line: int
    column: str
    message: str


@dataclass
class CsvReading:
    people: list[CsvPerson] = field(default_factory=list)
    problems: list[CsvProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.people)


def max_rows() -> int:
    return int(settings.BULK_MAX_ROWS)


def max_csv_bytes() -> int:
    return int(settings.BULK_MAX_CSV_BYTES)


def _file_problem(message: str) -> CsvReading:
    return CsvReading(problems=[CsvProblem(line=0, column="", message=message)])


def _header_key(text: str) -> str:
    return "".join(ch for ch in text.strip().lower() if ch not in " -_.")


def _delimiter(first_line: str) -> str:
    # Excel writes semicolons where the decimal mark is a comma (Nordic and Baltic locales).
    return max((";", ",", "\t"), key=first_line.count) if first_line else ","


def people_from_csv(*, data: bytes, default_language: str) -> CsvReading:
    """Read and check every row; the people only when the whole file is clean (``ok``)."""
    if len(data) > max_csv_bytes():
        kib = max_csv_bytes() // 1024
        return _file_problem(_("The CSV file is too large: at most %(size)s KB is allowed.") % {"size": kib})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _file_problem(
            _("The file is not in UTF-8. In Excel, save it as “CSV UTF-8 (comma delimited)” and upload it again.")
        )
    if "\x00" in text:
        return _file_problem(_("This is not a CSV file. Save the list as CSV and upload it again."))
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(lines[0] if lines else ""))
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error:
        return _file_problem(_("This is not a CSV file. Save the list as CSV and upload it again."))
    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return _file_problem(_("The file is empty. It needs a header row and one row per person."))
    header = rows[0][1]
    columns, reading = _columns(header)
    if reading is not None:
        return reading
    people_rows = rows[1:]
    if not people_rows:
        return _file_problem(_("The file has a header row but nobody in it."))
    if len(people_rows) > max_rows():
        limit = max_rows()
        return _file_problem(
            ngettext(
                "The file has %(count)d people; at most %(limit)d person can be sent to at once.",
                "The file has %(count)d people; at most %(limit)d people can be sent to at once.",
                limit,
            )
            % {"count": len(people_rows), "limit": limit}
        )
    return _rows_checked(people_rows, columns=columns, width=len(header), default_language=default_language)


def _columns(header: list[str]) -> tuple[dict[str, int], CsvReading | None]:
    by_alias = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        column = by_alias.get(_header_key(title))
        if column is not None and column not in columns:
            columns[column] = index
    missing = [column_label(column) for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        expected = ", ".join(column_label(column) for column in COLUMNS)
        message = _("The header row lacks the columns %(missing)s. The columns are: %(expected)s.") % {
            "missing": ", ".join(missing),
            "expected": expected,
        }
        return columns, _file_problem(message)
    return columns, None


def _rows_checked(
    rows: list[tuple[int, list[str]]], *, columns: dict[str, int], width: int, default_language: str
) -> CsvReading:
    reading = CsvReading()
    seen: dict[str, int] = {}
    for line, row in rows:
        values = {column: (row[index].strip() if index < len(row) else "") for column, index in columns.items()}
        problems_before = len(reading.problems)

        def problem(column: str, message: str, line: int = line) -> None:
            reading.problems.append(CsvProblem(line=line, column=column_label(column), message=str(message)))

        if len(row) > width and any(cell.strip() for cell in row[width:]):
            reading.problems.append(
                CsvProblem(line=line, column="", message=_("This row has more fields than the header row."))
            )
        for column in ("name", "surname"):
            if not values[column]:
                problem(column, _("This field is required."))
            elif len(values[column]) > NAME_MAX_LENGTH:
                problem(column, _("At most %(count)d characters.") % {"count": NAME_MAX_LENGTH})
        country = values["country"].upper()
        code = ""
        if country not in dict(COUNTRY_CHOICES):
            countries = ", ".join(code for code, _label in COUNTRY_CHOICES)
            problem("country", _("Use a country code: one of %(countries)s.") % {"countries": countries})
        else:
            try:
                code = validate_personal_code(country, values["personal_code"])
            except ValidationError as err:
                problem("personal_code", err.messages[0])
        email = values["email"]
        if not email:
            problem("email", _("Enter an e-mail address."))
        else:
            try:
                validate_email(email)
            except ValidationError:
                problem("email", _("Enter a valid e-mail address."))
        phone = ""
        try:
            phone = validate_mobile_id_phone(values.get("phone", ""))
        except ValidationError as err:
            problem("phone", err.messages[0])
        language = values.get("language", "").lower() or default_language
        if language not in dict(settings.LANGUAGES):
            languages = ", ".join(code for code, _label in settings.LANGUAGES)
            problem("language", _("Use a language code: one of %(languages)s.") % {"languages": languages})
        if code:
            key = personal_code_lookup(country, code)
            if key in seen:
                problem("personal_code", _("The same person is already on line %(line)d.") % {"line": seen[key]})
            else:
                seen[key] = line
        if len(reading.problems) == problems_before:
            reading.people.append(
                CsvPerson(
                    line=line,
                    first_name=values["name"],
                    last_name=values["surname"],
                    country_code=country,
                    personal_code=code,
                    email=email,
                    phone=phone,
                    language=language,
                )
            )
    if reading.problems:
        reading.people = []
    return reading
