"""Bulk sends: one document to many people, each signing their own copy.

The document is kept with the bulk send as soon as it passed its checks, so a CSV with mistakes
is corrected and uploaded again without the document. Nothing is sent until every row is clean.
Then one task per row (``bulk.tasks.bulk_row_send_task``, by name through signing.dispatch)
makes that person's copy and its signing and queues the ordinary send. A row gets one document
however often its task runs: the copy is stored first (outside any transaction), then tied to
the row under the row's lock, and a late duplicate deletes its stored bytes again.
"""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from bulk.csv_people import CsvPerson
from bulk.models import BulkRow, BulkSend, SigningTemplate
from bulk.selectors import bulk_failed_rows
from bulk.stored_pdf import stored_pdf_open, stored_pdf_save
from bulk.titles import title_render
from organisations.preferences import settings_for
from signing import dispatch
from signing.documents import document_file_store, document_signing_create
from signing.errors import DocumentTampered
from signing.signers import SignerData

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from identity.models import User
    from organisations.models import Organisation

logger = logging.getLogger(__name__)

ROW_TASK = "bulk.tasks.bulk_row_send_task"
# A row still waiting this long after it was queued lost its task (a broker outage at commit): a
# retry queues it again, which is safe because the task makes at most one copy per row.
STALLED_AFTER = datetime.timedelta(minutes=10)


def bulk_draft_create(
    *,
    owner: User,
    organisation: Organisation | None = None,
    document: UploadedFile | None,
    template: SigningTemplate | None,
    title_pattern: str,
    signing_purpose: str,
    language: str,
    deadline: datetime.datetime | None,
) -> BulkSend:
    """Keep the document (uploaded, or the template's fixed one, copied) for a bulk send still without people."""
    bulk = BulkSend(
        owner=owner,
        organisation=organisation,
        template=template,
        title_pattern=title_pattern,
        signing_purpose=signing_purpose,
        language=language,
        deadline=deadline,
    )
    if document is not None:
        stored_pdf_save(owner=bulk, uploaded=document)
    else:
        assert template is not None  # the form asks for a document unless the template has one
        with stored_pdf_open(owner=template) as fixed:
            stored_pdf_save(owner=bulk, uploaded=fixed)
    bulk.save()
    return bulk


def bulk_start(*, bulk: BulkSend, people: list[CsvPerson], csv_filename: str) -> bool:
    """Write the rows of a clean CSV and queue one task per row; False when the bulk send already started."""
    with transaction.atomic():
        locked = BulkSend.objects.select_for_update().get(pk=bulk.pk)
        if locked.status != BulkSend.Status.DRAFT:
            return False
        rows = []
        for person in people:
            row = BulkRow(
                bulk=locked,
                line=person.line,
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                phone=person.phone,
                language=person.language,
            )
            row.set_personal_code(person.country_code, person.personal_code)
            rows.append(row)
        BulkRow.objects.bulk_create(rows)
        locked.status = BulkSend.Status.SENDING
        locked.started_at = timezone.now()
        locked.csv_filename = csv_filename[:255]
        locked.save(update_fields=["status", "started_at", "csv_filename"])
        for row_id in BulkRow.objects.filter(bulk=locked).values_list("pk", flat=True):
            dispatch.on_commit(ROW_TASK, row_id)
    bulk.refresh_from_db()
    return True


