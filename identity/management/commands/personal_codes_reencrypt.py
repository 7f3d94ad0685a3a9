"""Re-encrypts every stored encrypted value with the first key of PERSONAL_CODE_ENCRYPTION_KEY.

Key rotation: put the new key first in the comma-separated list (keep the old one after it), run
this command, then remove the old key. It covers every ``*_encrypted`` column of every model
(personal codes, held eID results, Dokobit signer tokens, portal link tokens, staff authenticator
keys and whatever is added later), works in batches, and a second run changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction

from portal.crypto import encrypted_with_first_key, encryption_keys, reencrypt_text


def encrypted_columns() -> list[tuple[type[models.Model], str]]:
    """(model, field name) of every column that holds a value encrypted with the portal's key."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.name.endswith("_encrypted") and isinstance(field, models.TextField | models.CharField)
    ]


class Command(BaseCommand):
    help = "Re-encrypt every stored encrypted value with the first PERSONAL_CODE_ENCRYPTION_KEY key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--dry-run", action="store_true", help="count what would change, change nothing")

    def handle(self, *args: Any, batch_size: int, dry_run: bool, **options: Any) -> None:
        if not encryption_keys():
            raise CommandError("PERSONAL_CODE_ENCRYPTION_KEY is empty.")
        total = 0
        for model, name in encrypted_columns():
            changed = self._column(model, name, batch_size=batch_size, dry_run=dry_run)
            total += changed
            self.stdout.write(f"{model._meta.label}.{name}: {changed} re-encrypted")
        verb = "would be re-encrypted" if dry_run else "re-encrypted"
        self.stdout.write(self.style.SUCCESS(f"{total} value(s) {verb}."))

    def _column(self, model: type[models.Model], name: str, *, batch_size: int, dry_run: bool) -> int:
        changed, last_pk = 0, None
        manager = model._base_manager
        while True:
            rows = manager.exclude(**{name: ""}).order_by("pk")
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            batch = list(rows.values_list("pk", name)[:batch_size])
            if not batch:
                return changed
            last_pk = batch[-1][0]
            # Decrypting and encrypting happen before the short write transaction.
            updates = [(pk, old, reencrypt_text(old)) for pk, old in batch if not encrypted_with_first_key(old)]
            if dry_run:
                changed += len(updates)
                continue
            with transaction.atomic():
                for pk, old, new in updates:
                    # Only if the value is still the one read: a concurrent write keeps its own.
                    changed += manager.filter(pk=pk, **{name: old}).update(**{name: new})
