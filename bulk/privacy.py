"""Templates and bulk sends in a person's data download and in their account's deletion (identity.accounts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bulk.models import BulkSend, SigningTemplate
from identity.accounts import AccountDataProvider
from identity.models import User


def account_bulk_export(user: User) -> dict[str, Any]:
    # Also the organisations' ones this person created: they stay with the organisation, but the
    # person's part in them is the person's data (as signing.privacy does for documents).
    templates = (
        SigningTemplate.objects.filter(owner=user)
        .select_related("organisation")
        .prefetch_related("roles")
        .order_by("created_at")
    )
    sends = BulkSend.objects.filter(owner=user).select_related("organisation").order_by("created_at")
    return {
        "templates": [
            {
                "name": template.name,
                "organisation": template.organisation.name if template.organisation else None,
                "title": template.title_pattern,
                "language": template.language,
                "deadline_days": template.deadline_days,
                "reminders": template.reminders,
                "document_sha256": template.sha256 or None,
                "roles": [
                    {"role": role.name, "order": role.order, "signing_purpose": role.signing_purpose}
                    for role in template.roles.all()
                ],
            }
            for template in templates
        ],
        "bulk_sends": [
            {
                "title": bulk.title_pattern,
                "organisation": bulk.organisation.name if bulk.organisation else None,
                "created": bulk.created_at.isoformat(),
                "status": bulk.status,
                "people": bulk.rows.count(),
                "document_sha256": bulk.sha256,
            }
            for bulk in sends
        ],
    }


def account_bulk_delete(user: User) -> Callable[[], None]:
    """The personal templates and bulk sends go with the user; the stored PDFs once that committed.

    An organisation's ones stay with the organisation (``owner`` becomes NULL through the user
    row's deletion, shown as "a former member"), with their stored PDFs.
    """
    personal = [model.objects.filter(owner=user, organisation=None) for model in (SigningTemplate, BulkSend)]
    stored = [(record.file.storage, record.file.name) for records in personal for record in records.exclude(file="")]
    # Deleted here rather than by the user row's cascade, which now only empties ``owner``.
    for records in personal:
        records.delete()

    def delete_stored_files() -> None:
        for storage, name in stored:
            storage.delete(name)

    return delete_stored_files


ACCOUNT_DATA = AccountDataProvider(name="bulk", export=account_bulk_export, delete=account_bulk_delete)
