"""A signer declines: what is recorded, what Dokobit is told (and what an unknown answer means),
what the owner is told, and who may reach the decline page at all."""

from __future__ import annotations

import json

import pytest
import requests
from django.core import mail
from django.test import Client
from django.urls import reverse

from signing import declines
from signing.errors import SigningNotAllowed
from signing.models import Signer, Signing, SigningEvent
from signing.privacy import account_documents_delete, account_documents_export
from signing.signers import dokobit_signing_language
from signing.views.signer_link import REFUSED_SESSION_KEY
from tests.conftest import load_fixture
from tests.signing.conftest import GW, calls_to, json_body
from tests.signing.helpers import link, verify_in_session

pytestmark = pytest.mark.django_db

TOKEN_PATH = "/api/signing/signing-token-1"
REMOVE = f"{GW}{TOKEN_PATH}/removesigner.json"
STATUS = f"{GW}{TOKEN_PATH}/status.json"
DELETE = f"{GW}{TOKEN_PATH}/delete.json"
REFUSED = {"status": "error", "code": 10000, "message": "Data validation failed"}


def first_signer(signing: Signing) -> Signer:
    return signing.signers.order_by("position").first()


def carry_on(signing: Signing) -> Signing:
    Signing.objects.filter(pk=signing.pk).update(on_decline=Signing.OnDecline.CARRY_ON)
    signing.refresh_from_db()
    return signing


def decline_url(signer: Signer) -> str:
    return reverse("signing:signer_decline", kwargs={"signer_uuid": signer.uuid})


# --- "end the signing" (the default) -------------------------------------------------------------


def test_a_decline_ends_the_signing_deletes_it_at_dokobit_and_tells_the_owner_once(
    gateway, live_signing, django_capture_on_commit_callbacks
):
    gateway.post(DELETE, json={"status": "ok", "token": "signing-token-1"})
    signer = first_signer(live_signing)

    with django_capture_on_commit_callbacks(execute=True):
        declines.signer_decline(signer=signer, reason="  The amount is wrong.\n")

    signer.refresh_from_db()
    live_signing.refresh_from_db()
    assert signer.status == Signer.Status.DECLINED
    assert signer.decline_reason == "The amount is wrong."
    assert signer.declined_at is not None
    assert live_signing.status == Signing.Status.CANCELLED
    assert len(calls_to(gateway, f"{TOKEN_PATH}/delete.json")) == 1
    kinds = list(SigningEvent.objects.filter(signing=live_signing).values_list("kind", flat=True))
    assert kinds.count(SigningEvent.Kind.SIGNER_DECLINED) == 1
    assert kinds.count(SigningEvent.Kind.CANCELLED) == 1
    (message,) = mail.outbox
    assert message.to == [live_signing.document.owner.email]
    assert message.subject == "Signer0 Testnumber declined to sign “Lease agreement”"
    assert "The amount is wrong." in message.body
    assert "the signing has been ended" in message.body

    # A second click changes nothing and tells nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        declines.signer_decline(signer=signer, reason="Another reason")
    signer.refresh_from_db()
    assert signer.decline_reason == "The amount is wrong."
    assert len(mail.outbox) == 1
    assert len(calls_to(gateway, f"{TOKEN_PATH}/delete.json")) == 1


def test_the_owners_mail_is_in_the_owners_language_whatever_the_signers(
    gateway, live_signing, django_capture_on_commit_callbacks
):
    owner = live_signing.document.owner
    owner.language = "ru"
    owner.save(update_fields=["language"])
    Signer.objects.filter(signing=live_signing).update(language="lt")
    gateway.post(DELETE, json={"status": "ok"})

    with django_capture_on_commit_callbacks(execute=True):
        declines.signer_decline(signer=first_signer(live_signing), reason="Ne")

    (message,) = mail.outbox
    assert message.subject == "Signer0 Testnumber отказался(-ась) подписать «Lease agreement»"
    assert "Причина:\nNe" in message.body
    assert "Здравствуйте" in message.body


