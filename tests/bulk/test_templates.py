"""Templates over HTTP: saving one with roles in order, using it with only the people (and the document
when it has none), and the title pattern filled in."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from bulk.models import SigningTemplate
from bulk.titles import title_render
from signing.models import Document, Signing
from tests.bulk.helpers import person_post, template_post
from tests.signing.helpers import EE_CODE, LT_CODE, pdf_bytes, pdf_upload

pytestmark = pytest.mark.django_db


def test_a_saved_template_asks_only_for_the_people_and_sends_through_the_upload_path(
    owner_client, owner, emulator, django_capture_on_commit_callbacks, mailoutbox
):
    response = owner_client.post(reverse("bulk:template-new"), template_post(document=pdf_upload("terms.pdf")))
    template = SigningTemplate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("bulk:template-use", kwargs={"uuid": template.uuid})
    assert [(r.name, r.order, r.signing_purpose) for r in template.roles.all()] == [
        ("HR manager", 2, "visa"),
        ("Employee", 1, "signature"),
    ]
    assert (template.language, template.deadline_days, template.reminders) == ("lt", 14, True)
    assert template.file.read() == pdf_bytes()

    page = owner_client.get(response["Location"]).content.decode()
    # In turn order, without a document field, purpose or language fields.
    assert page.index("Employee") < page.index("HR manager")
    assert 'name="document"' not in page
    assert 'name="role-1-signing_purpose"' not in page
    assert 'name="role-1-language"' not in page

    people = {
        **person_post(1, name="Emma", code=LT_CODE, country="LT", email="emma@example.test"),
        **person_post(2, name="Harri", code=EE_CODE, country="EE", email="harri@example.test"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("bulk:template-use", kwargs={"uuid": template.uuid}), people)
    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("signing:document-detail", kwargs={"uuid": document.uuid})
    assert document.title == "Employment terms Emma Testnumber"
    assert document.file.read() == pdf_bytes()
    assert document.file.name != template.file.name
    signers = [
        (s.first_name, s.signing_purpose, s.language, s.position, s.order_group)
        for s in document.signers.order_by("position")
    ]
    # The roles' order numbers: the Employee (1) signs first, the HR manager (2) after.
    assert signers == [("Emma", "signature", "lt", 0, 1), ("Harri", "visa", "lt", 1, 2)]
    assert document.signing_order == "groups"
    signing = document.signings.get()
    assert signing.status == Signing.Status.PENDING
    expected_day = timezone.localdate() + datetime.timedelta(days=14)
    assert timezone.localtime(signing.deadline).date() == expected_day
    # Only the first turn is invited; the HR manager's turn comes when the employee has signed.
    assert [m.to[0] for m in mailoutbox] == ["emma@example.test"]


def test_using_a_template_without_a_document_asks_for_one_and_checks_every_person(owner_client, owner):
    owner_client.post(reverse("bulk:template-new"), template_post())
    template = SigningTemplate.objects.get()
    assert not template.has_fixed_document
    people = {
        **person_post(1, name="Emma", code=LT_CODE, country="LT", email="emma@example.test"),
        **person_post(2, name="Emma again", code=LT_CODE, country="LT", email="other@example.test"),
    }
    response = owner_client.post(reverse("bulk:template-use", kwargs={"uuid": template.uuid}), people)
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html  # the document, which this template does not fix
    assert "This person is already a signer of this document." in html
    assert Document.objects.count() == 0


def test_a_template_needs_a_role_and_known_placeholders(owner_client):
    data = template_post(title_pattern="Terms {first_name}")
    for n in range(3):
        data[f"roles-{n}-name"] = ""
        data[f"roles-{n}-order"] = "1"
        data[f"roles-{n}-signing_purpose"] = "signature"
    response = owner_client.post(reverse("bulk:template-new"), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Unknown placeholder {first_name}. Use {name}, {surname} or {date}." in html
    assert "Add at least one role." in html
    assert SigningTemplate.objects.count() == 0


def test_a_template_refuses_a_file_that_is_not_a_pdf(owner_client):
    response = owner_client.post(
        reverse("bulk:template-new"), template_post(document=pdf_upload("terms.pdf", b"GIF89a not a pdf"))
    )
    assert response.status_code == 400
    assert SigningTemplate.objects.count() == 0


def test_deleting_a_template_removes_its_stored_document(owner_client, django_capture_on_commit_callbacks):
    owner_client.post(reverse("bulk:template-new"), template_post(document=pdf_upload("terms.pdf")))
    template = SigningTemplate.objects.get()
    storage, name = template.file.storage, template.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("bulk:template-delete", kwargs={"uuid": template.uuid}))
    assert response.status_code == 302
    assert SigningTemplate.objects.count() == 0
    assert not storage.exists(name)


@pytest.mark.parametrize(
    ("pattern", "title"),
    [
        ("Employment terms {name} {surname}", "Employment terms Emma Testnumber"),
        ("Lease {date}", "Lease 2026-03-01"),
        ("{name}{surname}", "EmmaTestnumber"),
        ("Odd {unknown} {name.__class__}", "Odd {unknown} {name.__class__}"),
    ],
)
def test_title_patterns_fill_in_only_the_known_placeholders(pattern, title):
    assert title_render(pattern, name="Emma", surname="Testnumber", on=datetime.date(2026, 3, 1)) == title


def test_a_template_without_reminders_sends_signings_whose_signers_are_not_reminded(
    owner, emulator, django_capture_on_commit_callbacks, mailoutbox
):
    from bulk.signing_templates import PersonData, RoleData, template_create, template_use
    from signing.models import Signer
    from signing.reminders import signer_reminder_send, signers_due_for_reminder

    def sent_with(reminders: bool, code: str) -> Signer:
        template = template_create(
            owner=owner,
            name=f"Terms {reminders}",
            title_pattern="Terms {name}",
            language="en",
            deadline_days=None,
            reminders=reminders,
            roles=[RoleData(name="Employee", order=1, signing_purpose="signature")],
            document=pdf_upload(),
        )
        person = PersonData(
            first_name="Emma", last_name="Testnumber", country_code="LT", personal_code=code, email="e@example.test"
        )
        with django_capture_on_commit_callbacks(execute=True):
            document = template_use(template=template, actor=owner, people=[person], document=None)
        assert document.signings.get().reminders is reminders
        return document.signers.get()

    quiet, reminded = sent_with(False, LT_CODE), sent_with(True, "38001010009")
    later = timezone.now() + datetime.timedelta(days=30)
    assert signers_due_for_reminder(now=later) == [reminded.pk]
    assert signer_reminder_send(signer_id=quiet.pk, now=later) is False
    assert signer_reminder_send(signer_id=reminded.pk, now=later) is True


def test_editing_a_template_replaces_its_roles_and_fixed_document_and_leaves_sent_ones_alone(
    owner_client, owner, emulator, django_capture_on_commit_callbacks
):
    from bulk.signing_templates import PersonData, template_use

    owner_client.post(reverse("bulk:template-new"), template_post(document=pdf_upload("terms.pdf")))
    template = SigningTemplate.objects.get()
    old_file = template.file.name
    with django_capture_on_commit_callbacks(execute=True):
        sent = template_use(
            template=template,
            actor=owner,
            people=[
                PersonData(
                    first_name="Emma", last_name="T", country_code="LT", personal_code=LT_CODE, email="e@x.test"
                ),
                PersonData(
                    first_name="Harri", last_name="T", country_code="EE", personal_code=EE_CODE, email="h@x.test"
                ),
            ],
            document=None,
        )
    page = owner_client.get(reverse("bulk:template-edit", kwargs={"uuid": template.uuid})).content.decode()
    assert 'value="Employment terms {name} {surname}"' in page
    assert 'value="HR manager"' in page
    assert "terms.pdf is the fixed document" in page

    from tests.signing.bad_files import make_pdf

    new_pdf = pdf_upload("terms-2026.pdf", make_pdf(pages=2))
    data = template_post(name="Terms 2026", deadline_days="", reminders="", document=new_pdf)
    data.update({"roles-0-name": "Employee", "roles-0-order": "1", "roles-1-name": "", "roles-1-order": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("bulk:template-edit", kwargs={"uuid": template.uuid}), data)
    assert response.status_code == 302, re.findall(r'role="alert">([^<]*)', response.content.decode())
    template.refresh_from_db()
    assert (template.name, template.deadline_days, template.reminders) == ("Terms 2026", None, False)
    assert [(r.name, r.order, r.signing_purpose) for r in template.roles.all()] == [("Employee", 1, "visa")]
    assert template.original_filename == "terms-2026.pdf"
    assert template.file.read() != pdf_bytes()
    assert not template.file.storage.exists(old_file)
    # What was sent from it stays as it was sent.
    sent.refresh_from_db()
    assert sent.title == "Employment terms Emma T"
    assert sent.signers.count() == 2
    assert sent.file.read() == pdf_bytes()
