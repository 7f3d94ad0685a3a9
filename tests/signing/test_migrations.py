"""Data migrations: what they change in rows written before them."""

import importlib

import pytest
from django.apps import apps

from signing.models import SigningEvent

pytestmark = pytest.mark.django_db

mail_kinds = importlib.import_module("signing.migrations.0005_event_kinds_for_notification_mails")


def test_mails_recorded_under_the_completion_or_deadline_get_their_own_kind_and_back(live_signing):
    signer = live_signing.signers.first()

    def event(kind: str, dedup_key: str) -> SigningEvent:
        return SigningEvent.objects.create(
            document=live_signing.document, signing=live_signing, kind=kind, dedup_key=dedup_key
        )

    completion = event("completed", f"signing:{live_signing.pk}:completed")
    owner_mail = event("completed", f"signing:{live_signing.pk}:completed-mail:owner")
    signer_mail = event("completed", f"signing:{live_signing.pk}:completed-mail:signer:{signer.pk}")
    deadline = event("deadline_passed", f"signing:{live_signing.pk}:deadline")
    deadline_mail = event("deadline_passed", f"signing:{live_signing.pk}:deadline-mail")

    def kinds() -> list[str]:
        return [
            SigningEvent.objects.get(pk=e.pk).kind
            for e in (completion, owner_mail, signer_mail, deadline, deadline_mail)
        ]

    mail_kinds.mails_get_their_own_kind(apps, None)
    assert kinds() == [
        "completed",
        "completion_mail_sent",
        "completion_mail_sent",
        "deadline_passed",
        "deadline_mail_sent",
    ]

    mail_kinds.mails_go_back_to_the_old_kind(apps, None)
    assert kinds() == ["completed", "completed", "completed", "deadline_passed", "deadline_passed"]
