"""``manage.py signing_sync``: ask Dokobit now about one document's signing, or every open one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.http import GatewayError
from signing.models import Document, Signing
from signing.reconcile import signing_reconcile


class Command(BaseCommand):
    help = "Bring open signings in line with Dokobit's status now (one document by uuid, or --all)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("document", nargs="?", help="the document's uuid")
        parser.add_argument("--all", action="store_true", help="every open signing")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["document"]) == bool(options["all"]):
            raise CommandError("Give one document uuid or --all.")
        if options["all"]:
            signings = list(Signing.objects.filter(status__in=Signing.OPEN_STATUSES).select_related("document"))
        else:
            try:
                document = Document.objects.get(uuid=options["document"])
            except (Document.DoesNotExist, ValueError) as err:
                raise CommandError("No document with that uuid.") from err
            signing = document.signings.order_by("-created_at", "-pk").first()
            if signing is None:
                raise CommandError("That document has no signing.")
            signings = [signing]
        failed = 0
        for signing in signings:
            label = f"document {signing.document.uuid}"
            if not signing.dokobit_token or signing.status not in (
                Signing.Status.PENDING,
                Signing.Status.PARTIALLY_SIGNED,
            ):
                self.stdout.write(f"{label}: {signing.status}, nothing to ask Dokobit")
                continue
            before = signing.status
            try:
                after = signing_reconcile(signing=signing)
            except GatewayError as err:
                failed += 1
                self.stdout.write(self.style.ERROR(f"{label}: Dokobit did not answer usefully ({type(err).__name__})"))
                continue
            note = " (needs attention)" if after.needs_attention else ""
            self.stdout.write(self.style.SUCCESS(f"{label}: {before} -> {after.status}{note}"))
        if not signings:
            self.stdout.write("No open signings.")
        if failed:
            raise CommandError(f"{failed} of {len(signings)} signings could not be synced.")
