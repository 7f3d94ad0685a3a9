"""Templates: save a setup once, then send it again asking only for what changes (people, maybe the file)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from bulk.models import SigningTemplate, TemplateRole
from bulk.stored_pdf import stored_pdf_open, stored_pdf_save
from bulk.titles import title_render
from organisations.preferences import settings_for
from signing.documents import document_create
from signing.models import SigningOrder
from signing.signers import SignerData

if TYPE_CHECKING:
    from django.core.files import File
    from django.core.files.uploadedfile import UploadedFile

    from identity.models import User
    from organisations.models import Organisation
    from signing.models import Document


@dataclass(frozen=True)
class RoleData:
    """A role as the owner enters it."""

    name: str
    order: int
    signing_purpose: str


@dataclass(frozen=True)
class PersonData:
    """Who fills a role when a template is used (the role gives purpose, the template the language)."""

    first_name: str
    last_name: str
    country_code: str
    personal_code: str
    email: str
    phone: str = ""


def template_create(
    *,
    owner: User,
    organisation: Organisation | None = None,
    name: str,
    title_pattern: str,
    language: str,
    deadline_days: int | None,
    reminders: bool,
    roles: list[RoleData],
    document: UploadedFile | None,
) -> SigningTemplate:
    """Save a template with its roles; a fixed document is stored first, outside the transaction."""
    template = SigningTemplate(
        owner=owner,
        organisation=organisation,
        name=name.strip(),
        title_pattern=title_pattern,
        language=language,
        deadline_days=deadline_days,
        reminders=reminders,
    )
    if document is not None:
        stored_pdf_save(owner=template, uploaded=document)
    with transaction.atomic():
        template.save()
        TemplateRole.objects.bulk_create(
            TemplateRole(
                template=template,
                position=position,
                name=role.name.strip(),
                order=role.order,
                signing_purpose=role.signing_purpose,
            )
            for position, role in enumerate(roles)
        )
    return template


def template_update(
    *,
    template: SigningTemplate,
    name: str,
    title_pattern: str,
    language: str,
    deadline_days: int | None,
    reminders: bool,
    roles: list[RoleData],
    document: UploadedFile | None,
) -> SigningTemplate:
    """Change a template and replace its roles; a new document replaces the fixed one (the old file
    is deleted once the change committed). Documents already sent from it do not change."""
    replaced = template.file.name if document is not None else ""
    storage = template.file.storage
    if document is not None:
        # Stored under a free name (the storage adds a suffix), so the old file stays until the commit.
        stored_pdf_save(owner=template, uploaded=document)
    template.name = name.strip()
    template.title_pattern = title_pattern
    template.language = language
    template.deadline_days = deadline_days
    template.reminders = reminders
    with transaction.atomic():
        template.save()
        template.roles.all().delete()
        TemplateRole.objects.bulk_create(
            TemplateRole(
                template=template,
                position=position,
                name=role.name.strip(),
                order=role.order,
                signing_purpose=role.signing_purpose,
            )
            for position, role in enumerate(roles)
        )
        if replaced and replaced != template.file.name:
            transaction.on_commit(lambda: storage.delete(replaced))
    return template


def template_delete(*, template: SigningTemplate) -> None:
    """Delete the template; its stored document goes once the deletion committed (storage may be S3)."""
    stored = template.file.name
    storage = template.file.storage
    with transaction.atomic():
        template.delete()
        if stored:
            transaction.on_commit(lambda: storage.delete(stored))


def template_roles_in_order(*, template: SigningTemplate) -> list[TemplateRole]:
    """The roles by their turn (then as entered): the order the signers are listed and, later, asked."""
    return sorted(template.roles.all(), key=lambda role: (role.order, role.position))


def deadline_after_days(days: int | None, *, today: datetime.date | None = None) -> datetime.datetime | None:
    """The end of the day ``days`` days from today (the portal's time zone), as the upload form's deadline."""
    if not days:
        return None
    day = (today or timezone.localdate()) + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def template_use(
    *, template: SigningTemplate, actor: User, people: list[PersonData], document: UploadedFile | None
) -> Document:
    """Send the template's document (or ``document``) to ``people``, one per role in turn order.

    Goes through the ordinary upload path (signing.documents.document_create): the copy is stored
    and checked, and the send task queued, exactly as for a document uploaded by hand. An
    organisation's template makes a document of that organisation, with the organisation's
    defaults where the template leaves a value open (the deadline, what a decline does).
    """
    preferences = settings_for(template)
    roles = template_roles_in_order(template=template)
    signers = [
        SignerData(
            first_name=person.first_name,
            last_name=person.last_name,
            country_code=person.country_code,
            personal_code=person.personal_code,
            email=person.email,
            signing_purpose=role.signing_purpose,
            language=template.language,
            phone=person.phone,
            order_group=role.order,
        )
        for role, person in zip(roles, people, strict=True)
    ]
    # Roles with different order numbers sign in turn (equal numbers together); one number for all: at once.
    in_turn = len({role.order for role in roles}) > 1
    first = people[0]
    title = title_render(
        template.title_pattern, name=first.first_name, surname=first.last_name, on=timezone.localdate()
    )
    file: UploadedFile | File[bytes] = document if document is not None else stored_pdf_open(owner=template)
    try:
        return document_create(
            owner=actor,
            uploaded_file=file,
            title=title,
            signers=signers,
            deadline=deadline_after_days(template.deadline_days or preferences.deadline_days),
            reminders=template.reminders,
            on_decline=preferences.decline_action,
            organisation=template.organisation,
            signing_order=SigningOrder.GROUPS if in_turn else SigningOrder.PARALLEL,
        )
    finally:
        if file is not document:
            file.close()
