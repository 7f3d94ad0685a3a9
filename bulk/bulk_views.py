"""The owner's bulk-send pages: the list, a new bulk send, the CSV again while it has errors, the
progress (a page and its JSON), the summary that follows each signing, and a retry of failed rows.

Every bulk send is looked up through ``bulk.access.bulk_get_for`` with what the view does (404 for
anyone outside it, 403 for an organisation's viewer who tries to send); the list and a new bulk
send follow the space the person works in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from bulk.access import (
    Action,
    bulk_get_for,
    bulk_rows_all_visible,
    bulk_sends_in_space,
    bulk_usable_by,
    documents_readable,
    refusals_as_pages,
    space_create_check,
    space_may_create,
    templates_in_space,
)
from bulk.csv_people import CsvReading, max_csv_bytes, people_from_csv
from bulk.forms import BulkCsvForm, BulkNewForm
from bulk.models import BulkRow, BulkSend, SigningTemplate
from bulk.selectors import bulk_progress, bulk_rows_with_signing
from bulk.sends import bulk_draft_create, bulk_rows_retry, bulk_start
from bulk.signing_templates import deadline_after_days, template_roles_in_order
from organisations.preferences import settings_for
from organisations.spaces import current_space
from portal.ratelimit import rate_limited
from portal.types import AuthenticatedHttpRequest
from signing.errors import SigningError
from signing.models import Signing
from signing.views.common import signing_error_message

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from identity.models import User


@never_cache
@login_required
@require_GET
def bulk_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    space = current_space(request)
    sends = bulk_sends_in_space(user=request.user, space=space).select_related("owner")
    context = {
        "sends": sends.order_by("-created_at", "-pk")[:100],
        "can_create": space_may_create(space),
        "organisation": space.organisation,
    }
    return render(request, "bulk/bulk_list.html", context)


def _initial(request: AuthenticatedHttpRequest, templates: list[SigningTemplate]) -> dict[str, Any]:
    """The form's starting values: the space's defaults, or a template's when the link names one of ``templates``."""
    preferences = settings_for(current_space(request).membership)
    deadline_open = deadline_after_days(preferences.deadline_days)
    initial: dict[str, Any] = {
        "language": preferences.signing_language or get_language() or "en",
        "deadline": deadline_open.date() if deadline_open else None,
    }
    chosen = request.GET.get("template", "")
    template = next((t for t in templates if str(t.uuid) == chosen), None)
    if template is not None:
        roles = template_roles_in_order(template=template)
        deadline = deadline_after_days(template.deadline_days)
        initial.update(
            template=str(template.uuid),
            title=template.title_pattern,
            language=template.language,
            signing_purpose=roles[0].signing_purpose if roles else "",
            deadline=deadline.date() if deadline else initial["deadline"],
        )
    return initial


def _read_csv(uploaded: UploadedFile, *, language: str) -> CsvReading:
    # Read at most one byte over the limit: people_from_csv words the refusal of a larger file.
    return people_from_csv(data=uploaded.read(max_csv_bytes() + 1), default_language=language)


@never_cache
@login_required
@sensitive_variables("reading")
@refusals_as_pages
@rate_limited("upload", per_user=True)
def bulk_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    space = current_space(request)
    space_create_check(space)
    templates = list(templates_in_space(user=request.user, space=space).prefetch_related("roles"))
    if request.method != "POST":
        form = BulkNewForm(initial=_initial(request, templates), templates=templates)
        return render(request, "bulk/bulk_new.html", {"form": form})
    form = BulkNewForm(request.POST, request.FILES, templates=templates)
    if not form.is_valid():
        return render(request, "bulk/bulk_new.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        bulk = bulk_draft_create(
            owner=request.user,
            organisation=space.organisation,
            document=data.get("document"),
            template=data.get("template"),
            title_pattern=data["title"],
            signing_purpose=data["signing_purpose"],
            language=data["language"],
            deadline=data.get("deadline"),
        )
    except SigningError as exc:
        form.add_error(None, signing_error_message(exc))
        return render(request, "bulk/bulk_new.html", {"form": form}, status=400)
    # The document is kept from here on: a CSV with mistakes is corrected on the bulk send's page.
    return _csv_take(request, bulk, data["people"])