def test_a_delete_whose_answer_was_lost_is_asked_again_and_not_found_then_counts_as_deleted(
    gateway, live_signing, django_capture_on_commit_callbacks
):
    gateway.post(DELETE, body=requests.ReadTimeout("read timed out"))
    signer = first_signer(live_signing)
    with django_capture_on_commit_callbacks(execute=False):
        declines.signer_decline(signer=signer, reason="No")
    # The decline and the end stand in the portal whatever Dokobit answers.
    assert Signing.objects.get(pk=live_signing.pk).status == Signing.Status.CANCELLED

    from portal.http import GatewayUnavailable

    with pytest.raises(GatewayUnavailable):
        declines.signer_decline_settle(signer_id=signer.pk)
    gateway.post(DELETE, status=404, json={"status": "error", "message": "Signing not found", "code": 404})
    declines.signer_decline_settle(signer_id=signer.pk)

    live_signing.refresh_from_db()
    assert not live_signing.needs_attention
    assert len(calls_to(gateway, f"{TOKEN_PATH}/delete.json")) == 2


def test_a_delete_dokobit_refuses_flags_the_signing_for_a_person(gateway, live_signing):
    gateway.post(DELETE, status=400, json=REFUSED)
    signer = first_signer(live_signing)
    declines.signer_decline(signer=signer, reason="No")

    declines.signer_decline_settle(signer_id=signer.pk)

    live_signing.refresh_from_db()
    assert live_signing.needs_attention
    assert "refused to delete" in live_signing.attention_reason
    assert live_signing.status == Signing.Status.CANCELLED


# --- "let the others carry on" ----------------------------------------------------------------------


def test_carry_on_takes_the_signer_off_the_dokobit_signing_and_the_others_still_sign(
    gateway, live_signing, django_capture_on_commit_callbacks
):
    carry_on(live_signing)
    gateway.post(REMOVE, json={"status": "ok"})
    still_pending = load_fixture("signing_status_pending")
    still_pending["signers"] = {"signer2": {"status": "pending"}}
    gateway.get(STATUS, json=still_pending)
    signer = first_signer(live_signing)

    with django_capture_on_commit_callbacks(execute=True):
        declines.signer_decline(signer=signer, reason="Not mine to sign")

    assert json_body(calls_to(gateway, f"{TOKEN_PATH}/removesigner.json")[0])["signers"] == [{"id": "signer1"}]
    signer.refresh_from_db()
    live_signing.refresh_from_db()
    assert signer.status == Signer.Status.DECLINED
    assert signer.dokobit_token == ""
    assert live_signing.status == Signing.Status.PENDING
    other = live_signing.signers.get(dokobit_signer_id="signer2")
    assert other.status == Signer.Status.PENDING
    assert "the other signers can still sign" in mail.outbox[0].body
    # The other signer's link still opens the document; the decliner's does not.
    client = Client()
    verify_in_session(client, other)
    assert client.get(link(other)).status_code == 200


def test_a_removal_refused_because_dokobit_no_longer_lists_the_signer_counts_as_done(gateway, live_signing):
    carry_on(live_signing)
    gateway.post(REMOVE, status=400, json=REFUSED)
    gone = load_fixture("signing_status_pending")
    gone["signers"] = {"signer2": {"status": "pending"}}
    gateway.get(STATUS, json=gone)
    signer = first_signer(live_signing)
    declines.signer_decline(signer=signer, reason="No")

    declines.signer_decline_settle(signer_id=signer.pk)

    live_signing.refresh_from_db()
    assert not live_signing.needs_attention
    assert Signer.objects.get(pk=signer.pk).dokobit_token == ""


def test_a_removal_refused_while_dokobit_still_lists_the_signer_flags_the_signing(gateway, live_signing):
    carry_on(live_signing)
    gateway.post(REMOVE, status=400, json=REFUSED)
    listed = load_fixture("signing_status_pending")
    listed["signers"] = {"signer1": {"status": "pending"}, "signer2": {"status": "pending"}}
    gateway.get(STATUS, json=listed)
    signer = first_signer(live_signing)
    declines.signer_decline(signer=signer, reason="No")

    declines.signer_decline_settle(signer_id=signer.pk)

    live_signing.refresh_from_db()
    assert live_signing.needs_attention
    assert "refused to take them off" in live_signing.attention_reason


