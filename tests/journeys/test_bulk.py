"""Journeys of templates and bulk sends: the owner saves a template and uses it; the owner sends one
document to three people from a CSV with a mistake, corrects the CSV only, watches the progress and
follows each signing on the summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bulk.models import BulkRow, BulkSend, SigningTemplate
from signing.models import Document, Signing
from tests.browser.helpers import pdf_file
from tests.bulk.helpers import csv_bytes, lt_code, person
from tests.journeys.steps import EE_SIGNER, LT_SIGNER, log_in, make_owner

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