def _csv_take(request: AuthenticatedHttpRequest, bulk: BulkSend, uploaded: UploadedFile) -> HttpResponse:
    reading = _read_csv(uploaded, language=bulk.language)
    if reading.ok and bulk_start(bulk=bulk, people=reading.people, csv_filename=uploaded.name or ""):
        count = len(reading.people)
        messages.success(
            request,
            ngettext("Sending to %(count)d person has started.", "Sending to %(count)d people has started.", count)
            % {"count": count},
        )
        return redirect("bulk:bulk-progress", uuid=bulk.uuid)
    if reading.ok:
        return redirect("bulk:bulk-progress", uuid=bulk.uuid)  # a second submit: it already started
    context = {"bulk": bulk, "form": BulkCsvForm(), "reading": reading, "csv_name": uploaded.name}
    return render(request, "bulk/bulk_draft.html", context, status=400)


@never_cache
@login_required
@sensitive_variables("reading")
@refusals_as_pages
@rate_limited("upload", per_user=True)
def bulk_csv(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    """The CSV of a bulk send that has no clean one yet; its document is kept."""
    bulk = bulk_get_for(user=request.user, uuid=uuid, action=Action.USE)
    if bulk.status != BulkSend.Status.DRAFT:
        return redirect("bulk:bulk-progress", uuid=bulk.uuid)
    if request.method == "POST":
        form = BulkCsvForm(request.POST, request.FILES)
        if form.is_valid():
            return _csv_take(request, bulk, form.cleaned_data["people"])
        return render(request, "bulk/bulk_draft.html", {"bulk": bulk, "form": form}, status=400)
    return render(request, "bulk/bulk_draft.html", {"bulk": bulk, "form": BulkCsvForm()})


def _progress_payload(bulk: BulkSend) -> dict[str, Any]:
    counts = bulk_progress(bulk=bulk)
    total = counts["total"] or 1
    final = bulk.status != BulkSend.Status.DRAFT and counts["waiting"] == 0
    return {
        **counts,
        "percent": round(100 * counts["done"] / total),
        "final": final,
        "label": _("%(done)s of %(total)s copies made, %(failed)s failed.")
        % {"done": counts["done"], "total": counts["total"], "failed": counts["failed"]},
        "counts_label": _(
            "%(total)s people: %(sent)s sent, %(signed)s of them signed, %(failed)s failed, %(waiting)s still waiting."
        )
        % counts,
        "summary_url": reverse("bulk:bulk-summary", kwargs={"uuid": bulk.uuid}),
    }


def _summary_rows(user: User, bulk: BulkSend) -> tuple[list[dict[str, Any]], bool]:
    """Every row's view, whether each row's copy may be opened, and whether all are there to show."""
    rows = [_row_view(row) for row in bulk_rows_with_signing(bulk=bulk)]
    documents = [item["row"].document for item in rows if item["row"].document is not None]
    readable = documents_readable(user=user, bulk=bulk, documents=documents)
    for item in rows:
        item["readable"] = item["row"].document_id in readable
    return rows, bulk_rows_all_visible(user=user, bulk=bulk)


def _summary(user: User, bulk: BulkSend) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The progress plus the rows ``user`` may see, for the summary page that follows every signing;
    and the rows shown and all rows (the counts are everyone's, the rows as
    :func:`bulk.access.bulk_rows_all_visible` allows)."""
    rows, all_visible = _summary_rows(user, bulk)
    payload = _progress_payload(bulk)
    # Followed until every copy reached Dokobit (or failed); signatures then take days, a reload shows them.
    payload["settled"] = payload["final"] and not any(item["before_dokobit"] for item in rows)
    shown = rows if all_visible else [item for item in rows if item["readable"]]
    payload["rows"] = [{"line": item["row"].line, "label": item["label"], "reason": item["reason"]} for item in shown]
    return payload, shown, rows


@never_cache
@login_required
@require_GET
def bulk_progress_view(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    bulk = bulk_get_for(user=request.user, uuid=uuid)
    if bulk.status == BulkSend.Status.DRAFT:
        return redirect("bulk:bulk-csv", uuid=bulk.uuid)
    progress = _progress_payload(bulk)
    config = {"url": reverse("bulk:bulk-progress-json", kwargs={"uuid": bulk.uuid}), "final": progress["final"]}
    return render(request, "bulk/bulk_progress.html", {"bulk": bulk, "progress": progress, "config": config})


@never_cache
@login_required
@require_GET
def bulk_progress_json(request: AuthenticatedHttpRequest, uuid: UUID) -> JsonResponse:
    """The progress; with ``?rows=1`` also each row's status (the summary page's poll)."""
    bulk = bulk_get_for(user=request.user, uuid=uuid)
    if request.GET.get("rows") == "1":
        return JsonResponse(_summary(request.user, bulk)[0])
    return JsonResponse(_progress_payload(bulk))


def _row_view(row: BulkRow) -> dict[str, Any]:
    """A row as the summary shows it: what happened to that person's copy, and why it failed."""
    failed = row.status == BulkRow.Status.FAILED or row.signing_status == Signing.Status.FAILED  # type: ignore[attr-defined]
    if row.status == BulkRow.Status.CREATED and row.signing_status:  # type: ignore[attr-defined]
        label = str(Signing.Status(row.signing_status).label)  # type: ignore[attr-defined]
    else:
        label = str(row.get_status_display())
    reason = row.error or (row.signing_reason if failed else "")  # type: ignore[attr-defined]
    before_dokobit = row.status == BulkRow.Status.WAITING or row.signing_status in _BEFORE_DOKOBIT  # type: ignore[attr-defined]
    return {"row": row, "label": label, "failed": failed, "reason": reason, "before_dokobit": before_dokobit}


