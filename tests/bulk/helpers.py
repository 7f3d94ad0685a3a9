"""People for bulk sends: valid Lithuanian personal codes made up by the dozen, and CSV files of them."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.signing.helpers import pdf_bytes, pdf_upload

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


def bulk_objects_of(user, *, organisation=None, label: str = "Alice"):
    """A template of ``user`` and a bulk send of theirs that went out to one person (rows still waiting:
    the row tasks are queued on commit). In ``organisation`` when given, as if made working there."""
    from django.core.files.base import ContentFile

    from bulk.csv_people import people_from_csv
    from bulk.sends import bulk_draft_create, bulk_start
    from bulk.signing_templates import RoleData, template_create
    from tests.signing.helpers import pdf_bytes

    template = template_create(
        owner=user,
        organisation=organisation,
        name=f"{label} template of secrets",
        title_pattern=f"{label} terms {{name}}",
        language="en",
        deadline_days=None,
        reminders=True,
        roles=[RoleData(name="Employee", order=1, signing_purpose="signature")],
        document=None,
    )
    bulk = bulk_draft_create(
        owner=user,
        organisation=organisation,
        document=ContentFile(pdf_bytes(), name="alice.pdf"),
        template=None,
        title_pattern=f"{label} bulk of secrets",
        signing_purpose="signature",
        language="en",
        deadline=None,
    )
    reading = people_from_csv(data=csv_bytes([person(0)]), default_language="en")
    bulk_start(bulk=bulk, people=reading.people, csv_filename="alice.csv")
    return template, bulk


def new_bulk_post(csv: bytes, **changes):
    data = {
        "document": pdf_upload("terms.pdf"),
        "title": "Employment terms {name} {surname}",
        "signing_purpose": "acknowledgement",
        "language": "en",
        "deadline": "",
        "template": "",
        "people": csv_upload(csv),
    }
    data.update(changes)
    return data


def template_post(**changes):
    data = {
        "name": "Employment terms",
        "title_pattern": "Employment terms {name} {surname}",
        "language": "lt",
        "deadline_days": "14",
        "reminders": "on",
        "roles-TOTAL_FORMS": "3",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "10",
        "roles-0-name": "HR manager",
        "roles-0-order": "2",
        "roles-0-signing_purpose": "visa",
        "roles-1-name": "Employee",
        "roles-1-order": "1",
        "roles-1-signing_purpose": "signature",
        # An unused row as the page sends it: the defaults untouched.
        "roles-2-name": "",
        "roles-2-order": "1",
        "roles-2-signing_purpose": "signature",
    }
    data.update(changes)
    return data


def person_post(number: int, *, name: str, code: str, country: str, email: str) -> dict[str, str]:
    prefix = f"role-{number}-"
    return {
        f"{prefix}first_name": name,
        f"{prefix}last_name": "Testnumber",
        f"{prefix}country_code": country,
        f"{prefix}personal_code": code,
        f"{prefix}email": email,
        f"{prefix}phone": "",
    }


def bulk_draft(owner, *, organisation=None, title_pattern: str = "Terms {name}"):
    """A bulk send's draft of ``owner`` (in ``organisation``'s space if given): one PDF, no template."""
    from django.core.files.base import ContentFile

    from bulk.sends import bulk_draft_create

    return bulk_draft_create(
        owner=owner,
        organisation=organisation,
        document=ContentFile(pdf_bytes(), name="terms.pdf"),
        template=None,
        title_pattern=title_pattern,
        signing_purpose="signature",
        language="en",
        deadline=None,
    )


def started_bulk(owner, capture, *, count: int, run: bool = True):
    """A bulk send of ``owner`` started with ``count`` people; its row tasks run at once unless ``run`` is False."""
    from bulk.csv_people import people_from_csv
    from bulk.sends import bulk_start

    bulk = bulk_draft(owner)
    reading = people_from_csv(data=csv_bytes([person(n) for n in range(count)]), default_language="en")
    with capture(execute=run):
        assert bulk_start(bulk=bulk, people=reading.people, csv_filename="people.csv")
    # A second start (a double submit) adds nothing.
    with capture(execute=run):
        assert not bulk_start(bulk=bulk, people=reading.people, csv_filename="people.csv")
    assert bulk.rows.count() == count
    return bulk
