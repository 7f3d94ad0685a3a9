"""``manage.py signing_reprocess_events``: process again the Dokobit postbacks that failed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from portal.http import GatewayError
from signing import postbacks
from signing.models import SigningEvent


class Command(BaseCommand):
    help = "Process again postback events that were never processed or ended with an error."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--event", type=int, action="append", help="only this event id (repeatable)")
        parser.add_argument("--dry-run", action="store_true", help="list the events, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        events = SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK).filter(Q(processed=False) | ~Q(error=""))
        if options["event"]:
            events = events.filter(pk__in=options["event"])
        events = events.select_related("signing__document").order_by("created_at", "pk")
        failed = 0
        total = 0
        for event in events:
            total += 1
            # Only ids, the action and the error class: never a token or a personal code.
            document = event.signing.document.uuid if event.signing else "?"
            label = f"event {event.pk} ({event.payload.get('action', '?')}, document {document})"
            if options["dry_run"]:
                self.stdout.write(f"{label}: would be processed again")
                continue
            try:
                postbacks.postback_event_reprocess(event=event)
            except GatewayError as err:
                failed += 1
                self.stdout.write(self.style.ERROR(f"{label}: failed again ({type(err).__name__})"))
                continue
            self.stdout.write(self.style.SUCCESS(f"{label}: processed"))
        if total == 0:
            self.stdout.write("No failed postback events.")
        if failed:
            raise CommandError(f"{failed} of {total} events failed again; see the messages above.")
