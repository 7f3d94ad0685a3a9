"""Admin for the files of container documents: read-only, with no link to the stored bytes.

The bytes are reached only through the audited download views; the admin shows what each file
is (name, role, type, size, SHA-256) so staff can answer "what was sent for signing".
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from signing.models import Document, DocumentFile

FILE_FIELDS = ("position", "name", "role", "content_type", "size", "sha256")


class DocumentFileInline(admin.TabularInline[DocumentFile, Document]):
    model = DocumentFile
    extra = 0
    can_delete = False
    fields = FILE_FIELDS
    readonly_fields = FILE_FIELDS
    verbose_name_plural = _("files of the container")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DocumentFile)
class DocumentFileAdmin(admin.ModelAdmin[DocumentFile]):
    list_display = ("name", "document", "role", "content_type", "size")
    list_filter = ("role", "content_type")
    list_select_related = ("document",)
    search_fields = ("name", "document__title", "document__uuid", "sha256")
    readonly_fields = ("uuid", "document", *FILE_FIELDS)
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
