"""Journeys of an organisation: an admin creates one and invites a colleague by e-mail, who registers
with eID through the link and joins as a viewer (no upload offered, none possible); a member working
on an organisation's document is removed and their open page loses it."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from organisations.models import Invitation, Membership, Organisation, Role
from signing.models import Document
from tests.browser.helpers import identify
from tests.journeys.steps import EE_SIGNER, LT_SIGNER, LV_SIGNER, OWNER, log_in, make_owner, upload

pytestmark = [pytest.mark.browser, pytest.mark.journey, pytest.mark.django_db(transaction=True)]

INVITATION_LINK = re.compile(r"https?://[^\s\"<>]+/invitation/[A-Za-z0-9_\-]+/")


def _invitation_link(stack, address: str) -> str:
    message = stack.wait_for_mail(address)[-1]
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = INVITATION_LINK.search(body)
    assert match, f"no invitation link in the message to {address}: {body[:500]}"
    return match.group(0)


def test_create_an_organisation_invite_a_colleague_who_joins_by_eid(stack, people):
    make_owner()
    admin = people.open("admin")
    log_in(admin)
    expect(admin.get_by_test_id("current-space")).to_have_text("You are working in your personal space.")

    # The admin creates the organisation and is its first admin.
    admin.get_by_test_id("nav-new-organisation").click()
    expect(admin).to_have_url(re.compile(r"/organisations/new/$"))
    admin.watch.check("new-organisation")
    admin.get_by_label("Organisation name").fill("Baltic Timber UAB")
    admin.get_by_label("Registration code").fill("304050607")
    admin.get_by_role("main").get_by_label("Country").select_option("LT")
    admin.get_by_test_id("organisation-create").click()
    expect(admin).to_have_url(re.compile(r"/organisations/[0-9a-f-]+/members/$"))
    expect(admin.get_by_role("status")).to_contain_text("The organisation was created. You are its admin.")
    expect(admin.get_by_test_id("space-select").locator("option:checked")).to_have_text("Baltic Timber UAB")
    expect(admin.get_by_test_id("member-role")).to_have_text("Admin")
    admin.watch.check("members")

    # A bad e-mail is refused with a reason, nothing is sent.
    invite = admin.get_by_test_id("invite-form")
    invite.get_by_label("E-mail").fill("not an address")
    admin.watch.allow_console_error(r"400 \(Bad Request\)")
    admin.get_by_test_id("invite-submit").click()
    expect(invite.locator(".field-error")).to_contain_text("Enter a valid email address.")
    admin.watch.check("invite-error")
    assert stack.mails_to("mobile.lt@example.test") == []

    # The colleague is invited as a viewer, pinned to their personal code.
    invite.get_by_label("E-mail").fill(LT_SIGNER.email)
    invite.get_by_label("Role").select_option("viewer")
    invite.get_by_label("Only for the person with this country").select_option("LT")
    invite.get_by_label("and personal code").fill(LT_SIGNER.code)
    admin.get_by_test_id("invite-submit").click()
    expect(admin.get_by_role("status")).to_contain_text("The invitation was sent.")
    expect(admin.get_by_test_id("invitation-row")).to_contain_text(LT_SIGNER.email)
    admin.watch.check("invited")
    link = _invitation_link(stack, LT_SIGNER.email)
    invitation = Invitation.objects.get()
    assert invitation.pinned
    assert LT_SIGNER.code not in invitation.personal_code_encrypted

    # Someone else who gets hold of the link cannot accept it.
    intruder = people.open("intruder")
    intruder.goto(link)
    intruder.get_by_test_id("invitation-register").click()
    intruder.watch.check("register")
    identify(intruder, EE_SIGNER.identity)
    expect(intruder).to_have_url(re.compile(r"/register/details/$"))
    intruder.watch.check("details")
    intruder.get_by_label("E-mail").fill(EE_SIGNER.email)
    intruder.get_by_test_id("registration-submit").click()
    expect(intruder.get_by_test_id("invitation-title")).to_have_text("Join Baltic Timber UAB")
    intruder.get_by_test_id("invitation-accept").click()
    expect(intruder.get_by_test_id("organisation-message")).to_contain_text("meant for another person")
    intruder.watch.allow_console_error(r"403")
    intruder.watch.check("refused")

    # The colleague has no account: they register with eID from the link and come back to it.
    colleague = people.open("colleague")
    colleague.goto(link)
    expect(colleague.get_by_test_id("invitation-title")).to_have_text("Join Baltic Timber UAB")
    colleague.watch.check("invitation")
    colleague.get_by_test_id("invitation-register").click()
    expect(colleague).to_have_url(re.compile(r"/register/\?next=/invitation/"))
    colleague.watch.check("register")
    identify(colleague, LT_SIGNER.identity)
    expect(colleague).to_have_url(re.compile(r"/register/details/$"))
    colleague.watch.check("details")
    colleague.get_by_label("E-mail").fill(LT_SIGNER.email)
    colleague.get_by_test_id("registration-submit").click()
    expect(colleague).to_have_url(re.compile(r"/invitation/[A-Za-z0-9_\-]+/$"))
    colleague.watch.check("back-at-invitation")
    colleague.get_by_test_id("invitation-accept").click()
    expect(colleague).to_have_url(re.compile(r"/dashboard/$"))
    expect(colleague.get_by_role("status")).to_contain_text("Welcome to Baltic Timber UAB. You joined as Viewer.")
    expect(colleague.get_by_test_id("current-space")).to_have_text("You are working in Baltic Timber UAB as Viewer.")
    # A viewer reads and downloads only: no upload offered, and the upload page refuses.
    expect(colleague.get_by_test_id("dashboard-upload")).to_have_count(0)
    colleague.watch.check("viewer-dashboard")
    colleague.get_by_test_id("dashboard-documents").click()
    expect(colleague.get_by_test_id("new-document")).to_have_count(0)
    colleague.watch.check("viewer-documents")
    colleague.goto("/documents/new/")
    expect(colleague.get_by_role("main")).to_contain_text("read and download its documents only")
    colleague.watch.allow_console_error(r"403")
    colleague.watch.check("viewer-upload-refused")
    organisation = Organisation.objects.get()
    assert Membership.objects.get(organisation=organisation, user__email=LT_SIGNER.email).role == Role.VIEWER

    # The link worked once.
    colleague.goto(link)
    expect(colleague.get_by_test_id("organisation-message")).to_contain_text("can no longer be used")
    colleague.watch.allow_console_error(r"410")
    colleague.watch.check("link-used")

    # The admin sees the new member; the colleague can switch back to their personal space.
    admin.reload()
    expect(admin.get_by_test_id("member-name")).to_have_text([OWNER.full_name, LT_SIGNER.full_name])
    admin.watch.check("members-after")
    colleague.get_by_test_id("space-select").select_option("personal")
    expect(colleague.get_by_test_id("current-space")).to_have_text("You are working in your personal space.")
    expect(colleague.get_by_test_id("dashboard-upload")).to_be_visible()
    colleague.watch.check("personal-again")


def test_a_removed_member_loses_the_open_document(stack, people, tmp_path):
    from identity.models import User
    from organisations.services import organisation_create

    admin_user = make_owner()
    organisation = organisation_create(
        creator=admin_user, name="Nordic Paper Oy", registration_code="1234567-8", country_code="FI"
    )
    member_user = User.objects.create_user(
        country_code=LV_SIGNER.country,
        personal_code=LV_SIGNER.code,
        first_name=LV_SIGNER.name,
        last_name=LV_SIGNER.surname,
        email=LV_SIGNER.email,
        language="en",
    )
    membership = Membership.objects.create(organisation=organisation, user=member_user, role=Role.MEMBER)

    # The member uploads a document in the organisation and keeps its page open.
    member = people.open("member")
    log_in(member, LV_SIGNER)
    member.get_by_test_id("space-select").select_option(label="Nordic Paper Oy")
    expect(member.get_by_test_id("current-space")).to_have_text("You are working in Nordic Paper Oy as Member.")
    member.watch.check("member-dashboard")
    member.goto("/documents/new/")
    expect(member.get_by_test_id("upload-space")).to_contain_text("The document will belong to Nordic Paper Oy")
    member.goto("/dashboard/")
    document = upload(member, tmp_path, title="Paper supply 2027", signers=[EE_SIGNER])
    assert (document.organisation_id, document.owner_id) == (organisation.pk, member_user.pk)
    expect(member.get_by_test_id("document-organisation")).to_have_text("Nordic Paper Oy")
    expect(member.get_by_test_id("document-creator")).to_have_text(LV_SIGNER.full_name)

    # The admin brands the organisation: a logo and a colour for its signers' pages and the eID widget.
    admin = people.open("admin")
    log_in(admin)
    admin.get_by_test_id("space-select").select_option(label="Nordic Paper Oy")
    admin.get_by_test_id("nav-settings").click()
    admin.watch.check("settings")
    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 40), (138, 28, 28)).save(logo, format="PNG")
    admin.get_by_label("Logo (PNG or JPEG, at most 200 KB)").set_input_files(str(logo))
    admin.get_by_label("Primary colour").fill("#8a1c1c")
    admin.get_by_label("Smart-ID").check()
    admin.get_by_test_id("settings-save").click()
    expect(admin.get_by_role("status")).to_contain_text("The settings were saved.")
    expect(admin.get_by_test_id("organisation-logo")).to_be_visible()
    admin.watch.check("settings-saved")

    # The signer's page carries the organisation's brand, and so does Dokobit's widget on it.
    signer = people.open("signer")
    signer.goto(stack.signer_link(EE_SIGNER.email))
    brand = signer.get_by_test_id("org-brand")
    expect(brand).to_contain_text("Nordic Paper Oy")
    expect(brand.locator("img")).to_have_js_property("complete", True)
    assert brand.locator("img").evaluate("img => img.naturalWidth") == 120
    signer.get_by_test_id("identity-start").click()
    widget = signer.get_by_test_id("dokobit-identity-widget")
    expect(widget).to_be_visible()
    expect(widget.locator("img").first).to_have_attribute("src", re.compile(r"/organisations/[0-9a-f-]+/logo/$"))
    signer.watch.check("branded-identify")

    # The admin removes the member from the members page.
    admin.get_by_test_id("nav-members").click()
    row = admin.get_by_test_id("member-row").filter(has_text=LV_SIGNER.full_name)
    row.get_by_test_id("member-remove-open").click()
    admin.watch.check("remove-confirm")
    row.get_by_test_id("member-remove").click()
    expect(admin.get_by_role("status")).to_contain_text("The member was removed. Their access ended at once.")
    admin.watch.check("removed")
    assert not Membership.objects.filter(pk=membership.pk).exists()

    # The member's open page learns it at its next status poll, without a reload.
    member.watch.allow_console_error(r"404")
    expect(member.get_by_test_id("access-ended")).to_be_visible(timeout=15_000)
    expect(member.get_by_test_id("document-title")).to_have_count(0)
    expect(member.get_by_test_id("download-original")).to_have_count(0)
    member.watch.check("access-ended")
    # A reload, the download and a preview image are refused too.
    for path in ("", "original/", "page.png?page=1", "status/"):
        response = member.request.get(f"/documents/{document.uuid}/{path}")
        assert response.status == 404, path
    member.goto("/documents/")
    expect(member.get_by_test_id("no-documents")).to_be_visible()
    expect(member.get_by_test_id("space-select").locator("option:checked")).to_have_text("Personal space")
    member.watch.check("list-after")
    # The document stays with the organisation: the admin still has it, with its creator named.
    admin.goto(f"/documents/{document.uuid}/")
    expect(admin.get_by_test_id("document-creator")).to_have_text(LV_SIGNER.full_name)
    admin.watch.check("admin-still-has-it")
    assert Document.objects.filter(pk=document.pk, organisation=organisation).exists()