def test_the_last_pending_signer_declines_and_dokobit_completes_the_signing(
    sent, django_capture_on_commit_callbacks, monkeypatch
):
    """Against the emulator: signer1 signed; signer2 declines with "carry on"; the signing completes."""
    from dokobit_emulator import gateway_views

    # The emulator names its own address in the file URLs it hands out: the configured gateway's.
    monkeypatch.setattr(gateway_views, "gateway_base", lambda request: GW)
    carry_on(sent)
    signer = sent.signers.get(dokobit_signer_id="signer2")

    with django_capture_on_commit_callbacks(execute=True):
        declines.signer_decline(signer=signer, reason="I am not a party to this")

    sent.refresh_from_db()
    assert sent.status == Signing.Status.COMPLETED
    assert sent.signed_file
    assert sent.signers.get(dokobit_signer_id="signer1").status == Signer.Status.SIGNED
    assert Signer.objects.get(pk=signer.pk).status == Signer.Status.DECLINED


def test_the_completion_mails_after_a_carried_on_decline_say_who_signed_and_who_declined(
    sent, django_capture_on_commit_callbacks, monkeypatch
):
    """Not "everyone has signed": the owner reads who declined and why, the signer only who declined."""
    from dokobit_emulator import gateway_views

    monkeypatch.setattr(gateway_views, "gateway_base", lambda request: GW)
    carry_on(sent)
    Signer.objects.filter(signing=sent).update(language="en")
    owner = sent.document.owner
    type(owner).objects.filter(pk=owner.pk).update(language="en")
    signed = sent.signers.get(dokobit_signer_id="signer1")
    declining = sent.signers.get(dokobit_signer_id="signer2")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        declines.signer_decline(signer=declining, reason="I am not a party to this")

    sent.refresh_from_db()
    assert sent.status == Signing.Status.COMPLETED
    completion = {m.to[0]: m for m in mail.outbox if "the signing is finished" in m.subject}
    assert set(completion) == {owner.email, signed.email}  # the one who declined is not told it is signed
    for message in completion.values():
        html = message.alternatives[0][0]
        for body in (message.body, html):
            assert "Everyone has signed" not in body
            assert "not everyone signed it" in body
            assert f"Signed by: {signed}" in body
            assert f"Declined by {declining}" in body
    assert "I am not a party to this" in completion[owner.email].body
    assert "I am not a party to this" in completion[owner.email].alternatives[0][0]
    assert "I am not a party to this" not in completion[signed.email].body
    assert "I am not a party to this" not in completion[signed.email].alternatives[0][0]


def test_carry_on_with_nobody_left_ends_the_signing(gateway, live_signing, django_capture_on_commit_callbacks):
    """The other signer declined before: with no one left to sign, "carry on" has nothing to carry on."""
    carry_on(live_signing)
    Signer.objects.filter(signing=live_signing, dokobit_signer_id="signer2").update(status=Signer.Status.DECLINED)
    gateway.post(DELETE, json={"status": "ok"})

    with django_capture_on_commit_callbacks(execute=True):
        declines.signer_decline(signer=first_signer(live_signing), reason="No")

    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.CANCELLED
    assert len(calls_to(gateway, f"{TOKEN_PATH}/delete.json")) == 1
    assert not calls_to(gateway, f"{TOKEN_PATH}/removesigner.json")
    assert "the signing has been ended" in mail.outbox[0].body