_BEFORE_DOKOBIT = (Signing.Status.QUEUED, Signing.Status.UPLOADING, Signing.Status.CREATING)


@never_cache
@login_required
@require_GET
def bulk_summary(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    bulk = bulk_get_for(user=request.user, uuid=uuid)
    if bulk.status == BulkSend.Status.DRAFT:
        return redirect("bulk:bulk-csv", uuid=bulk.uuid)
    payload, shown, rows = _summary(request.user, bulk)
    url = reverse("bulk:bulk-progress-json", kwargs={"uuid": bulk.uuid}) + "?rows=1"
    context = {
        "bulk": bulk,
        "rows": shown,
        "rows_hidden": len(rows) - len(shown),
        "progress": payload,
        "any_failed": any(row["failed"] for row in rows),
        "may_use": bulk_usable_by(user=request.user, bulk=bulk),
        "config": {"url": url, "final": payload["settled"]},
    }
    return render(request, "bulk/bulk_summary.html", context)


@never_cache
@login_required
@require_POST
@refusals_as_pages
def bulk_retry(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    bulk = bulk_get_for(user=request.user, uuid=uuid, action=Action.USE)
    if bulk.status == BulkSend.Status.DRAFT:
        return redirect("bulk:bulk-csv", uuid=bulk.uuid)
    count = bulk_rows_retry(bulk=bulk)
    if count:
        messages.success(
            request,
            ngettext("%(count)d row is being sent again.", "%(count)d rows are being sent again.", count)
            % {"count": count},
        )
    else:
        messages.info(request, _("No row needs to be sent again."))
    return redirect("bulk:bulk-progress", uuid=bulk.uuid)
