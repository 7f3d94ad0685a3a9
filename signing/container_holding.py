"""Keeping a container upload's checked files while another field of the form is corrected.

Like the single PDF's holding area (``signing.forms``): only opaque ids, names and roles live in
the session, the bytes in the same storage folder, which ``holding_purge_stale`` empties of
anything older than SIGNING_UPLOAD_HOLDING_HOURS. Choosing files again replaces the kept ones.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, cast

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from signing.containers import ContainerFileIn
from signing.file_types import file_kind_check
from signing.forms import HOLDING_DIR
from signing.models import DocumentFile

if TYPE_CHECKING:
    from django.http import HttpRequest

SESSION_KEY = "signing_container_holding"


@dataclass(frozen=True)
class HeldFile:
    id: str
    name: str
    role: str

    @property
    def path(self) -> str:
        return f"{HOLDING_DIR}/{self.id}.bin"

    def get_role_display(self) -> str:
        return str(DocumentFile.Role(self.role).label)


def _valid(held: HeldFile) -> bool:
    # Written by the server, but a stale or edited session must not point outside the area.
    plain_id = held.id.replace("-", "").replace("_", "").isalnum()
    return plain_id and held.role in DocumentFile.Role.values and default_storage.exists(held.path)


def container_holding_get(*, request: HttpRequest) -> list[HeldFile]:
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, list):
        return []
    held = [HeldFile(id=str(i.get("id", "")), name=str(i.get("name", "")), role=str(i.get("role", ""))) for i in data]
    if not held or not all(_valid(item) for item in held):
        container_holding_clear(request=request)
        return []
    return held


def container_holding_put(*, request: HttpRequest, files: list[ContainerFileIn]) -> list[HeldFile]:
    """Keep ``files`` (already checked) in place of anything kept before."""
    container_holding_clear(request=request)
    held = []
    for item in files:
        kept = HeldFile(id=secrets.token_urlsafe(24), name=item.name, role=item.role)
        item.fileobj.seek(0)
        default_storage.save(kept.path, File(item.fileobj))
        item.fileobj.seek(0)
        held.append(kept)
    request.session[SESSION_KEY] = [{"id": h.id, "name": h.name, "role": h.role} for h in held]
    return held


def container_holding_open(*, held: list[HeldFile]) -> list[ContainerFileIn]:
    """The kept files, opened and checked again (the caller closes them)."""
    opened = []
    for item in held:
        handle = File(default_storage.open(item.path, "rb"), name=item.name)
        # A storage File reads, seeks and tells like the binary file it wraps.
        kind = file_kind_check(cast("BinaryIO", handle), name=item.name, max_bytes=settings.SIGNING_MAX_UPLOAD_BYTES)
        opened.append(ContainerFileIn(fileobj=handle, name=item.name, role=item.role, kind=kind))
    return opened


def container_holding_clear(*, request: HttpRequest) -> None:
    data = request.session.pop(SESSION_KEY, None)
    for item in data if isinstance(data, list) else []:
        if isinstance(item, dict) and str(item.get("id", "")).replace("-", "").replace("_", "").isalnum():
            path = HeldFile(id=str(item["id"]), name="", role="").path
            if default_storage.exists(path):
                default_storage.delete(path)
