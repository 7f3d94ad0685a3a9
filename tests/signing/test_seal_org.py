"""The organisation's automatic e-seal: after all signers, instead of signers, and what happens when
Dokobit fails (500, no answer in time, an answer cut short or unreadable, a refusal), driven
against the emulator in-process with its fault switches."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from dokobit_emulator import faults, gateway_views
from dokobit_emulator.models import GatewaySigning
from organisations.models import Membership, Organisation, Role, SealMode
from organisations.services import organisation_create
from portal.http import GatewayUnavailable
from signing.documents import document_create
from signing.models import Signing, SigningEvent
from signing.seal_org import organisation_seal_run
from signing.sync import signing_sync_from_gateway
from signing.tasks import _signing_organisation_seal_task_failure, signing_send_task
from signing.trust_models import SealStatus, ValidationReport
from tests.signing.bad_files import make_pdf
from tests.signing.conftest import EMULATOR, GW, calls_to

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _emulator_apart(tmp_path, settings, monkeypatch):
    settings.DOKOBIT_EMULATOR_ROOT = str(tmp_path / "dokobit")
    # The emulator names its own address in the file URLs it hands out: the configured gateway's.
    monkeypatch.setattr(gateway_views, "gateway_base", lambda request: GW)


@pytest.fixture
def organisation(owner) -> Organisation:
    organisation = organisation_create(
        creator=owner, name="UAB Šiaurė", registration_code="300000000", country_code="LT"
    )
    Organisation.objects.filter(pk=organisation.pk).update(seal_mode=SealMode.AFTER_SIGNERS, seal_purpose="visa")
    organisation.refresh_from_db()
    return organisation


def seal_calls(emulator, signing: Signing) -> list:
    return calls_to(emulator, f"/api/signing/{signing.dokobit_token}/seal.json")


def send(owner, organisation, capture, *, signers) -> Signing:
    with capture(execute=False):
        document = document_create(
            owner=owner,
            uploaded_file=ContentFile(make_pdf(), name="lease.pdf"),
            title="Lease agreement",
            signers=signers,
            organisation=organisation,
        )
    # Its on-commit work (invitations, an instead-of-signers seal) runs as the caller's capture says.
    signing_send_task.delay(document.signings.get().pk)
    return document.signings.get()


def signed_by_all(owner, organisation, signer_data, capture, *, run_seal: bool) -> Signing:
    """Sent in the organisation, signed by its one signer at the emulator, completed by a sync.

    ``run_seal``: the tasks queued by the completion run (the seal among them); otherwise they
    are dropped and the test runs the seal's work itself.
    """
    with capture(execute=True):
        signing = send(owner, organisation, capture, signers=[signer_data(0)])
    signer = signing.document.signers.get()
    signing.refresh_from_db()
    assert Client().post(f"{EMULATOR}/signing/{signing.dokobit_token}/sign", {"access_token": signer.dokobit_token})
    with capture(execute=run_seal):
        signing_sync_from_gateway(signing=signing)
    signing.refresh_from_db()
    assert signing.status == Signing.Status.COMPLETED
    return signing


def test_after_all_signers_the_completed_document_is_sealed_once_and_recorded(
    owner, organisation, signer_data, emulator, client, django_capture_on_commit_callbacks
):
    signing = signed_by_all(owner, organisation, signer_data, django_capture_on_commit_callbacks, run_seal=True)

    signing.refresh_from_db()
    assert signing.seal_status == SealStatus.SEALED
    assert len(seal_calls(emulator, signing)) == 1
    event = SigningEvent.objects.get(signing=signing, kind=SigningEvent.Kind.SEALED)
    assert event.actor is None
    assert event.payload == {"name": "UAB Šiaurė", "purpose": "visa", "visible": False}
    assert GatewaySigning.objects.get(token=signing.dokobit_token).sealed_at is not None
    # The report is of the sealed file, whose last signature is the organisation's.
    report = ValidationReport.objects.get(signing=signing)
    assert report.file_sha256 == signing.signed_sha256
    assert report.signatures[-1]["signer"] == "UAB Šiaurė"

    # A repeated task and a repeated postback (a sync of a completed signing) seal nothing again.
    assert organisation_seal_run(signing_id=signing.pk) is True
    with django_capture_on_commit_callbacks(execute=True):
        signing_sync_from_gateway(signing=signing)
    assert len(seal_calls(emulator, signing)) == 1
    assert SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.SEALED).count() == 1

    client.force_login(owner)
    page = client.get(reverse("signing:document-detail", kwargs={"uuid": signing.document.uuid})).content.decode()
    assert 'data-testid="seal-status">Sealed<' in page
    assert "E-seal added" in page


def test_a_visible_seal_is_placed_as_the_settings_say(
    owner, organisation, signer_data, emulator, django_capture_on_commit_callbacks
):
    Organisation.objects.filter(pk=organisation.pk).update(
        seal_visible=True, seal_page=1, seal_position="top_right", seal_text="Issued by UAB Šiaurė", seal_name="Šiaurė"
    )
    signing = signed_by_all(owner, organisation, signer_data, django_capture_on_commit_callbacks, run_seal=True)

    (call,) = seal_calls(emulator, signing)
    from tests.signing.conftest import json_body

    assert json_body(call) == {
        "token": signing.dokobit_token,
        "name": "Šiaurė",
        "signing_purpose": "visa",
        "pdf": {
            "annotation": {
                "page": 1,
                "top": 40,
                "left": 335,
                "width": 220,
                "height": 60,
                "text": "Issued by UAB Šiaurė",
            }
        },
    }


def test_no_seal_when_the_organisation_has_none_or_for_a_personal_document(
    owner, organisation, signer_data, emulator, django_capture_on_commit_callbacks
):
    Organisation.objects.filter(pk=organisation.pk).update(seal_mode=SealMode.OFF)
    signing = signed_by_all(owner, organisation, signer_data, django_capture_on_commit_callbacks, run_seal=True)
    assert signing.seal_status == SealStatus.NONE
    assert seal_calls(emulator, signing) == []


def test_gateway_500_is_retried_then_the_failure_is_shown_to_the_owner_and_the_manual_seal_recovers(
    owner, organisation, signer_data, emulator, client, django_capture_on_commit_callbacks
):
    signing = signed_by_all(owner, organisation, signer_data, django_capture_on_commit_callbacks, run_seal=False)
    assert signing.seal_status == SealStatus.REQUESTED
    faults.arm("gateway", "500", endpoint="signing.seal", times=2)

    for _attempt in range(2):  # each attempt asks the status first, then seals, then asks again
        with pytest.raises(GatewayUnavailable):
            organisation_seal_run(signing_id=signing.pk)
    assert Signing.objects.get(pk=signing.pk).seal_status == SealStatus.REQUESTED
    assert not SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.SEALED).exists()

    # The retries ran out: the owner reads why on the document page.
    _signing_organisation_seal_task_failure(None, GatewayUnavailable("500"), "task", (signing.pk,), {}, None)
    signing.refresh_from_db()
    assert signing.seal_status == SealStatus.FAILED
    assert signing.needs_attention
    client.force_login(owner)
    url = reverse("signing:document-detail", kwargs={"uuid": signing.document.uuid})
    page = client.get(url).content.decode()
    assert "the organisation&#x27;s e-seal was not added" in page
    assert 'data-testid="seal-status">Sealing failed<' in page
    assert 'data-testid="seal-open"' in page  # the admin may seal by hand

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("signing:signing-seal", kwargs={"uuid": signing.document.uuid}),
            {"seal-name": "UAB Šiaurė", "seal-signing_purpose": "confirmation"},
            follow=True,
        )
    assert "The document was sealed." in answer.content.decode()
    signing.refresh_from_db()
    assert signing.seal_status == SealStatus.SEALED
    assert not signing.needs_attention
    assert organisation_seal_run(signing_id=signing.pk) is True  # a late retry does nothing
    assert len([c for c in seal_calls(emulator, signing) if c.response.status_code == 200]) == 1


@pytest.mark.parametrize("mode", ["cut_short", "ambiguous_timeout"])
def test_a_seal_whose_answer_was_lost_is_recorded_once_and_never_repeated(
    owner, organisation, signer_data, emulator, django_capture_on_commit_callbacks, mode
):
    signing = signed_by_all(owner, organisation, signer_data, django_capture_on_commit_callbacks, run_seal=False)
    faults.arm("gateway", mode, endpoint="signing.seal")

    with django_capture_on_commit_callbacks(execute=True):
        assert organisation_seal_run(signing_id=signing.pk) is True

    signing.refresh_from_db()
    assert signing.seal_status == SealStatus.SEALED
    assert len(seal_calls(emulator, signing)) == 1
    assert SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.SEALED).count() == 1


def test_a_timeout_leaves_the_seal_claimed_for_the_retry_which_seals_once(
    owner, organisation, signer_data, emulator, django_capture_on_commit_callbacks
):
    signing = signed_by_all(owner, organisation, signer_data, django_capture_on_commit_callbacks, run_seal=False)
    faults.arm("gateway", "timeout", endpoint="signing.seal")

    with pytest.raises(GatewayUnavailable):
        organisation_seal_run(signing_id=signing.pk)
    assert Signing.objects.get(pk=signing.pk).seal_status == SealStatus.REQUESTED

    with django_capture_on_commit_callbacks(execute=True):
        assert organisation_seal_run(signing_id=signing.pk) is True
    assert len([c for c in seal_calls(emulator, signing) if c.response.status_code == 200]) == 1


@pytest.mark.parametrize("mode", ["malformed_json", "html_error"])
def test_a_nonsense_answer_is_not_taken_for_a_seal_nor_a_refusal(
    owner, organisation, signer_data, emulator, django_capture_on_commit_callbacks, mode
):
    signing = signed_by_all(owner, organisation, signer_data, django_capture_on_commit_callbacks, run_seal=False)
    faults.arm("gateway", mode, endpoint="signing.seal")

    with pytest.raises(GatewayUnavailable):
        organisation_seal_run(signing_id=signing.pk)
    signing.refresh_from_db()
    assert signing.seal_status == SealStatus.REQUESTED
    assert not signing.needs_attention

    with django_capture_on_commit_callbacks(execute=True):
        assert organisation_seal_run(signing_id=signing.pk) is True
    assert SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.SEALED).count() == 1


def test_a_refused_seal_fails_at_once_with_the_reason_and_is_not_retried(
    owner, organisation, signer_data, emulator, django_capture_on_commit_callbacks
):
    # The seal's page is past the document's end: Dokobit's validation error, final.
    Organisation.objects.filter(pk=organisation.pk).update(seal_visible=True, seal_page=40)
    signing = signed_by_all(owner, organisation, signer_data, django_capture_on_commit_callbacks, run_seal=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert organisation_seal_run(signing_id=signing.pk) is False

    signing.refresh_from_db()
    assert signing.seal_status == SealStatus.FAILED
    assert signing.attention_reason == "Dokobit refused the organisation's e-seal; the document is not sealed."
    assert organisation_seal_run(signing_id=signing.pk) is False
    assert len(seal_calls(emulator, signing)) == 1
    # The unsealed file still gets its report.
    assert ValidationReport.objects.get(signing=signing).file_sha256 == signing.signed_sha256


def test_instead_of_signers_a_document_sent_with_none_is_created_without_signers_and_sealed(
    owner, organisation, emulator, client, django_capture_on_commit_callbacks
):
    from tests.signing.conftest import json_body

    Organisation.objects.filter(pk=organisation.pk).update(seal_mode=SealMode.INSTEAD)
    with django_capture_on_commit_callbacks(execute=True):
        signing = send(owner, organisation, django_capture_on_commit_callbacks, signers=[])

    (create,) = calls_to(emulator, "/api/signing/create.json")
    assert "signers" not in json_body(create)
    signing.refresh_from_db()
    assert signing.status == Signing.Status.COMPLETED
    assert signing.seal_status == SealStatus.SEALED
    assert len(seal_calls(emulator, signing)) == 1
    kinds = list(SigningEvent.objects.filter(signing=signing).values_list("kind", flat=True))
    assert SigningEvent.Kind.COMPLETED in kinds
    assert SigningEvent.Kind.SEALED in kinds
    report = ValidationReport.objects.get(signing=signing)
    assert [s["signer"] for s in report.signatures] == ["UAB Šiaurė"]
    # The owner is told it was sealed, not that "everyone has signed".
    (message,) = [m for m in mail.outbox if m.to == [owner.email]]
    assert message.subject == "“Lease agreement” has been sealed"
    assert "The document “Lease agreement” was sealed with the organisation's e-seal." in message.body
    assert "Everyone has signed" not in message.body
    client.force_login(owner)
    download = client.get(reverse("signing:signed-download", kwargs={"uuid": signing.document.uuid}))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_instead_of_signers_a_failed_seal_leaves_the_document_waiting_with_the_reason_and_a_manual_seal(
    owner, organisation, emulator, client, django_capture_on_commit_callbacks
):
    Organisation.objects.filter(pk=organisation.pk).update(seal_mode=SealMode.INSTEAD)
    faults.arm("gateway", "503", endpoint="signing.seal", times=1)
    with django_capture_on_commit_callbacks(execute=False):  # the queued seal task is run below, by hand
        signing = send(owner, organisation, django_capture_on_commit_callbacks, signers=[])
    with pytest.raises(GatewayUnavailable):
        organisation_seal_run(signing_id=signing.pk)
    _signing_organisation_seal_task_failure(None, GatewayUnavailable("503"), "task", (signing.pk,), {}, None)
    signing.refresh_from_db()
    assert signing.status == Signing.Status.PENDING
    assert signing.seal_status == SealStatus.FAILED

    client.force_login(owner)
    page = client.get(reverse("signing:document-detail", kwargs={"uuid": signing.document.uuid})).content.decode()
    assert 'data-testid="seal-open"' in page
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("signing:signing-seal", kwargs={"uuid": signing.document.uuid}),
            {"seal-name": "UAB Šiaurė", "seal-signing_purpose": "confirmation"},
            follow=True,
        )
    assert "The document was sealed." in answer.content.decode()
    signing.refresh_from_db()
    assert (signing.status, signing.seal_status) == (Signing.Status.COMPLETED, SealStatus.SEALED)


def test_a_member_without_the_admin_role_gets_no_seal_settings_and_a_forged_post_changes_nothing(
    owner, organisation, make_user, client
):
    member = make_user(country_code="EE", personal_code="60001018800", first_name="Member")
    Membership.objects.create(organisation=organisation, user=member, role=Role.MEMBER)
    viewer = make_user(country_code="LV", personal_code="030303-10012", first_name="Viewer")
    Membership.objects.create(organisation=organisation, user=viewer, role=Role.VIEWER)
    url = reverse("organisations:settings", kwargs={"uuid": organisation.uuid})
    for person in (member, viewer):
        client.force_login(person)
        page = client.get(url)
        assert page.status_code == 403
        assert "seal-settings" not in page.content.decode()
        forged = client.post(url, {"name": organisation.name, "seal_mode": SealMode.INSTEAD, "seal_name": "Forged"})
        assert forged.status_code == 403
        assert "Only the organisation&#x27;s admins can do this." in forged.content.decode()
    organisation.refresh_from_db()
    assert (organisation.seal_mode, organisation.seal_name) == (SealMode.AFTER_SIGNERS, "")


def test_the_admin_sets_the_seal_and_bad_values_are_refused_with_the_reason(owner, organisation, client):
    client.force_login(owner)
    url = reverse("organisations:settings", kwargs={"uuid": organisation.uuid})
    page = client.get(url).content.decode()
    assert 'data-testid="seal-settings"' in page
    assert "Containers (ASiC-E, BDOC, EDOC, ADOC) are not sealed automatically" in page

    base = {
        "name": organisation.name,
        "document_visibility": "all",
        "signing_order": "parallel",
        "decline_action": "end",
    }
    bad = client.post(url, {**base, "seal_mode": "sometimes", "seal_page": "0", "seal_purpose": "x"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Select a valid choice. sometimes is not one of the available choices." in text
    assert "Choose a page between 1 and 999." in text
    organisation.refresh_from_db()
    assert organisation.seal_mode == SealMode.AFTER_SIGNERS

    ok = client.post(
        url,
        {
            **base,
            "seal_mode": "instead",
            "seal_name": "  UAB   Šiaurė  ",
            "seal_purpose": "confirmation",
            "seal_visible": "on",
            "seal_page": "2",
            "seal_position": "bottom_right",
            "seal_text": "Issued",
        },
        follow=True,
    )
    assert "The settings were saved." in ok.content.decode()
    organisation.refresh_from_db()
    assert (organisation.seal_mode, organisation.seal_name, organisation.seal_page, organisation.seal_position) == (
        SealMode.INSTEAD,
        "UAB Šiaurė",
        2,
        "bottom_right",
    )


def test_a_seal_whose_task_was_lost_is_queued_again_by_the_sweep_once(
    owner, organisation, signer_data, emulator, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from signing.recovery import sweep

    signing = signed_by_all(owner, organisation, signer_data, django_capture_on_commit_callbacks, run_seal=False)
    assert signing.seal_status == SealStatus.REQUESTED  # claimed; its task never ran (the broker lost it)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep()["seals"] == 0  # too recent: perhaps still being retried
    later = timezone.now() + timedelta(minutes=settings.SIGNING_SWEEP_STALLED_AFTER_MINUTES + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=later)["seals"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=later)["seals"] == 0

    signing.refresh_from_db()
    assert signing.seal_status == SealStatus.SEALED
    assert len(seal_calls(emulator, signing)) == 1


def test_the_open_page_keeps_asking_while_the_seal_is_added_and_then_shows_it(
    owner, organisation, signer_data, emulator, client, django_capture_on_commit_callbacks
):
    """The page's status says the signing is complete but not yet final while its seal is under
    way, and carries the seal's status, so the open page shows it without a reload."""
    signing = signed_by_all(owner, organisation, signer_data, django_capture_on_commit_callbacks, run_seal=False)
    client.force_login(owner)
    status_url = reverse("signing:document-status", kwargs={"uuid": signing.document.uuid})

    while_sealing = client.get(status_url).json()
    assert (while_sealing["status_label"], while_sealing["seal_status_label"]) == ("Signed", "Being sealed")
    assert while_sealing["final"] is False

    assert organisation_seal_run(signing_id=signing.pk) is True
    sealed = client.get(status_url).json()
    assert (sealed["seal_status_label"], sealed["final"]) == ("Sealed", True)


def test_a_document_with_no_seal_is_final_once_signed_and_its_page_hides_the_seal_line(
    owner, organisation, signer_data, emulator, client, django_capture_on_commit_callbacks
):
    Organisation.objects.filter(pk=organisation.pk).update(seal_mode=SealMode.OFF)
    signing = signed_by_all(owner, organisation, signer_data, django_capture_on_commit_callbacks, run_seal=True)
    client.force_login(owner)

    status = client.get(reverse("signing:document-status", kwargs={"uuid": signing.document.uuid})).json()
    page = client.get(reverse("signing:document-detail", kwargs={"uuid": signing.document.uuid})).content.decode()

    assert status["final"] is True
    assert "seal_status_label" not in status
    assert "<dt data-seal-row hidden>" in page
