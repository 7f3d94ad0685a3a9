"""Journeys of a decline: a signer says no with a reason on their signing page; the owner sees it
live and by e-mail; the link stops opening the document; the owner's choice decides whether the
others carry on (and the signing completes) or the signing ends (deleted at Dokobit). The first
journey's decliner reads everything in Russian while the owner works in English."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from dokobit_emulator.models.gateway import GatewaySigning
from signing.models import Signer, Signing, SigningEvent
from tests.journeys.steps import (
    EE_SIGNER,
    LT_SIGNER,
    LV_SIGNER,
    log_in,
    make_owner,
    open_invitation,
    sign_at_dokobit,
    upload,
)

pytestmark = [pytest.mark.browser, pytest.mark.journey, pytest.mark.django_db(transaction=True)]

TITLE = "Supply agreement"
# The reason is the signer's own text: markup in it must reach the owner as text, never as HTML.
REASON = "Цена <b>выше</b> согласованной & срок другой"
DECLINED_PAGE = r"status of 410 \(Gone\) \(at [^)]*/sign/[^/]+/\)$"


def _wait_until(check, *, timeout: float = 30.0) -> None:
    # With Celery workers (services setup) Dokobit is told a moment after the page answered.
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the expected state was not reached in time"
        time.sleep(0.2)


def _plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_russian_speaking_signer_declines_and_the_others_carry_on(stack, people, tmp_path):
    make_owner()
    owner = people.open("owner")
    log_in(owner)
    document = upload(
        owner,
        tmp_path,
        title=TITLE,
        signers=[LV_SIGNER, EE_SIGNER],
        languages=["ru", "en"],
        on_decline="Let the others carry on",
    )
    signing = Signing.objects.get(document=document)
    assert signing.on_decline == Signing.OnDecline.CARRY_ON
    # Dokobit's page has one language per signing; the Russian signer's is one it offers.
    assert GatewaySigning.objects.get(token=signing.dokobit_token).language == "ru"

    # The Russian-speaking signer's invitation is in Russian, the owner's pages stay in English.
    (invitation,) = stack.wait_for_mail(LV_SIGNER.email)
    assert invitation["Subject"].strip() == f"QUALIFIED OK1 TESTNUMBER просит вас подписать «{TITLE}»"
    assert "Здравствуйте" in _plain(invitation)
    expect(owner.locator("html")).to_have_attribute("lang", "en")

    # Their pages are in Russian in a browser that asks for English: the signer's language wins.
    signer = people.open("signer-ru", locale="en-GB")
    link = stack.signer_link(LV_SIGNER.email)
    open_invitation(signer, stack, LV_SIGNER, title=TITLE)
    expect(signer.locator("html")).to_have_attribute("lang", "ru")
    expect(signer.get_by_test_id("sign-button")).to_have_text("Подписать")
    signer.get_by_test_id("decline-link").click()
    expect(signer.get_by_test_id("decline-title")).to_have_text("Отказаться от подписания")
    signer.watch.check("decline-form")

    # A reason is required: the form says so in Russian (a 400 page) and nothing is recorded.
    signer.watch.allow_console_error(r"status of 400 \(Bad Request\) \(at [^)]*/decline/\)$")
    signer.get_by_test_id("decline-submit").click()
    expect(signer.get_by_role("alert")).to_have_text("Пожалуйста, напишите отправителю, почему вы отказываетесь.")
    signer.watch.check("decline-form-error")
    assert Signer.objects.get(email=LV_SIGNER.email).status == Signer.Status.PENDING

    signer.watch.allow_console_error(DECLINED_PAGE)
    signer.get_by_label("Почему вы отказываетесь?").fill(REASON)
    signer.get_by_test_id("decline-submit").click()
    expect(signer.get_by_test_id("signer-declined")).to_have_text("Вы отказались от подписания")
    signer.watch.check("declined")
    declined = Signer.objects.get(email=LV_SIGNER.email)
    assert declined.status == Signer.Status.DECLINED
    assert declined.decline_reason == REASON
    assert SigningEvent.objects.filter(document=document, kind="signer_declined", signer=declined).count() == 1

    # The owner's open page shows it without a reload, the reason as text; the signing goes on.
    expect(owner.get_by_test_id("signer-status-1")).to_have_text("Declined", timeout=30_000)
    expect(owner.get_by_test_id("signer-reason-1")).to_have_text(f"Reason: {REASON}")
    expect(owner.get_by_test_id("signing-status")).to_have_text("Waiting for signatures")
    expect(owner.get_by_test_id("timeline")).to_contain_text("Signer declined: OK TESTNUMBER")
    owner.watch.check("declined-live")

    # The owner's e-mail, in English, with the reason.
    (told,) = stack.wait_for_mail("owner@example.test")
    assert told["Subject"].strip() == f"OK TESTNUMBER declined to sign “{TITLE}”"
    assert REASON in _plain(told)
    assert "the other signers can still sign" in _plain(told)

    # Dokobit no longer expects the decliner: they were taken off its signing.
    _wait_until(
        lambda: (
            GatewaySigning.objects.get(token=signing.dokobit_token)
            .signers.get(signer_id=declined.dokobit_signer_id)
            .removed
        )
    )

    # The link no longer opens the document, in any browser, before any eID: it says they declined.
    again = people.open("signer-ru-again", locale="en-GB")
    again.watch.allow_console_error(DECLINED_PAGE)
    again.goto(link)
    expect(again.get_by_test_id("signer-declined")).to_be_visible()
    expect(again.get_by_text(TITLE)).to_have_count(0)
    expect(again.get_by_test_id("identity-start")).to_have_count(0)
    again.watch.check("declined-link")

    # The other signer still signs, and the signing completes.
    other = people.open("signer-ee")
    open_invitation(other, stack, EE_SIGNER, title=TITLE)
    sign_at_dokobit(other)
    expect(owner.get_by_test_id("signing-status")).to_have_text("Signed", timeout=30_000)
    expect(owner.get_by_test_id("download-signed")).to_be_visible()
    owner.watch.check("signed-after-decline")
    signing.refresh_from_db()
    assert signing.status == Signing.Status.COMPLETED
    assert Signer.objects.get(email=EE_SIGNER.email).status == Signer.Status.SIGNED
    assert Signer.objects.get(email=LV_SIGNER.email).status == Signer.Status.DECLINED

    # The completion e-mails do not say everyone signed: who signed, who declined; the reason
    # only in the owner's copy.
    finished = f"“{TITLE}”: the signing is finished"
    owner_done = [m for m in stack.wait_for_mail("owner@example.test", count=2) if m["Subject"].strip() == finished]
    assert len(owner_done) == 1
    assert f"Signed by: {EE_SIGNER.full_name}" in _plain(owner_done[0])
    assert f"Declined by OK TESTNUMBER, giving the reason: {REASON}" in _plain(owner_done[0])
    (signer_done,) = stack.wait_for_mail(EE_SIGNER.email, count=2)[1:]
    assert signer_done["Subject"].strip() == finished
    assert "Declined by OK TESTNUMBER" in _plain(signer_done)
    assert REASON not in _plain(signer_done)
    assert "Everyone has signed" not in _plain(signer_done)

    # Their link, in the browser they signed in, says the same on the page.
    other.goto(stack.signer_link(EE_SIGNER.email))
    expect(other.get_by_test_id("signer-completed")).to_contain_text("not everyone signed it")
    expect(other.get_by_test_id("signing-outcome")).to_contain_text("Declined by OK TESTNUMBER")
    expect(other.get_by_text(REASON)).to_have_count(0)
    other.watch.check("signer-page-after-decline")

    # The owner's document list counts the decline apart from the signatures.
    owner.goto("/documents/")
    row = owner.locator("tr", has_text=TITLE)
    expect(row.get_by_test_id("document-signed-count")).to_have_text("1 of 2, 1 declined")
    owner.watch.check("list-after-decline")


def test_a_decline_ends_the_signing_by_default(stack, people, tmp_path):
    make_owner()
    owner = people.open("owner")
    log_in(owner)

    # The upload form: "end the signing" is the default, and a language Dokobit's page lacks gets a note.
    owner.goto("/documents/new/")
    expect(owner.get_by_test_id("on-decline").get_by_label("End the signing")).to_be_checked()
    language = owner.locator("[data-signer-row]").first.get_by_label("Language")
    note = owner.get_by_text("Dokobit's own signing page is not available in this language")
    expect(note).to_be_hidden()
    language.select_option("fi")
    expect(note).to_be_visible()
    owner.watch.check("language-note")
    owner.goto("/dashboard/")

    document = upload(owner, tmp_path, title=TITLE, signers=[LT_SIGNER, EE_SIGNER])
    signing = Signing.objects.get(document=document)
    assert signing.on_decline == Signing.OnDecline.END
    other_link = stack.signer_link(EE_SIGNER.email)

    signer = people.open("signer-lt")
    open_invitation(signer, stack, LT_SIGNER, title=TITLE)
    signer.get_by_test_id("decline-link").click()
    expect(signer.get_by_test_id("decline-title")).to_have_text("Decline to sign")
    signer.watch.check("decline-form")
    signer.watch.allow_console_error(DECLINED_PAGE)
    signer.get_by_label("Why do you decline?").fill("Not my contract")
    signer.get_by_test_id("decline-submit").click()
    expect(signer.get_by_test_id("signer-declined")).to_be_visible()
    signer.watch.check("declined")

    expect(owner.get_by_test_id("signing-status")).to_have_text("Cancelled", timeout=30_000)
    expect(owner.get_by_test_id("signer-status-1")).to_have_text("Declined")
    expect(owner.get_by_test_id("signer-reason-1")).to_have_text("Reason: Not my contract")
    expect(owner.get_by_test_id("cancel-signing")).to_have_count(0)
    owner.watch.check("ended-live")
    (told,) = stack.wait_for_mail("owner@example.test")
    assert "Not my contract" in _plain(told)
    assert "the signing has been ended" in _plain(told)

    # Deleted at Dokobit, after the decline committed.
    _wait_until(lambda: GatewaySigning.objects.get(token=signing.dokobit_token).deleted)
    assert Signing.objects.get(pk=signing.pk).status == Signing.Status.CANCELLED

    # The other signer's link no longer opens the document.
    late = people.open("signer-ee")
    late.watch.allow_console_error(r"status of 403 \(Forbidden\) \(at [^)]*/sign/[^/]+/\)$")
    late.goto(other_link)
    expect(late.get_by_test_id("signer-unavailable")).to_be_visible()
    expect(late.get_by_text(TITLE)).to_have_count(0)
    late.watch.check("ended-link")
