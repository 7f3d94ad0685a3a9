"""Signing order (issue 15): who is invited when, the turn after each signature, the signer who
opens their link too early, the owner's changes while pending, reminders, and a re-upload.

Run offline against the emulator (its postbacks dropped: a sync is what a postback triggers).
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from dokobit_emulator import gateway_views
from signing.documents import document_create
from signing.errors import SigningNotAllowed
from signing.models import Signer, Signing, SigningEvent, SigningOrder
from signing.order import EARLIER, LATER, order_groups, signer_move, signers_on_turn
from signing.owner_actions import signer_invite_resend, signer_remove
from signing.reminders import signer_reminder_send
from signing.sync import signing_sync_from_gateway
from signing.tasks import signing_send_task
from tests.signing.bad_files import make_pdf
from tests.signing.conftest import EMULATOR, GW
from tests.signing.helpers import link, verify_in_session
from tests.signing.visible import shown_testids

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _gateway_address(monkeypatch):
    # The emulator names its own address in the file URLs it hands out: the configured gateway's.
    monkeypatch.setattr(gateway_views, "gateway_base", lambda request: GW)


@pytest.mark.parametrize(
    ("order", "requested", "groups"),
    [
        (SigningOrder.PARALLEL, [None, 3, 2], [1, 1, 1]),
        (SigningOrder.SEQUENTIAL, [None, None, None], [1, 2, 3]),
        (SigningOrder.GROUPS, [2, 5, 5, None], [2, 3, 3, 1]),
        (SigningOrder.GROUPS, [1, 1, 2], [1, 1, 2]),
    ],
)
def test_groups_are_numbered_from_one_without_gaps(order, requested, groups):
    assert order_groups(order, requested) == groups


def en(signer_data, index, **overrides):
    """A signer who reads English (the e-mails below are told apart by their English subject)."""
    return signer_data(index, language="en", **overrides)


def send_document(owner, signers, capture, *, order, copies=()):
    with capture(execute=False):
        document = document_create(
            owner=owner,
            uploaded_file=ContentFile(make_pdf(), name="lease.pdf"),
            title="Lease agreement",
            signers=signers,
            signing_order=order,
            copies=copies,
        )
    with capture(execute=True):
        signing_send_task.delay(document.signings.get().pk)
    signing = document.signings.get()
    assert signing.status == Signing.Status.PENDING
    return document, signing


def sign_at_emulator(signing: Signing, signer: Signer) -> None:
    signer.refresh_from_db()
    answer = Client().post(f"{EMULATOR}/signing/{signing.dokobit_token}/sign", {"access_token": signer.dokobit_token})
    assert answer.status_code == 200


def invited(document) -> list[str]:
    """Who got an invitation e-mail, in the order they went out."""
    return [message.to[0] for message in mail.outbox if "asks you to sign" in message.subject]


def sync(signing, capture) -> Signing:
    with capture(execute=True):
        return signing_sync_from_gateway(signing=signing)


def test_in_order_the_next_signer_is_invited_only_after_the_one_before_signed(
    emulator, owner, signer_data, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    document, signing = send_document(
        owner, [en(signer_data, 0), en(signer_data, 1), en(signer_data, 2)], capture, order=SigningOrder.SEQUENTIAL
    )
    first, second, third = document.signers.order_by("position")
    assert invited(document) == [first.email]
    # Dokobit gave every signer a token at once: the portal simply does not hand the later ones out.
    assert all(s.dokobit_token for s in (first, second, third))
    assert [s.pk for s in signers_on_turn(document)] == [first.pk]

    sign_at_emulator(signing, first)
    sync(signing, capture)
    assert invited(document) == [first.email, second.email]
    # The same signature reported again (a repeated postback, a reconcile) invites nobody twice.
    sync(signing, capture)
    assert invited(document) == [first.email, second.email]
    assert SigningEvent.objects.filter(document=document, kind="invitation_sent").count() == 2

    sign_at_emulator(signing, second)
    sync(signing, capture)
    assert invited(document) == [first.email, second.email, third.email]
    sign_at_emulator(signing, third)
    sync(signing, capture)
    signing.refresh_from_db()
    assert signing.status == Signing.Status.COMPLETED


def test_groups_invite_everyone_in_a_group_together(emulator, owner, signer_data, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    signers = [en(signer_data, 0, order_group=1), en(signer_data, 1, order_group=2), en(signer_data, 2, order_group=1)]
    document, signing = send_document(owner, signers, capture, order=SigningOrder.GROUPS)
    a, b, c = document.signers.order_by("position")
    assert sorted(invited(document)) == sorted([a.email, c.email])
    sign_at_emulator(signing, a)
    sync(signing, capture)
    assert b.email not in invited(document)  # c of group 1 has not signed yet
    sign_at_emulator(signing, c)
    sync(signing, capture)
    assert invited(document)[-1] == b.email


def test_a_signer_whose_turn_has_not_come_sees_who_signs_first_and_not_the_document(
    emulator, owner, signer_data, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    document, _ = send_document(owner, [en(signer_data, 0), en(signer_data, 1)], capture, order=SigningOrder.SEQUENTIAL)
    first, second = document.signers.order_by("position")
    client = Client()
    page = client.get(link(second))
    body = page.content.decode()
    assert page.status_code == 200
    assert "It is not your turn to sign yet" in body
    assert f"You will be asked to sign after {first.first_name} {first.last_name}." in body
    assert document.title not in body
    assert 'data-testid="identity-start"' not in body
    # Even a browser that proved to be this signer gets neither the file nor Dokobit's page.
    verify_in_session(client, second)
    for name in ("signing:signer-file", "signing:signer-download", "signing:signer-sign", "signing:signer-page-image"):
        assert client.get(link(second, name)).status_code == 403, name
    assert client.post(link(second, "signing:signer-identity-start")).status_code == 403
    # The first signer's link leads to the eID check as always.
    assert "It is not your turn" not in Client().get(link(first)).content.decode()


def test_removing_the_only_signer_of_the_current_turn_invites_the_next(
    emulator, owner, signer_data, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    document, _ = send_document(owner, [en(signer_data, 0), en(signer_data, 1)], capture, order=SigningOrder.SEQUENTIAL)
    first, second = document.signers.order_by("position")
    with capture(execute=True):
        signer_remove(signer=first, actor=owner)
    assert invited(document) == [first.email, second.email]
    second.refresh_from_db()
    assert second.order_group == 1  # renumbered: no empty turn before them


def test_moving_a_signer_earlier_swaps_the_turn_and_the_owner_sees_it(
    emulator, owner, signer_data, django_capture_on_commit_callbacks, client
):
    capture = django_capture_on_commit_callbacks
    document, _ = send_document(owner, [en(signer_data, 0), en(signer_data, 1)], capture, order=SigningOrder.SEQUENTIAL)
    first, second = document.signers.order_by("position")
    with capture(execute=True):
        signer_move(signer=second, direction=EARLIER, actor=owner)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.order_group, first.order_group) == (1, 2)
    assert invited(document) == [first.email, second.email]
    # The first signer, invited before the move, now waits: no reminder, no resend, no Dokobit page.
    with pytest.raises(SigningNotAllowed):
        signer_invite_resend(signer=first, actor=owner)
    assert signer_reminder_send(signer_id=first.pk) is False
    assert "It is not your turn to sign yet" in Client().get(link(first)).content.decode()

    client.force_login(owner)
    detail = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    assert f'id="signing-turn">{second.first_name} {second.last_name}<' in detail
    assert "Not their turn yet" in detail
    # Only the signer whose turn it is can be re-sent the invitation; only one can move, and one way.
    shown = shown_testids(detail)
    assert [t for t in shown if t.startswith("signer-resend-")] == ["signer-resend-2"]
    assert "signer-earlier-1" in shown  # the first signer, now second in line
    assert "signer-later-1" not in shown
    assert "signer-earlier-2" not in shown
    status = client.get(reverse("signing:document-status", kwargs={"uuid": document.uuid})).json()
    assert status["turn_label"] == f"{second.first_name} {second.last_name}"
    assert [s["status_label"] for s in status["signers"]] == ["Waiting", "Not their turn yet"]

    # Moving the last one later, or in a signing of everyone at once, changes nothing / is refused.
    with capture(execute=True):
        assert signer_move(signer=first, direction=LATER, actor=owner) is False
    first.refresh_from_db()
    assert first.order_group == 2
    assert SigningEvent.objects.filter(document=document, kind="signer_moved").count() == 1


def test_everyone_at_once_stays_as_before(emulator, owner, signer_data, django_capture_on_commit_callbacks):
    document, _ = send_document(
        owner,
        [en(signer_data, 0), en(signer_data, 1)],
        django_capture_on_commit_callbacks,
        order=SigningOrder.PARALLEL,
    )
    assert sorted(invited(document)) == sorted(s.email for s in document.signers.all())
    with pytest.raises(SigningNotAllowed):
        signer_move(signer=document.signers.first(), direction=LATER, actor=owner)


def test_the_upload_page_stores_the_order_and_the_groups(owner_client, owner):
    from signing.models import Document
    from tests.signing.helpers import pdf_upload, signer_row, upload_post

    rows = [
        signer_row(0, order_group="2"),
        signer_row(1, personal_code="60001019906", country_code="EE", email="b@example.test", order_group="1"),
    ]
    data = upload_post(file=pdf_upload(), rows=rows)
    data["signing_order"] = SigningOrder.GROUPS
    response = owner_client.post(reverse("signing:document-new"), data)
    assert response.status_code == 302, re.findall(r"(?:field|form)-error[^>]*>([^<]+)<", response.content.decode())
    document = Document.objects.get(owner=owner)
    assert document.signing_order == SigningOrder.GROUPS
    assert [s.order_group for s in document.signers.order_by("position")] == [2, 1]


def test_an_unknown_order_is_refused_with_a_message(owner_client):
    from tests.signing.helpers import pdf_upload, upload_post

    data = upload_post(file=pdf_upload())
    data["signing_order"] = "backwards"
    response = owner_client.post(reverse("signing:document-new"), data)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_a_reupload_keeps_the_order_and_invites_nobody_twice(
    emulator, owner, signer_data, staff, django_capture_on_commit_callbacks, client
):
    from tests.signing.helpers import reupload_now

    capture = django_capture_on_commit_callbacks
    signers = [en(signer_data, 0), en(signer_data, 1), en(signer_data, 2)]
    document, signing = send_document(owner, signers, capture, order=SigningOrder.SEQUENTIAL)
    first, second, third = document.signers.order_by("position")
    sign_at_emulator(signing, first)
    sync(signing, capture)
    assert invited(document) == [first.email, second.email]

    with capture(execute=True):
        reupload_now(client, staff, document)
    renewed = Signing.objects.get(previous=signing)
    assert renewed.status == Signing.Status.PENDING
    assert [s.order_group for s in document.signers.order_by("position")] == [1, 2, 3]
    assert invited(document) == [first.email, second.email]  # nobody again, the third not yet
    assert "It is not your turn to sign yet" in Client().get(link(third)).content.decode()

    # The second signer signs the renewed copy; then it is the third one's turn.
    second.refresh_from_db()
    assert second.signing_id == renewed.pk
    sign_at_emulator(renewed, second)
    sync(renewed, capture)
    assert invited(document) == [first.email, second.email, third.email]


def test_reminders_go_only_to_signers_whose_turn_it_is(
    emulator, owner, signer_data, django_capture_on_commit_callbacks, settings
):
    import datetime

    from django.utils import timezone

    settings.SIGNING_REMINDER_AFTER_DAYS = 1
    settings.SIGNING_REMINDER_MAX = 3
    capture = django_capture_on_commit_callbacks
    document, _ = send_document(owner, [en(signer_data, 0), en(signer_data, 1)], capture, order=SigningOrder.SEQUENTIAL)
    first, second = document.signers.order_by("position")
    with capture(execute=True):
        signer_move(signer=second, direction=EARLIER, actor=owner)  # both are now invited; second's turn
    week_ago = timezone.now() - datetime.timedelta(days=7)
    Signer.objects.filter(document=document).update(invited_at=week_ago)
    mail.outbox.clear()
    assert signer_reminder_send(signer_id=first.pk) is False
    assert signer_reminder_send(signer_id=second.pk) is True
    assert [m.to for m in mail.outbox] == [[second.email]]


def test_in_groups_a_signer_moves_to_the_neighbouring_group(
    emulator, owner, signer_data, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    signers = [en(signer_data, 0, order_group=1), en(signer_data, 1, order_group=1), en(signer_data, 2, order_group=2)]
    document, _ = send_document(owner, signers, capture, order=SigningOrder.GROUPS)
    a, b, c = document.signers.order_by("position")
    with capture(execute=True):
        assert signer_move(signer=a, direction=LATER, actor=owner) is True
    assert [s.order_group for s in document.signers.order_by("position")] == [2, 1, 2]
    with capture(execute=True):
        assert signer_move(signer=c, direction=EARLIER, actor=owner) is True
    assert [s.order_group for s in document.signers.order_by("position")] == [2, 1, 1]
    # c's turn came with the move: invited now, once; a (invited before) now waits.
    assert sorted(invited(document)) == sorted([a.email, b.email, c.email])
    assert "It is not your turn to sign yet" in Client().get(link(a)).content.decode()


def test_when_the_others_carry_on_a_decline_hands_the_turn_on(
    emulator, owner, signer_data, django_capture_on_commit_callbacks
):
    from signing.declines import signer_decline

    capture = django_capture_on_commit_callbacks
    document, signing = send_document(
        owner, [en(signer_data, 0), en(signer_data, 1)], capture, order=SigningOrder.SEQUENTIAL
    )
    Signing.objects.filter(pk=signing.pk).update(on_decline=Signing.OnDecline.CARRY_ON)
    first, second = document.signers.order_by("position")
    assert invited(document) == [first.email]
    with capture(execute=True):
        signer_decline(signer=first, reason="Wrong company name")
    assert invited(document) == [first.email, second.email]
    assert "It is not your turn" not in Client().get(link(second)).content.decode()


def test_the_inbox_signs_nothing_whose_turn_has_not_come(
    emulator, owner, signer_data, make_user, django_capture_on_commit_callbacks
):
    from signing.inbox import inbox_signers_for_batch

    capture = django_capture_on_commit_callbacks
    document, signing = send_document(
        owner, [en(signer_data, 0), en(signer_data, 1)], capture, order=SigningOrder.SEQUENTIAL
    )
    first, second = document.signers.order_by("position")
    person = make_user(country_code=second.country_code, personal_code=second.personal_code, first_name="Second")
    assert inbox_signers_for_batch(user=person, signer_uuids=[str(second.uuid)]) == []
    sign_at_emulator(signing, first)
    sync(signing, capture)
    assert inbox_signers_for_batch(user=person, signer_uuids=[str(second.uuid)]) == [second]
