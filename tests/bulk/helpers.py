"""People for bulk sends: valid Lithuanian personal codes made up by the dozen, and CSV files of them."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

HEADER = ["name", "surname", "country", "personal code", "e-mail", "phone", "language"]


def lt_code(n: int) -> str:
    """A valid Lithuanian personal code (checksum included) for person number ``n`` (0..9999)."""
    first_ten = f"3{80 + n // 3650 % 20:02d}{1 + n // 300 % 12:02d}{1 + n // 10 % 28:02d}{n % 1000:03d}"
    weights = ((1, 2, 3, 4, 5, 6, 7, 8, 9, 1), (3, 4, 5, 6, 7, 8, 9, 1, 2, 3))
    for row in weights:
        check = sum(int(d) * w for d, w in zip(first_ten, row, strict=True)) % 11
        if check != 10:
            return first_ten + str(check)
    return first_ten + "0"


def person(n: int, **changes: str) -> list[str]:
    values = {
        "name": f"Person{n}",
        "surname": "Testnumber",
        "country": "LT",
        "personal code": lt_code(n),
        "e-mail": f"person{n}@example.test",
        "phone": "",
        "language": "lt",
    }
    values.update(changes)
    return [values[column] for column in HEADER]


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", bom: bool = False, encoding: str = "utf-8") -> bytes:
    lines = [delimiter.join(HEADER), *(delimiter.join(row) for row in rows)]
    text = "\r\n".join(lines) + "\r\n"
    return ("\ufeff" if bom else "").encode(encoding) + text.encode(encoding)


def csv_upload(content: bytes, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def bulk_objects_of(user):
    """A template of ``user`` and a bulk send of theirs that went out to one person."""
    from django.core.files.base import ContentFile

    from bulk.csv_people import people_from_csv
    from bulk.sends import bulk_draft_create, bulk_start
    from bulk.signing_templates import RoleData, template_create
    from tests.signing.helpers import pdf_bytes

    template = template_create(
        owner=user,
        name="Alice template of secrets",
        title_pattern="Alice terms {name}",
        language="en",
        deadline_days=None,
        reminders=True,
        roles=[RoleData(name="Employee", order=1, signing_purpose="signature")],
        document=None,
    )
    bulk = bulk_draft_create(
        owner=user,
        document=ContentFile(pdf_bytes(), name="alice.pdf"),
        template=None,
        title_pattern="Alice bulk of secrets",
        signing_purpose="signature",
        language="en",
        deadline=None,
    )
    reading = people_from_csv(data=csv_bytes([person(0)]), default_language="en")
    bulk_start(bulk=bulk, people=reading.people, csv_filename="alice.csv")
    return template, bulk
