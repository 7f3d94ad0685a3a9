"""The document list's filters in the admin, by the state of each document's current signing.

Each selects documents through one indexed query on signings (status, needs_attention,
(status, uploaded_at)); a document's signings other than its current one are REPLACED, so "a
signing of it that is not replaced" is its current signing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from signing.models import Document, Signing


class CurrentStatusFilter(admin.SimpleListFilter):
    title = _("signing status")
    parameter_name = "signing_status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(value, label) for value, label in Signing.Status.choices if value != Signing.Status.REPLACED]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Document]) -> QuerySet[Document] | None:
        value = self.value()
        if not value:
            return None
        if value not in Signing.Status.values or value == Signing.Status.REPLACED:
            raise IncorrectLookupParameters(value)
        return queryset.filter(pk__in=Signing.objects.filter(status=value).values("document_id"))


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = _("needs attention")
    parameter_name = "needs_attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Document]) -> QuerySet[Document] | None:
        if self.value() != "yes":
            return None
        flagged = Signing.objects.filter(needs_attention=True).exclude(status=Signing.Status.REPLACED)
        return queryset.filter(pk__in=flagged.values("document_id"))


class CopyExpiresFilter(admin.SimpleListFilter):
    """Open signings whose Dokobit copy is deleted within N days; ``?copy_expires_within=N`` takes any N."""

    title = _("Dokobit copy expires within")
    parameter_name = "copy_expires_within"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(n), ngettext("%(days)d day", "%(days)d days", n) % {"days": n}) for n in (1, 3, 7, 14)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Document]) -> QuerySet[Document] | None:
        value = self.value()
        if value is None:
            return None
        try:
            days = int(value)
        except ValueError as err:
            raise IncorrectLookupParameters(value) from err
        if not 0 <= days <= settings.DOKOBIT_RETENTION_DAYS:
            raise IncorrectLookupParameters(self.value())
        # Deleted within N days = uploaded at least (retention - N) days ago.
        uploaded_before = timezone.now() - timedelta(days=settings.DOKOBIT_RETENTION_DAYS - days)
        expiring = Signing.objects.filter(status__in=Signing.OPEN_STATUSES, uploaded_at__lte=uploaded_before)
        return queryset.filter(pk__in=expiring.values("document_id"))
