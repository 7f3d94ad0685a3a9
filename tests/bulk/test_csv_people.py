"""Reading the people of a bulk send from CSV: every row checked, each problem at its line and column."""

from __future__ import annotations

import pytest

from bulk.csv_people import people_from_csv
from tests.bulk.helpers import HEADER, csv_bytes, lt_code, person


def read(content: bytes, language: str = "en"):
    return people_from_csv(data=content, default_language=language)


def problems(reading) -> list[tuple[int, str, str]]:
    return [(p.line, p.column, p.message) for p in reading.problems]


def test_a_clean_file_gives_every_person_as_stored():
    reading = read(csv_bytes([person(0), person(1, phone="+370 612 34567", language="")]))
    assert reading.ok
    stored = [
        (p.line, p.first_name, p.country_code, p.personal_code, p.email, p.phone, p.language) for p in reading.people
    ]
    assert stored == [
        (2, "Person0", "LT", lt_code(0), "person0@example.test", "", "lt"),
        # An empty language takes the bulk send's; a phone is kept as Dokobit takes it.
        (3, "Person1", "LT", lt_code(1), "person1@example.test", "+37061234567", "en"),
    ]


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("bom", [False, True])
def test_excel_files_with_semicolons_and_a_byte_order_mark_read_the_same(delimiter, bom):
    reading = read(csv_bytes([person(0), person(1)], delimiter=delimiter, bom=bom))
    assert reading.ok
    assert [p.first_name for p in reading.people] == ["Person0", "Person1"]


def test_a_latvian_code_and_a_lower_case_country_are_normalised():
    reading = read(csv_bytes([person(0, country="lv", **{"personal code": "03030310012"})]))
    assert reading.ok
    assert (reading.people[0].country_code, reading.people[0].personal_code) == ("LV", "030303-10012")


def test_a_bad_country_is_reported_at_its_line_and_column():
    reading = read(csv_bytes([person(0), person(1, country="DE")]))
    assert not reading.ok
    assert reading.people == []
    assert problems(reading) == [
        (3, "Country", "Use a country code: one of LT, LV, EE, FI, SE, NO, DK, IS."),
    ]


def test_an_invalid_personal_code_is_reported_with_the_validators_reason():
    wrong_checksum = lt_code(0)[:-1] + str((int(lt_code(0)[-1]) + 1) % 10)
    reading = read(csv_bytes([person(0, **{"personal code": wrong_checksum}), person(1, **{"personal code": "12"})]))
    assert [(line, column) for line, column, _ in problems(reading)] == [(2, "Personal code"), (3, "Personal code")]
    assert "check digit" in problems(reading)[0][2].lower() or "checksum" in problems(reading)[0][2].lower()


def test_a_missing_and_a_malformed_email_are_reported():
    reading = read(csv_bytes([person(0, **{"e-mail": ""}), person(1, **{"e-mail": "not-an-address"})]))
    assert problems(reading) == [
        (2, "E-mail", "Enter an e-mail address."),
        (3, "E-mail", "Enter a valid e-mail address."),
    ]


def test_the_same_person_twice_is_reported_on_the_second_line():
    reading = read(csv_bytes([person(0), person(1), person(2, **{"personal code": lt_code(0)})]))
    assert problems(reading) == [(4, "Personal code", "The same person is already on line 2.")]


def test_every_problem_of_every_row_is_reported_at_once():
    reading = read(csv_bytes([person(0, name="", phone="12345"), person(1, language="xx")]))
    assert [(line, column) for line, column, _ in problems(reading)] == [(2, "Name"), (2, "Phone"), (3, "Language")]


def test_a_file_not_in_utf8_is_refused_with_how_to_save_it():
    reading = read(csv_bytes([person(0, name="Jūratė", surname="Ąžuolaitė")], encoding="cp1257"))
    assert not reading.ok
    assert problems(reading) == [
        (0, "", "The file is not in UTF-8. In Excel, save it as “CSV UTF-8 (comma delimited)” and upload it again.")
    ]


def test_names_in_utf8_keep_their_letters():
    reading = read(csv_bytes([person(0, name="Jūratė", surname="Ąžuolaitė")], bom=True))
    assert (reading.people[0].first_name, reading.people[0].last_name) == ("Jūratė", "Ąžuolaitė")


def test_too_many_rows_are_refused_before_any_is_checked(settings):
    settings.BULK_MAX_ROWS = 3
    reading = read(csv_bytes([person(n) for n in range(4)]))
    assert problems(reading) == [(0, "", "The file has 4 people; at most 3 people can be sent to at once.")]
    assert read(csv_bytes([person(n) for n in range(3)])).ok


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.BULK_MAX_CSV_BYTES = 1024
    reading = read(csv_bytes([person(n) for n in range(40)]))
    assert problems(reading) == [(0, "", "The CSV file is too large: at most 1 KB is allowed.")]


def test_a_header_without_a_required_column_names_what_is_missing():
    content = ",".join(h for h in HEADER if h != "e-mail").encode() + b"\r\nA,B,LT,38001010009,,lt\r\n"
    (problem,) = problems(read(content))
    assert problem[0] == 0
    assert "E-mail" in problem[2]


@pytest.mark.parametrize(
    "content",
    [b"", b"\r\n\r\n", ",".join(HEADER).encode() + b"\r\n", b"%PDF-1.4\x00\x00binary"],
    ids=["empty", "blank-lines", "header-only", "binary"],
)
def test_an_empty_or_binary_file_is_refused(content):
    reading = read(content)
    assert not reading.ok
    assert len(reading.problems) == 1
    assert reading.problems[0].line == 0


def test_a_row_longer_than_the_header_is_reported():
    reading = read(csv_bytes([[*person(0), "surplus"]]))
    assert problems(reading) == [(2, "", "This row has more fields than the header row.")]


def test_columns_are_named_in_the_readers_language():
    from django.utils import translation

    # The column names are the upload form's labels, which the catalogue already has in Lithuanian.
    with translation.override("lt"):
        reading = read(csv_bytes([person(0, **{"e-mail": ""})]))
    (problem,) = reading.problems
    assert (problem.line, problem.column) == (2, "El. paštas")


@pytest.mark.parametrize(
    "header",
    [
        "Vardas;Pavardė;Šalis;Asmens kodas;El. paštas;Telefonas;Kalba",
        "Förnamn;Efternamn;Land;Personnummer;E-post;Telefon;Språk",
        "Etunimi;Sukunimi;Maa;Henkilötunnus;Sähköposti;Puhelin;Kieli",
    ],
    ids=["lt", "sv", "fi"],
)
def test_a_header_in_the_owners_language_is_understood(header):
    content = ("\ufeff" + header + "\r\n" + ";".join(person(0)) + "\r\n").encode()
    reading = read(content)
    assert reading.ok, reading.problems
    assert (reading.people[0].first_name, reading.people[0].personal_code) == ("Person0", lt_code(0))
