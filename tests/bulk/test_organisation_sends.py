"""Templates and bulk sends made while working in an organisation belong to it, and so do the
documents made from them, with the organisation's defaults where the template leaves a value open.
Tasks run as on a worker; Dokobit is the in-process emulator."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from bulk.models import BulkSend, SigningTemplate
from organisations.models import Organisation
from organisations.spaces import SESSION_KEY
from signing.models import Document, Signing
from tests.bulk.helpers import csv_bytes, new_bulk_post, person, person_post, template_post
from tests.signing.helpers import EE_CODE, LT_CODE, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_client(org_world):
    # The organisation's defaults: 10 days to sign, a decline lets the others carry on.
    Organisation.objects.filter(pk=org_world.organisation.pk).update(deadline_days=10, decline_action="carry_on")
    client = org_world.client("member")
    session = client.session
    session[SESSION_KEY] = str(org_world.organisation.uuid)
    session.save()
    return client


def test_a_bulk_send_in_an_organisation_makes_documents_of_that_organisation(
    org_world,
    member_client,
    emulator,
    django_capture_on_commit_callbacks,
):
    member = org_world.users["member"]
    page = member_client.get(reverse("bulk:bulk-new")).content.decode()
    # The form starts from the organisation's deadline, as the upload form does.
    expected_day = timezone.localdate() + datetime.timedelta(days=10)
    assert f'value="{expected_day.isoformat()}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            reverse("bulk:bulk-new"), new_bulk_post(csv_bytes([person(0), person(1)]), title="Acme terms {name}")
        )
    bulk = BulkSend.objects.get()
    assert response.status_code == 302
    assert (bulk.organisation, bulk.owner, bulk.status) == (org_world.organisation, member, BulkSend.Status.SENT)
    documents = Document.objects.filter(bulk_row__bulk=bulk).order_by("title")
    assert [(d.title, d.organisation, d.owner) for d in documents] == [
        ("Acme terms Person0", org_world.organisation, member),
        ("Acme terms Person1", org_world.organisation, member),
    ]
    for document in documents:
        assert document.signings.get().on_decline == Signing.OnDecline.CARRY_ON
    # The admin reads them as the organisation's documents; the outsider does not.
    admin = org_world.client("admin")
    assert admin.get(reverse("signing:document-detail", kwargs={"uuid": documents[0].uuid})).status_code == 200
    outsider = org_world.client("outsider")
    assert outsider.get(reverse("signing:document-detail", kwargs={"uuid": documents[0].uuid})).status_code == 404
    # A personal bulk send of the same person stays personal.
    assert not BulkSend.objects.filter(organisation=None).exists()


def test_a_template_saved_in_an_organisation_is_used_by_another_member_for_the_organisation(
    org_world,
    member_client,
    emulator,
    django_capture_on_commit_callbacks,
):
    # No deadline in the template: the organisation's 10 days apply when it is used.
    response = member_client.post(
        reverse("bulk:template-new"), template_post(deadline_days="", document=pdf_upload("terms.pdf"))
    )
    template = SigningTemplate.objects.get()
    assert response.status_code == 302
    assert (template.organisation, template.owner) == (org_world.organisation, org_world.users["member"])

    admin = org_world.client("admin")
    session = admin.session
    session[SESSION_KEY] = str(org_world.organisation.uuid)
    session.save()
    people = {
        **person_post(1, name="Emma", code=LT_CODE, country="LT", email="emma@example.test"),
        **person_post(2, name="Harri", code=EE_CODE, country="EE", email="harri@example.test"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(reverse("bulk:template-use", kwargs={"uuid": template.uuid}), people)
    document = Document.objects.get(title__startswith="Employment terms")
    assert response.status_code == 302
    assert (document.organisation, document.owner) == (org_world.organisation, org_world.users["admin"])
    signing = document.signings.get()
    assert timezone.localtime(signing.deadline).date() == timezone.localdate() + datetime.timedelta(days=10)
    assert signing.on_decline == Signing.OnDecline.CARRY_ON
    # A template's own deadline wins over the organisation's.
    SigningTemplate.objects.filter(pk=template.pk).update(deadline_days=3)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("bulk:template-use", kwargs={"uuid": template.uuid}), people)
    newest = Document.objects.filter(title__startswith="Employment terms").exclude(pk=document.pk).get()
    newest = newest.signings.get()
    assert timezone.localtime(newest.deadline).date() == timezone.localdate() + datetime.timedelta(days=3)


def test_a_personal_template_makes_personal_documents(org_world, emulator, django_capture_on_commit_callbacks):
    client = org_world.client("member")  # the personal space
    client.post(reverse("bulk:template-new"), template_post(document=pdf_upload("terms.pdf")))
    template = SigningTemplate.objects.get()
    assert template.organisation is None
    people = {
        **person_post(1, name="Emma", code=LT_CODE, country="LT", email="emma@example.test"),
        **person_post(2, name="Harri", code=EE_CODE, country="EE", email="harri@example.test"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("bulk:template-use", kwargs={"uuid": template.uuid}), people)
    assert Document.objects.get(title__startswith="Employment terms").organisation is None


def test_rows_of_an_organisations_bulk_send_are_still_made_after_its_creator_deleted_the_account(
    org_world, emulator, django_capture_on_commit_callbacks
):
    from bulk.models import BulkRow
    from bulk.sends import bulk_row_send
    from identity.accounts import user_delete
    from tests.bulk.helpers import bulk_objects_of

    _, bulk = bulk_objects_of(org_world.users["member"], organisation=org_world.organisation, label="Acme")
    (row,) = bulk.rows.all()
    with django_capture_on_commit_callbacks(execute=True):
        user_delete(user=org_world.users["member"])
    with django_capture_on_commit_callbacks(execute=True):
        bulk_row_send(row_id=row.pk)
    row = BulkRow.objects.select_related("document").get(pk=row.pk)
    assert row.status == BulkRow.Status.CREATED
    assert (row.document.organisation, row.document.owner) == (org_world.organisation, None)
    assert row.document.signings.get().status == Signing.Status.PENDING


def test_the_summary_links_only_the_copies_the_person_may_open(org_world, emulator, django_capture_on_commit_callbacks):
    from bulk.sends import bulk_row_send
    from organisations.models import DocumentVisibility
    from tests.bulk.helpers import bulk_objects_of

    org_world.set_visibility(DocumentVisibility.OWN_AND_SHARED)
    _, bulk = bulk_objects_of(org_world.users["member"], organisation=org_world.organisation, label="Acme")
    with django_capture_on_commit_callbacks(execute=True):
        bulk_row_send(row_id=bulk.rows.get().pk)
    document = bulk.rows.get().document
    link = f'href="{reverse("signing:document-detail", kwargs={"uuid": document.uuid})}"'
    url = reverse("bulk:bulk-summary", kwargs={"uuid": bulk.uuid})
    for who, linked in (("member", True), ("admin", True), ("viewer", False)):
        html = org_world.client(who).get(url).content.decode()
        assert document.title in html, who
        assert (link in html) == linked, who
        opened = org_world.client(who).get(reverse("signing:document-detail", kwargs={"uuid": document.uuid}))
        assert opened.status_code == (200 if linked else 404), who
