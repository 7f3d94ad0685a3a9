"""Templates and bulk sends in a person's data download and in their account's deletion (identity.accounts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bulk.models import BulkSend, SigningTemplate
from identity.accounts import AccountDataProvider
from identity.models import User


def account_bulk_export(user: User) -> dict[str, Any]:
    templates = SigningTemplate.objects.filter(owner=user).prefetch_related("roles").order_by("created_at")
    sends = BulkSend.objects.filter(owner=user).order_by("created_at")
    return {
        "templates": [
            {
                "name": template.name,
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
                "created": bulk.created_at.isoformat(),
                "status": bulk.status,
                "people": bulk.rows.count(),
                "document_sha256": bulk.sha256,
            }
            for bulk in sends
        ],
    }


def account_bulk_delete(user: User) -> Callable[[], None]:
    """The rows go with the user (CASCADE); the stored PDFs are deleted once that committed."""
    stored = [
        (record.file.storage, record.file.name)
        for model in (SigningTemplate, BulkSend)
        for record in model.objects.filter(owner=user).exclude(file="")
    ]

    def delete_stored_files() -> None:
        for storage, name in stored:
            storage.delete(name)

    return delete_stored_files


ACCOUNT_DATA = AccountDataProvider(name="bulk", export=account_bulk_export, delete=account_bulk_delete)