@pytest.mark.parametrize("path", ["/documents/new/", "/documents/new/files/"])
def test_both_upload_forms_store_the_owners_choice_and_default_to_ending(
    path, client, make_user, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from signing.models import Document
    from tests.signing.helpers import formset_data, pdf_bytes, signer_row

    owner = make_user(country_code="LV", personal_code="030303-10012")
    client.force_login(owner)
    assert 'value="end" id="id_on_decline_0" checked' in client.get(path).content.decode()

    def form(title: str, **extra: str) -> dict:
        data = formset_data(signer_row(0))
        data.update({"title": title, **extra})
        if path.endswith("files/"):
            data.update({"signing_type": "usual", "files-TOTAL_FORMS": "1", "files-INITIAL_FORMS": "0"})
            data.update({"files-MIN_NUM_FORMS": "0", "files-MAX_NUM_FORMS": "6", "files-0-role": "main"})
            data["files-0-file"] = SimpleUploadedFile("a.pdf", pdf_bytes(), content_type="application/pdf")
        else:
            data["document"] = SimpleUploadedFile("a.pdf", pdf_bytes(), content_type="application/pdf")
        return data

    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(path, form("Carry on", on_decline="carry_on")).status_code == 302
        assert client.post(path, form("Not said")).status_code == 302

    chosen = {d.title: d.signings.get().on_decline for d in Document.objects.filter(owner=owner)}
    assert chosen == {"Carry on": Signing.OnDecline.CARRY_ON, "Not said": Signing.OnDecline.END}


# --- who can decline, and when -------------------------------------------------------------------


def test_a_signer_who_signed_or_a_finished_signing_cannot_decline(live_signing):
    signer = first_signer(live_signing)
    Signer.objects.filter(pk=signer.pk).update(status=Signer.Status.SIGNED)
    with pytest.raises(SigningNotAllowed):
        declines.signer_decline(signer=signer, reason="No")

    other = live_signing.signers.get(dokobit_signer_id="signer2")
    Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.CREATING)
    with pytest.raises(SigningNotAllowed, match="Please try again in a minute"):
        declines.signer_decline(signer=other, reason="No")
    Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.CANCELLED)
    with pytest.raises(SigningNotAllowed):
        declines.signer_decline(signer=other, reason="No")
    assert not SigningEvent.objects.filter(kind=SigningEvent.Kind.SIGNER_DECLINED).exists()


def test_the_reason_is_required_and_limited(client, live_signing):
    signer = first_signer(live_signing)
    Signer.objects.filter(pk=signer.pk).update(language="en")
    verify_in_session(client, signer)

    empty = client.post(decline_url(signer), {"reason": "   "})
    too_long = client.post(decline_url(signer), {"reason": "x" * 501})

    assert empty.status_code == too_long.status_code == 400
    assert "Please tell the sender why you decline." in empty.content.decode()
    assert "at most 500 characters" in too_long.content.decode()
    assert Signer.objects.get(pk=signer.pk).status == Signer.Status.PENDING


def test_the_decline_page_speaks_the_signers_language(client, live_signing):
    signer = first_signer(live_signing)
    Signer.objects.filter(pk=signer.pk).update(language="ru")
    verify_in_session(client, signer)

    page = client.get(decline_url(signer), HTTP_ACCEPT_LANGUAGE="en")

    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="ru">' in html
    assert "Почему вы отказываетесь?" in html
    assert "Не более 500 символов." in html


def test_the_reason_reaches_the_owners_page_as_text(client, live_signing):
    signer = first_signer(live_signing)
    verify_in_session(client, signer)
    client.post(decline_url(signer), {"reason": "<script>alert(1)</script> too late"})

    owner = Client()
    owner.force_login(live_signing.document.owner)
    page = owner.get(reverse("signing:document-detail", kwargs={"uuid": live_signing.document.uuid}))
    status = owner.get(reverse("signing:document-status", kwargs={"uuid": live_signing.document.uuid})).json()

    html = page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; too late" in html
    assert "<script>alert(1)" not in html
    row = next(s for s in status["signers"] if s["uuid"] == str(signer.uuid))
    assert row["status_label"] == "Declined"
    assert row["decline_text"] == "Reason: <script>alert(1)</script> too late"  # set as text by the page


def test_after_declining_the_link_says_so_and_opens_nothing(client, live_signing):
    signer = first_signer(live_signing)
    Signer.objects.filter(pk=signer.pk).update(language="en")
    verify_in_session(client, signer)
    answer = client.post(decline_url(signer), {"reason": "No"})
    assert answer.status_code == 302
    assert answer["Location"] == link(signer)

    for visitor in (client, Client()):  # the same browser, and one that never proved anything
        page = visitor.get(link(signer))
        assert page.status_code == 410
        assert "You declined to sign" in page.content.decode()
        assert live_signing.document.title not in page.content.decode()
    for name in ("signing:signer-file", "signing:signer-download", "signing:signer-sign", "signing:signer-done"):
        assert client.get(link(signer, name)).status_code == 403, name
    assert client.get(decline_url(signer)).status_code == 403


