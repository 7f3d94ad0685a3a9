"""Shared fixtures of the threat tests, and the services fixtures (PostgreSQL, Redis, workers) they use."""

from __future__ import annotations

import io
import logging
import secrets

import pytest
from django.contrib.auth.models import Group

from identity.models import IdentitySession
from organisations.invitations import invitation_create
from organisations.services import organisation_create
from signing.copies import CopyRecipientData, copy_recipient_new
from signing.models import SigningEvent
from signing.trust_models import ValidationReport
from tests.bulk.helpers import bulk_objects_of
from tests.identity.conftest import complete, identity_api, start_flow  # noqa: F401
from tests.services.conftest import portal_worker, postgres, redis_url  # noqa: F401
from tests.signing.conftest import live_signing, make_document, owner, signer_data  # noqa: F401
from tests.signing.container_files import make_container_document
from tests.signing.helpers import make_document as make_uploaded_document


@pytest.fixture
def console_output():
    """What the configured log handlers really write (after their redacting filter), as a StringIO."""
    buffer = io.StringIO()
    handlers = {
        handler
        for name in ("", "django", "django.request", "celery")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler)
    }
    assert handlers, "no log handler is configured"
    previous = {handler: handler.setStream(buffer) for handler in handlers}
    try:
        yield buffer
    finally:
        for handler, stream in previous.items():
            handler.setStream(stream)


@pytest.fixture
def world(make_user):
    """User A with a document (one signer, a live signing, events) and user B, a stranger."""
    # A's account, not the signing tests' ``owner`` fixture imported above.
    owner = make_user(  # noqa: F811
        country_code="EE", personal_code="39912319999", first_name="Alice", last_name="Owner"
    )
    stranger = make_user(country_code="LV", personal_code="030303-10012", first_name="Bob", last_name="Stranger")
    document = make_uploaded_document(owner, title="Alice private lease")
    signer = document.signers.get()
    signing = document.signings.get()
    flow = IdentitySession.objects.create(token=secrets.token_hex(32), purpose="login", browser_session="x", user=owner)
    event = SigningEvent.objects.filter(document=document).first() or SigningEvent.objects.create(
        document=document, signing=signing, kind=SigningEvent.Kind.SENT
    )
    group = Group.objects.create(name="Alice's reviewers")
    copy = copy_recipient_new(
        document=document, data=CopyRecipientData(name="Carol Copy", email="carol.copy@example.test", language="en")
    )
    copy.save()
    template, bulk = bulk_objects_of(owner)
    organisation = organisation_create(
        creator=owner, name="Alice Holdings", registration_code="304050607", country_code="EE"
    )
    membership = organisation.memberships.get()
    # Pinned to a third person: a stranger holding the link can see it but never accept it.
    invitation, invitation_token = invitation_create(
        organisation=organisation,
        email="carol@example.test",
        role="member",
        invited_by=owner,
        country_code="LT",
        personal_code="38001010007",
    )
    container = make_container_document(owner, title="Alice private annexes")
    container_file = container.files.first()
    report = ValidationReport.objects.create(signing=signing, status=ValidationReport.Status.PENDING)
    return {
        "organisation": organisation,
        "membership": membership,
        "invitation": invitation,
        "invitation_token": invitation_token,
        "owner": owner,
        "stranger": stranger,
        "document": document,
        "signer": signer,
        "signing": signing,
        "copy": copy,
        "admin_objects": {
            "identity/user": owner.pk,
            "identity/identitysession": flow.pk,
            "signing/document": document.pk,
            "signing/signing": signing.pk,
            "signing/signer": signer.pk,
            "signing/signingevent": event.pk,
            "auth/group": group.pk,
            "signing/copyrecipient": copy.pk,
            "organisations/organisation": organisation.pk,
            "organisations/membership": membership.pk,
            "organisations/invitation": invitation.pk,
            "signing/documentfile": container_file.pk,
            "signing/validationreport": report.pk,
            "bulk/signingtemplate": template.pk,
            "bulk/bulksend": bulk.pk,
        },
        "container": container,
        "container_file": container_file,
        "container_signer": container.signers.get(),
        "template": template,
        "bulk": bulk,
        # What must never show up for anyone but A.
        "secrets": [
            document.title,
            "Alice",
            signer.email,
            document.sha256,
            container.title,
            container_file.name,
            copy.email,
            template.name,
            bulk.title_pattern,
        ],
    }
