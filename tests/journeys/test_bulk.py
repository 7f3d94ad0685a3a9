"""Journeys of templates and bulk sends: the owner saves a template and uses it; the owner sends one
document to three people from a CSV with a mistake, corrects the CSV only, watches the progress and
follows each signing on the summary."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bulk.models import BulkRow, BulkSend, SigningTemplate
from bulk.signing_templates import RoleData, template_create
from identity.models import User
from organisations.models import Membership, Organisation, Role
from organisations.services import organisation_create
from signing.models import Document, Signing
from tests.browser.helpers import pdf_file
from tests.bulk.helpers import csv_bytes, lt_code, person
from tests.journeys.steps import EE_SIGNER, LT_SIGNER, LV_SIGNER, OWNER, Person, log_in, make_owner

pytestmark = [pytest.mark.browser, pytest.mark.journey, pytest.mark.django_db(transaction=True)]


def test_the_owner_saves_a_template_and_uses_it(stack, people, tmp_path):
    make_owner()
    owner = people.open("owner")
    log_in(owner)
    owner.get_by_test_id("dashboard-templates").click()
    expect(owner.get_by_test_id("no-templates")).to_be_visible()
    owner.watch.check("templates-empty")
    # A form with a mistake answers 400, which Chromium also reports in the console.
    owner.watch.allow_console_error(r"status of 400 \(Bad Request\) \(at [^)]*/templates/new/\)$")
    owner.get_by_test_id("new-template").click()
    owner.watch.check("template-form")

    form = owner.get_by_test_id("template-form")
    form.get_by_label("Template name").fill("Employment terms")
    form.get_by_label("Title").fill("Employment terms {name} {surname}")
    form.get_by_label("Language").select_option("en")
    form.get_by_label("Days to sign").fill("10")
    form.get_by_label("Fixed document").set_input_files(str(pdf_file(tmp_path, "terms.pdf")))
    first, second = form.locator("fieldset.signer-row").nth(0), form.locator("fieldset.signer-row").nth(1)
    first.get_by_label("Role").fill("HR manager")
    first.get_by_label("Order").fill("2")
    first.get_by_label("Signing purpose").select_option("visa")
    second.get_by_label("Role").fill("Employee")
    second.get_by_label("Order").fill("1")
    # A placeholder the portal does not know is refused, and nothing is saved.
    form.get_by_label("Title").fill("Employment terms {first_name}")
    owner.get_by_test_id("template-save").click()
    expect(owner.get_by_text("Unknown placeholder {first_name}. Use {name}, {surname} or {date}.")).to_be_visible()
    owner.watch.check("template-placeholder-error")
    assert SigningTemplate.objects.count() == 0
    form.get_by_label("Title").fill("Employment terms {name} {surname}")
    form.get_by_label("Fixed document").set_input_files(str(pdf_file(tmp_path, "terms.pdf")))
    owner.get_by_test_id("template-save").click()

    expect(owner).to_have_url(re.compile(r"/templates/[0-9a-f-]+/use/$"))
    expect(owner.get_by_text("The template was saved.")).to_be_visible()
    template = SigningTemplate.objects.get()
    assert [(r.name, r.order) for r in template.roles.all()] == [("HR manager", 2), ("Employee", 1)]
    # Only the people are asked for: the template has the document, purpose and language.
    use_form = owner.get_by_test_id("template-use-form")
    expect(use_form.get_by_label("Document")).to_have_count(0)
    expect(use_form.get_by_label("Signing purpose")).to_have_count(0)
    expect(use_form.get_by_label("Language")).to_have_count(0)
    employee, manager = owner.get_by_test_id("role-1"), owner.get_by_test_id("role-2")
    expect(employee.locator("legend")).to_contain_text("Employee")
    expect(manager.locator("legend")).to_contain_text("HR manager")
    owner.watch.check("template-use")
    for role, signer in ((employee, LT_SIGNER), (manager, EE_SIGNER)):
        role.get_by_label("Name", exact=True).fill(signer.name)
        role.get_by_label("Surname").fill(signer.surname)
        role.get_by_label("Country").select_option(signer.country)
        role.get_by_label("Personal code").fill(signer.code)
        role.get_by_label("E-mail").fill(signer.email)
    owner.get_by_test_id("template-send").click()

    expect(owner).to_have_url(re.compile(r"/documents/[0-9a-f-]+/$"), timeout=60_000)
    title = f"Employment terms {LT_SIGNER.name} {LT_SIGNER.surname}"
    expect(owner.get_by_test_id("signing-status")).to_have_text("Waiting for signatures", timeout=60_000)
    owner.watch.check("template-document")
    document = Document.objects.get()
    assert document.title == title
    assert document.file.read() == template.file.open("rb").read()
    signers = [(s.email, s.signing_purpose, s.order_group) for s in document.signers.order_by("position")]
    assert signers == [(LT_SIGNER.email, "signature", 1), (EE_SIGNER.email, "visa", 2)]
    # The roles' order: the employee is asked first, the HR manager when the employee has signed.
    (invitation,) = stack.wait_for_mail(LT_SIGNER.email)
    assert title in invitation.get_body(preferencelist=("plain",)).get_content()
    assert stack.mails_to(EE_SIGNER.email) == []

    owner.goto("/templates/")
    expect(owner.get_by_test_id("template-row")).to_have_count(1)
    owner.watch.check("template-list")

    # Edit: two weeks to sign instead of ten days; what was sent stays as it was.
    owner.get_by_test_id("edit-template").click()
    edit_form = owner.get_by_test_id("template-form")
    expect(edit_form.get_by_label("Template name")).to_have_value("Employment terms")
    expect(owner.get_by_test_id("template-fixed-file")).to_contain_text("terms.pdf is the fixed document")
    owner.watch.check("template-edit")
    edit_form.get_by_label("Days to sign").fill("14")
    owner.get_by_test_id("template-save").click()
    expect(owner.get_by_text("The template was saved.")).to_be_visible()
    template.refresh_from_db()
    assert template.deadline_days == 14
    assert [(r.name, r.order) for r in template.roles.order_by("position")] == [("Employee", 1), ("HR manager", 2)]
    owner.watch.check("template-use-after-edit")


def make_person(person: Person) -> User:
    return User.objects.create_user(
        country_code=person.country,
        personal_code=person.code,
        first_name=person.name,
        last_name=person.surname,
        email=person.email,
        language="en",
    )


def write_csv(tmp_path: Path, name: str, rows) -> Path:
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows, delimiter=";", bom=True))
    return path


def test_a_bulk_send_with_a_mistake_is_corrected_then_sent_and_followed(stack, people, tmp_path):
    make_owner()
    owner = people.open("owner")
    log_in(owner)
    owner.get_by_test_id("dashboard-bulk").click()
    expect(owner.get_by_test_id("no-bulk")).to_be_visible()
    owner.watch.check("bulk-empty")
    # A CSV with a mistake answers 400, which Chromium also reports in the console.
    owner.watch.allow_console_error(r"status of 400 \(Bad Request\) \(at [^)]*/bulk/new/\)$")
    owner.get_by_test_id("new-bulk").click()
    owner.watch.check("bulk-form")

    rows = [person(0, **{"e-mail": "ona@example.test"}), person(1, country="Lithuania"), person(2)]
    owner.get_by_label("Document").set_input_files(str(pdf_file(tmp_path, "policy.pdf")))
    owner.get_by_label("Title").fill("Remote work policy {name} {surname}")
    owner.get_by_label("Signing purpose").select_option("acknowledgement")
    owner.get_by_label("People (CSV)").set_input_files(str(write_csv(tmp_path, "staff.csv", rows)))
    owner.get_by_test_id("bulk-submit").click()

    # The mistake, at its line and column; nothing sent; the document kept.
    expect(owner.get_by_test_id("csv-errors")).to_contain_text("staff.csv has 1 mistake. Nothing was sent")
    problem = owner.get_by_test_id("csv-problem")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("3")
    expect(problem).to_contain_text("Country")
    expect(problem).to_contain_text("Use a country code")
    expect(owner.get_by_test_id("bulk-kept")).to_contain_text("policy.pdf is kept")
    expect(owner.get_by_label("Document")).to_have_count(0)
    owner.watch.check("bulk-csv-errors")
    assert (BulkRow.objects.count(), Document.objects.count(), stack.mails()) == (0, 0, [])
    bulk = BulkSend.objects.get()
    assert bulk.status == BulkSend.Status.DRAFT

    rows[1] = person(1)
    owner.get_by_label("People (CSV)").set_input_files(str(write_csv(tmp_path, "staff-fixed.csv", rows)))
    owner.get_by_test_id("bulk-csv-submit").click()

    expect(owner).to_have_url(re.compile(rf"/bulk/{bulk.uuid}/$"), timeout=60_000)
    expect(owner.get_by_test_id("bulk-progress-label")).to_have_text("3 of 3 copies made, 0 failed.", timeout=60_000)
    expect(owner.locator("#bulk-progress-bar")).to_have_attribute("value", "100")
    owner.watch.check("bulk-progress")
    if stack.setup == "services":
        # The copies were made by the worker, not in the web process.
        assert "bulk.tasks.bulk_row_send_task" in stack.log("worker", tail=200_000)
        assert "bulk.tasks.bulk_row_send_task" not in stack.log("web", tail=200_000)
    owner.get_by_test_id("bulk-summary-link").click()

    expect(owner).to_have_url(re.compile(rf"/bulk/{bulk.uuid}/summary/$"))
    statuses = owner.get_by_test_id("bulk-row-status")
    expect(statuses).to_have_count(3)
    # The page follows each signing by itself until every copy reached Dokobit.
    for n in range(3):
        expect(statuses.nth(n)).to_have_text("Waiting for signatures", timeout=60_000)
    expect(owner.get_by_test_id("bulk-summary-counts")).to_have_text(
        "3 people: 3 sent, 0 of them signed, 0 failed, 0 still waiting."
    )
    expect(owner.get_by_test_id("bulk-retry")).to_have_count(0)
    owner.watch.check("bulk-summary")

    made = {row.line: row.document for row in BulkRow.objects.select_related("document")}
    assert sorted(made) == [2, 3, 4]
    assert [made[line].title for line in (2, 3, 4)] == [f"Remote work policy Person{n} Testnumber" for n in range(3)]
    assert all(Signing.objects.get(document=d).status == Signing.Status.PENDING for d in made.values())
    assert [s.personal_code for s in made[3].signers.all()] == [lt_code(1)]
    for address in ("ona@example.test", "person1@example.test", "person2@example.test"):
        (invitation,) = stack.wait_for_mail(address)
        assert "Remote work policy" in invitation.get_body(preferencelist=("plain",)).get_content()

    # Without JavaScript the same pages read the same (the progress page would refresh itself).
    plain = people.open("owner-no-js", javascript=False)
    plain.context.add_cookies(owner.context.cookies())
    plain.goto(f"/bulk/{bulk.uuid}/")
    expect(plain.get_by_test_id("bulk-progress-label")).to_have_text("3 of 3 copies made, 0 failed.")
    plain.watch.check("bulk-progress-no-js")
    plain.get_by_test_id("bulk-summary-link").click()
    expect(plain.get_by_test_id("bulk-row-status")).to_have_text(["Waiting for signatures"] * 3)
    plain.watch.check("bulk-summary-no-js")

    # Each copy is an ordinary document of the owner's.
    owner.get_by_role("link", name="Remote work policy Person2 Testnumber").click()
    expect(owner.get_by_test_id("signing-status")).to_have_text("Waiting for signatures")
    owner.watch.check("bulk-copy")


def test_a_member_uses_the_organisations_template_and_a_viewer_may_not(stack, people, tmp_path):
    admin_user = make_owner()
    organisation = organisation_create(
        creator=admin_user, name="Nordic Paper Oy", registration_code="1234567-8", country_code="FI"
    )
    Organisation.objects.filter(pk=organisation.pk).update(deadline_days=7)
    member_user = make_person(LV_SIGNER)
    viewer_user = make_person(LT_SIGNER)
    Membership.objects.create(organisation=organisation, user=member_user, role=Role.MEMBER)
    Membership.objects.create(organisation=organisation, user=viewer_user, role=Role.VIEWER)
    # The admin's template leaves the deadline open: the organisation's seven days apply.
    template = template_create(
        owner=admin_user,
        organisation=organisation,
        name="Paper supply agreement",
        title_pattern="Paper supply {name} {surname}",
        language="en",
        deadline_days=None,
        reminders=True,
        roles=[RoleData(name="Supplier", order=1, signing_purpose="signature")],
        document=None,
    )

    member = people.open("member")
    log_in(member, LV_SIGNER)
    member.get_by_test_id("dashboard-templates").click()
    # In the personal space the organisation's template is not listed.
    expect(member.get_by_test_id("no-templates")).to_be_visible()
    member.watch.check("personal-templates")
    # The switcher submits on change once portal.js is running (deferred: after the page loaded).
    member.wait_for_load_state("load")
    member.get_by_test_id("space-select").select_option(label="Nordic Paper Oy")
    expect(member.get_by_test_id("current-space")).to_have_text("You are working in Nordic Paper Oy as Member.")
    member.goto("/templates/")
    row = member.get_by_test_id("template-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Paper supply agreement")
    expect(row.get_by_test_id("template-creator")).to_have_text(OWNER.full_name)
    # The member uses it but does not change the admin's template.
    expect(row.get_by_test_id("edit-template")).to_have_count(0)
    member.watch.check("organisation-templates")
    row.get_by_test_id("use-template").click()

    expect(member).to_have_url(re.compile(rf"/templates/{template.uuid}/use/$"))
    expect(member.get_by_test_id("template-space")).to_contain_text("The document will belong to Nordic Paper Oy")
    expect(member.get_by_test_id("template-facts")).to_contain_text("7")
    member.watch.check("organisation-template-use")
    form = member.get_by_test_id("template-use-form")
    form.get_by_label("Document").set_input_files(str(pdf_file(tmp_path, "supply.pdf")))
    supplier = member.get_by_test_id("role-1")
    supplier.get_by_label("Name", exact=True).fill(EE_SIGNER.name)
    supplier.get_by_label("Surname").fill(EE_SIGNER.surname)
    supplier.get_by_label("Country").select_option(EE_SIGNER.country)
    supplier.get_by_label("Personal code").fill(EE_SIGNER.code)
    supplier.get_by_label("E-mail").fill(EE_SIGNER.email)
    member.get_by_test_id("template-send").click()

    expect(member).to_have_url(re.compile(r"/documents/[0-9a-f-]+/$"), timeout=60_000)
    expect(member.get_by_test_id("signing-status")).to_have_text("Waiting for signatures", timeout=60_000)
    expect(member.get_by_test_id("document-organisation")).to_have_text("Nordic Paper Oy")
    expect(member.get_by_test_id("document-creator")).to_have_text(LV_SIGNER.full_name)
    member.watch.check("organisation-template-document")
    document = Document.objects.get()
    assert (document.organisation_id, document.owner_id) == (organisation.pk, member_user.pk)
    assert document.title == f"Paper supply {EE_SIGNER.name} {EE_SIGNER.surname}"
    signing = document.signings.get()
    assert timezone.localtime(signing.deadline).date() == timezone.localdate() + datetime.timedelta(days=7)
    (invitation,) = stack.wait_for_mail(EE_SIGNER.email)
    assert "Paper supply" in invitation.get_body(preferencelist=("plain",)).get_content()

    # A viewer sees the organisation's template but is offered nothing to do with it, and is refused.
    viewer = people.open("viewer")
    log_in(viewer, LT_SIGNER)
    viewer.wait_for_load_state("load")
    viewer.get_by_test_id("space-select").select_option(label="Nordic Paper Oy")
    expect(viewer.get_by_test_id("current-space")).to_have_text("You are working in Nordic Paper Oy as Viewer.")
    viewer.goto("/templates/")
    expect(viewer.get_by_test_id("template-row")).to_contain_text("Paper supply agreement")
    expect(viewer.get_by_test_id("use-template")).to_have_count(0)
    expect(viewer.get_by_test_id("new-template")).to_have_count(0)
    expect(viewer.get_by_test_id("viewer-note")).to_have_text(
        "As a viewer you see the organisation's templates; its admins and members use them."
    )
    viewer.watch.check("viewer-templates")
    viewer.watch.allow_console_error(r"403 \(Forbidden\)")
    viewer.goto(f"/templates/{template.uuid}/use/")
    expect(viewer.get_by_test_id("error-message")).to_have_text(
        "Viewers of an organisation see its templates and bulk sends but cannot use them."
    )
    viewer.watch.check("viewer-refused")
    assert Document.objects.count() == 1