def bulk_row_send(*, row_id: int) -> None:
    """Make the row's person their own copy with its signing, and queue its send (safe to run again)."""
    row = BulkRow.objects.select_related("bulk", "bulk__owner", "bulk__organisation").filter(pk=row_id).first()
    if row is None or row.status != BulkRow.Status.WAITING or row.document_id is not None:
        return
    bulk = row.bulk
    title = title_render(bulk.title_pattern, name=row.first_name, surname=row.last_name, on=timezone.localdate())
    try:
        with stored_pdf_open(owner=bulk) as original:
            # An organisation's bulk send makes documents of that organisation (they outlive the creator).
            document = document_file_store(
                owner=bulk.owner, uploaded_file=original, title=title, organisation=bulk.organisation
            )
    except DocumentTampered:
        bulk_row_fail(row_id=row_id, reason=gettext("The stored document changed after upload; it was not sent."))
        return
    signer = SignerData(
        first_name=row.first_name,
        last_name=row.last_name,
        country_code=row.country_code,
        personal_code=row.personal_code,
        email=row.email,
        signing_purpose=bulk.signing_purpose,
        language=row.language,
        phone=row.phone,
    )
    with transaction.atomic():
        _bulk_lock(bulk_id=bulk.pk)
        row = BulkRow.objects.select_for_update().get(pk=row_id)
        first = row.status == BulkRow.Status.WAITING and row.document_id is None
        if first:
            document_signing_create(
                document=document,
                signers=[signer],
                deadline=bulk.deadline,
                actor=bulk.owner,
                on_decline=settings_for(bulk).decline_action,
            )
            row.document = document
            row.status = BulkRow.Status.CREATED
            row.error = ""
            row.attempts += 1
            row.save(update_fields=["document", "status", "error", "attempts", "updated_at"])
            _bulk_mark_sent_when_done(bulk_id=bulk.pk)
    if not first:
        # Another run of this task made the copy meanwhile: these bytes belong to nothing.
        document.file.storage.delete(document.file.name)


def _bulk_lock(*, bulk_id: int) -> None:
    """Lock the bulk send's row: every transaction that changes a bulk send's rows takes it first.

    One order (the bulk send, then its rows) for the row tasks and the owner's retry, which would
    otherwise deadlock: a task holding its row and wanting the bulk send, the retry the other way.
    """
    # Only the lock is wanted, not the row.
    BulkSend.objects.select_for_update().filter(pk=bulk_id).values_list("pk", flat=True).first()


def _bulk_mark_sent_when_done(*, bulk_id: int) -> None:
    # Under the bulk send's lock (taken by the caller): two workers finishing the last two rows at
    # once each saw the other's row still waiting, and neither marked it sent. The second now reads
    # after the first commits.
    if not BulkRow.objects.filter(bulk_id=bulk_id, status=BulkRow.Status.WAITING).exists():
        BulkSend.objects.filter(pk=bulk_id, status=BulkSend.Status.SENDING).update(status=BulkSend.Status.SENT)


def bulk_row_fail(*, row_id: int, reason: str) -> None:
    """The row's copy could not be made; ``reason`` is shown to the owner and staff."""
    bulk_id = BulkRow.objects.filter(pk=row_id).values_list("bulk_id", flat=True).first()
    if bulk_id is None:
        return
    with transaction.atomic():
        _bulk_lock(bulk_id=bulk_id)
        updated = BulkRow.objects.filter(pk=row_id, status=BulkRow.Status.WAITING).update(
            status=BulkRow.Status.FAILED, error=reason[:2000], updated_at=timezone.now()
        )
        if updated:
            _bulk_mark_sent_when_done(bulk_id=bulk_id)


def bulk_rows_retry(*, bulk: BulkSend) -> int:
    """Queue again the rows that failed (a fresh copy for those whose signing Dokobit refused) and
    rows whose task was lost; returns how many. The failed copies stay in the owner's documents."""
    stalled_before = timezone.now() - STALLED_AFTER
    with transaction.atomic():
        _bulk_lock(bulk_id=bulk.pk)
        failed = list(bulk_failed_rows(bulk=bulk).values_list("pk", flat=True))
        stalled = list(
            bulk.rows.filter(status=BulkRow.Status.WAITING, updated_at__lt=stalled_before).values_list("pk", flat=True)
        )
        BulkRow.objects.filter(pk__in=failed).update(
            status=BulkRow.Status.WAITING, document=None, error="", updated_at=timezone.now()
        )
        BulkRow.objects.filter(pk__in=stalled).update(updated_at=timezone.now())
        if failed or stalled:
            BulkSend.objects.filter(pk=bulk.pk).update(status=BulkSend.Status.SENDING)
        for row_id in [*failed, *stalled]:
            dispatch.on_commit(ROW_TASK, row_id)
    if failed:
        logger.info("bulk send %s: %s failed rows queued again", bulk.pk, len(failed))
    return len(failed) + len(stalled)