@pytest.mark.parametrize(
    "who",
    [
        "anonymous",
        "the document's owner",
        "another person",
        "staff who may read any document",
        "staff who may change any document",
        "refused",
    ],
)
def test_only_the_signer_reaches_the_decline_page(who, make_user, live_signing):
    """The decline route's access rows (the route-wide matrix is tests/security/test_object_access.py)."""
    from django.contrib.auth.models import Group

    from signing.staff_roles import OPERATIONS, SUPPORT

    signer = first_signer(live_signing)
    client = Client()
    if who == "the document's owner":
        client.force_login(live_signing.document.owner)
    elif who == "another person":
        client.force_login(make_user(country_code="LV", personal_code="030303-10012"))
    elif who.startswith("staff"):
        staff = make_user(country_code="EE", personal_code="60001019906", is_staff=True)
        staff.groups.add(Group.objects.get(name=OPERATIONS if "change" in who else SUPPORT))
        client.force_login(staff)
    elif who == "refused":
        session = client.session
        session[REFUSED_SESSION_KEY] = [str(signer.uuid)]
        session.save()

    shown = client.get(decline_url(signer))
    posted = client.post(decline_url(signer), {"reason": "Declined by someone else"})

    for answer in (shown, posted):
        assert answer.status_code == 403
        assert "This link cannot be used" in answer.content.decode()
        assert live_signing.document.title not in answer.content.decode()
    assert Signer.objects.get(pk=signer.pk).status == Signer.Status.PENDING
    # The signer themself does reach it.
    own = Client()
    verify_in_session(own, signer)
    assert own.get(decline_url(signer)).status_code == 200


# --- the language Dokobit's page gets, and personal data ------------------------------------------


@pytest.mark.parametrize(
    ("languages", "expected"),
    [
        (["lt"], "lt"),
        (["fi", "et", "et"], "et"),  # the first signer's Finnish is not on Dokobit's page
        (["ru", "en"], "ru"),  # a tie: the earlier signer's
        (["en", "ru", "ru"], "ru"),  # most signers
        (["fi", "sv", "da", "nb"], "en"),  # none offered
        ([], "en"),
    ],
)
def test_dokobit_gets_the_language_most_signers_chose_among_those_its_page_offers(languages, expected):
    assert dokobit_signing_language(languages) == expected


def test_a_resend_never_asks_dokobit_for_a_signer_who_declined(
    gateway, make_document, django_capture_on_commit_callbacks
):
    from tests.signing.helpers import create_ok, mock_upload, send

    document = make_document(2)
    Signer.objects.filter(document=document, dokobit_signer_id="signer1").update(status=Signer.Status.DECLINED)
    mock_upload(gateway)
    gateway.add_callback("POST", f"{GW}/api/signing/create.json", callback=create_ok)

    send(document.signings.get(), django_capture_on_commit_callbacks)

    body = json.loads(calls_to(gateway, "/api/signing/create.json")[0].request.body)
    assert [s["id"] for s in body["signers"]] == ["signer2"]


def test_the_reason_is_in_the_data_download_and_erased_with_the_account(live_signing, make_user):
    signer = first_signer(live_signing)
    declines.signer_decline(signer=signer, reason="Private reason")
    person = make_user(country_code=signer.country_code, personal_code=signer.personal_code)

    mine = account_documents_export(person)["asked_to_sign"]
    owners = account_documents_export(live_signing.document.owner)["documents"][0]["signers"]

    assert mine[0]["decline_reason"] == "Private reason"
    assert mine[0]["status"] == "declined"
    assert any(row["decline_reason"] == "Private reason" for row in owners)

    account_documents_delete(person)
    signer.refresh_from_db()
    assert signer.decline_reason == ""
    assert signer.status == Signer.Status.DECLINED  # the owner's record of the decline stays
