"""The organisation pages as people use them: switching spaces, the lists, uploads, settings, the logo."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from organisations.models import Organisation
from organisations.preferences import settings_for
from signing.models import Document
from tests.signing.helpers import pdf_upload, upload_post

pytestmark = pytest.mark.django_db


def _enter(client, organisation) -> None:
    response = client.post(reverse("organisations:space-switch"), {"space": str(organisation.uuid)})
    assert response.status_code == 302


def _listed(client) -> set[str]:
    response = client.get(reverse("signing:document-list"))
    assert response.status_code == 200
    return {document.title for document in response.context["documents"]}


def test_each_space_lists_its_own_documents(org_world):
    client = org_world.client("admin")
    assert _listed(client) == {"Admin's personal will"}
    _enter(client, org_world.organisation)
    assert _listed(client) == {
        "Member's supply contract",
        "Admin's board minutes",
        "Shared price list",
        "Removed member's lease",
    }
    page = client.get(reverse("signing:document-list")).content.decode()
    assert "Documents of Acme UAB" in page
    client.post(reverse("organisations:space-switch"), {"space": "personal"})
    assert _listed(client) == {"Admin's personal will"}


def test_members_see_their_own_and_shared_when_the_organisation_says_so(own_and_shared):
    member, viewer = own_and_shared.client("member"), own_and_shared.client("viewer")
    _enter(member, own_and_shared.organisation)
    _enter(viewer, own_and_shared.organisation)
    assert _listed(member) == {"Member's supply contract", "Shared price list"}
    assert _listed(viewer) == {"Shared price list"}


def test_a_space_someone_does_not_belong_to_cannot_be_entered(org_world):
    client = org_world.client("outsider")
    response = client.post(reverse("organisations:space-switch"), {"space": str(org_world.organisation.uuid)})
    assert response.status_code == 404
    assert _listed(client) == set()


def test_a_removed_member_falls_back_to_the_personal_space(org_world):
    from organisations.services import membership_end

    client = org_world.client("member")
    _enter(client, org_world.organisation)
    assert "Member's supply contract" in _listed(client)
    membership_end(membership=org_world.memberships["member"])
    assert _listed(client) == set()
    assert "You are working in your personal space." in client.get(reverse("dashboard")).content.decode()


def test_a_document_uploaded_in_an_organisation_belongs_to_it(org_world, django_capture_on_commit_callbacks):
    client = org_world.client("member")
    _enter(client, org_world.organisation)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("signing:document-new"), upload_post(title="Order 17", file=pdf_upload()))
    assert response.status_code == 302
    document = Document.objects.get(title="Order 17")
    assert (document.organisation, document.owner) == (org_world.organisation, org_world.users["member"])
    # The admin sees it in the organisation, the member's personal space does not list it.
    admin = org_world.client("admin")
    _enter(admin, org_world.organisation)
    assert "Order 17" in _listed(admin)
    client.post(reverse("organisations:space-switch"), {"space": "personal"})
    assert "Order 17" not in _listed(client)


def test_a_viewer_is_offered_no_upload_and_cannot_upload(org_world):
    client = org_world.client("viewer")
    _enter(client, org_world.organisation)
    assert 'data-testid="dashboard-upload"' not in client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="new-document"' not in client.get(reverse("signing:document-list")).content.decode()
    response = client.post(reverse("signing:document-new"), upload_post(title="Sneaky", file=pdf_upload()))
    assert response.status_code == 403
    assert "read and download its documents only" in response.content.decode()
    assert not Document.objects.filter(title="Sneaky").exists()
    # Nor the upload of several files.
    response = client.get(reverse("signing:container-new"))
    assert response.status_code == 403
    assert "read and download its documents only" in response.content.decode()


def _settings_post(**changes):
    data = {
        "name": "Acme UAB",
        "document_visibility": "own_and_shared",
        "signing_language": "lt",
        "reminder_every_days": "2",
        "deadline_days": "14",
        "signing_order": "sequential",
        "decline_action": "carry_on",
        "sender_name": "Acme contracts",
        "primary_colour": "#AA3300",
        "eid_methods": ["smartid", "mobile"],
    }
    data.update(changes)
    return data


def _png(size=(40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 50, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_admin_saves_the_settings_and_the_features_read_them(org_world):
    client = org_world.client("admin")
    url = reverse("organisations:settings", kwargs={"uuid": org_world.organisation.uuid})
    data = _settings_post(logo_file=SimpleUploadedFile("logo.png", _png(), content_type="image/png"))
    assert client.post(url, data).status_code == 302
    preferences = settings_for(org_world.documents["by_member"])
    assert preferences.signing_language == "lt"
    assert (preferences.reminder_every_days, preferences.deadline_days) == (2, 14)
    assert (preferences.signing_order, preferences.decline_action) == ("sequential", "carry_on")
    assert preferences.sender_name == "Acme contracts"
    assert preferences.primary_colour == "#aa3300"
    assert preferences.eid_methods == ["smartid", "mobile"]
    assert preferences.widget_options()["primaryColor"] == "#aa3300"
    assert preferences.widget_options()["logo"].endswith(f"/organisations/{org_world.organisation.uuid}/logo/")
    logo = client.get(preferences.logo_path)
    assert (logo.status_code, logo["Content-Type"]) == (200, "image/png")
    assert logo.content == _png()
    # A personal document keeps the portal's defaults.
    assert settings_for(org_world.documents["personal"]).organisation is None

    # The upload form of the organisation starts with its defaults.
    _enter(client, org_world.organisation)
    form_page = client.get(reverse("signing:document-new"))
    assert form_page.context["formset"].forms[0].initial["language"] == "lt"
    assert form_page.context["form"].initial["deadline"] is not None
    assert form_page.context["form"].initial["on_decline"] == "carry_on"
    # The organisation's signing order default (issue 15): one after another.
    assert form_page.context["form"].initial["signing_order"] == "sequential"
    assert '<option value="sequential" selected>' in form_page.content.decode()
    # The several-files form too (the decline branch's choice, pre-filled the same way).
    files_page = client.get(reverse("signing:container-new"))
    assert files_page.context["form"].initial["on_decline"] == "carry_on"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png"), "must be a PNG or JPEG"),
        (SimpleUploadedFile("logo.png", b"\\x89PNG" + b"0" * 300_000, content_type="image/png"), "at most 200 KB"),
        (SimpleUploadedFile("logo.png", _png((2500, 10)), content_type="image/png"), "at most 2000 pixels"),
    ],
)
def test_a_bad_logo_is_refused_and_nothing_else_is_lost(org_world, upload, message):
    client = org_world.client("admin")
    url = reverse("organisations:settings", kwargs={"uuid": org_world.organisation.uuid})
    response = client.post(url, _settings_post(logo_file=upload))
    assert response.status_code == 400
    assert message in response.content.decode()
    # The other fields the admin typed are still in the form.
    assert 'value="Acme contracts"' in response.content.decode()
    assert not Organisation.objects.get(pk=org_world.organisation.pk).has_logo


def test_a_bad_colour_and_out_of_range_days_are_refused(org_world):
    client = org_world.client("admin")
    url = reverse("organisations:settings", kwargs={"uuid": org_world.organisation.uuid})
    response = client.post(url, _settings_post(primary_colour="#12345g", reminder_every_days="99"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a colour as # and six hexadecimal digits" in body
    assert "Choose between 1 and 30 days." in body
    assert Organisation.objects.get(pk=org_world.organisation.pk).primary_colour == ""


def test_the_members_page_lists_members_twenty_at_a_time_longest_standing_first(org_world, make_user):
    from datetime import timedelta

    from organisations.models import Membership, Role

    organisation = org_world.organisation
    joined = Membership.objects.get(user=org_world.users["viewer"]).joined_at
    for n in range(20):
        person = make_user(country_code="LT", personal_code=f"3900101{n:04d}", first_name=f"Newer{n:02d}")
        Membership.objects.create(
            organisation=organisation, user=person, role=Role.VIEWER, joined_at=joined + timedelta(minutes=n + 1)
        )
    client = org_world.client("admin")
    url = reverse("organisations:members", kwargs={"uuid": organisation.uuid})
    first = client.get(url).content.decode()
    second = client.get(url + "?page=2").content.decode()
    # Admin, member and viewer joined first; 23 members make two pages.
    assert first.count('data-testid="member-row"') == 20
    assert "Ada Admin" in first
    assert "Newer16" in first
    assert "Newer17" not in first
    assert "Page 1 of 2" in first
    assert second.count('data-testid="member-row"') == 3
    assert "Newer19" in second
    assert "Page 2 of 2" in second
    # Each row shows the member's role and has it chosen in the role switch.
    assert '<td data-label="Role" data-testid="member-role">Viewer</td>' in second
    assert '<option value="viewer" selected>Viewer</option>' in second
