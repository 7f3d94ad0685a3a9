"""What the access tests share: the portal's routes with parameters, one access case per route for the
objects of user A (the ``world`` fixture in conftest.py), and clients of those who may see them."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from signing.models import Document
from signing.views.signer_link import VERIFIED_SESSION_KEY

EXCLUDED_NAMESPACES = {"dokobit_emulator"}
MISSING_UUID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Route:
    route: str  # the whole pattern, e.g. "documents/<uuid:uuid>/signers/<uuid:signer_uuid>/remove/"
    namespace: str
    params: tuple[str, ...]


def route_params(pattern) -> tuple[str, ...]:
    names = list(getattr(pattern, "converters", {}) or {})
    names += [name for name in pattern.regex.groupindex if name not in names]
    return tuple(names)


def portal_routes(patterns=None, prefix: str = "", namespace: str = "") -> list[Route]:
    """Every route below the root URLconf outside the emulator, with the parameters of its whole path."""
    found: list[Route] = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in EXCLUDED_NAMESPACES:
                continue
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            found += [
                Route(r.route, r.namespace, route_params(entry.pattern) + r.params)
                for r in portal_routes(entry.url_patterns, prefix + str(entry.pattern), inner)
            ]
        elif isinstance(entry, URLPattern):
            found.append(Route(prefix + str(entry.pattern), namespace, route_params(entry.pattern)))
    return found


def url_for(route: Route, values: dict[str, str]) -> str:
    """The URL of ``route`` with its parameters filled in (works for path() and re_path() alike)."""
    url = route.route
    for name in route.params:
        url = re.sub(rf"<(?:\w+:)?{name}>", str(values[name]), url)
        url = re.sub(rf"\(\?P<{name}>[^)]*\)", str(values[name]), url)
    return "/" + url.replace("^", "").replace("$", "")


# --- one case per route: A's URL, the URL of nothing, and what a refusal looks like --------------

OWNER = "owner"  # a login-protected page of the document's owner
LINK = "link"  # a signer's personal link: a capability, refused with the neutral page
SECRET = "secret"  # a URL secret only Dokobit knows
ADMIN = "admin"  # staff only
PUBLIC = "public"  # anyone (an organisation's logo); without one it answers like nothing
INVITE = "invite"  # an invitation link: a capability that shows the invitation, never A's documents


@dataclass
class Case:
    kind: str
    mine: dict[str, str]
    missing: dict[str, str]


def case_for(route: Route, world) -> Case | None:
    document, signer, signing = world["document"], world["signer"], world["signing"]
    if route.namespace == "signing":
        if route.params == ("signer_uuid",):
            # A signer's own page addressed by their uuid (declining): refused like a personal link.
            return Case(LINK, {"signer_uuid": signer.uuid}, {"signer_uuid": MISSING_UUID})
        if set(route.params) <= {"uuid", "signer_uuid", "copy_uuid"}:
            mine = {"uuid": document.uuid, "signer_uuid": signer.uuid, "copy_uuid": world["copy"].uuid}
            # A's document with a signer (or copy recipient) uuid that is nobody's, and a document
            # that does not exist.
            inner = {"signer_uuid", "copy_uuid"} & set(route.params)
            missing = {"uuid": document.uuid if inner else MISSING_UUID}
            missing["signer_uuid"] = missing["copy_uuid"] = MISSING_UUID
            return Case(OWNER, mine, missing)
        if route.params == ("token",) and route.route.startswith("copy/"):
            # A copy recipient's link (CC): a capability like a signer's.
            return Case(LINK, {"token": world["copy"].link_token}, {"token": secrets.token_urlsafe(32)})
        container, container_file = world["container"], world["container_file"]
        container_link = world["container_signer"].link_token
        if route.params == ("uuid", "file_uuid"):
            mine = {"uuid": container.uuid, "file_uuid": container_file.uuid}
            return Case(OWNER, mine, {"uuid": container.uuid, "file_uuid": MISSING_UUID})
        if route.params == ("uuid", "index"):
            return Case(OWNER, {"uuid": container.uuid, "index": "0"}, {"uuid": MISSING_UUID, "index": "0"})
        if route.params == ("token", "file_uuid"):
            mine = {"token": container_link, "file_uuid": container_file.uuid}
            return Case(LINK, mine, {"token": secrets.token_urlsafe(32), "file_uuid": container_file.uuid})
        if route.params == ("token", "index"):
            return Case(
                LINK, {"token": container_link, "index": "0"}, {"token": secrets.token_urlsafe(32), "index": "0"}
            )
        if route.params == ("token",):
            return Case(LINK, {"token": signer.link_token}, {"token": secrets.token_urlsafe(32)})
        if route.params == ("signing_uuid", "secret"):
            mine = {"signing_uuid": signing.uuid, "secret": secrets.token_urlsafe(32)}
            return Case(SECRET, mine, {"signing_uuid": MISSING_UUID, "secret": mine["secret"]})
        if route.params == ("fetch_token",):
            return Case(SECRET, {"fetch_token": f"{document.pk}:forged"}, {"fetch_token": "0:forged"})
        return None
    if route.namespace == "organisations":
        organisation = world["organisation"]
        if route.params == ("token",):
            return Case(INVITE, {"token": world["invitation_token"]}, {"token": secrets.token_urlsafe(32)})
        if route.route.endswith("/logo/"):
            return Case(PUBLIC, {"uuid": organisation.uuid}, {"uuid": MISSING_UUID})
        if set(route.params) <= {"uuid", "member_uuid", "invitation_uuid"}:
            mine = {
                "uuid": organisation.uuid,
                "member_uuid": world["membership"].uuid,
                "invitation_uuid": world["invitation"].uuid,
            }
            missing = {"uuid": MISSING_UUID if route.params == ("uuid",) else organisation.uuid}
            missing.update(member_uuid=MISSING_UUID, invitation_uuid=MISSING_UUID)
            return Case(OWNER, mine, missing)
        return None
    if route.namespace == "bulk" and route.params == ("uuid",):
        # Templates and bulk sends: pages of their owner, like a document's.
        mine = world["template"] if route.route.startswith("templates/") else world["bulk"]
        return Case(OWNER, {"uuid": mine.uuid}, {"uuid": MISSING_UUID})
    if route.namespace == "admin":
        model = re.search(r"(\w+/\w+)/<path:object_id>/", route.route)
        if model:
            pk = world["admin_objects"].get(model.group(1))
            return None if pk is None else Case(ADMIN, {"object_id": pk}, {"object_id": 987654321})
        if route.params == ("content_type_id", "object_id"):
            content_type = ContentType.objects.get_for_model(Document)
            mine = {"content_type_id": content_type.pk, "object_id": document.pk}
            return Case(ADMIN, mine, {"content_type_id": content_type.pk, "object_id": 987654321})
        if route.params == ("app_label",):
            return Case(ADMIN, {"app_label": "signing"}, {"app_label": "identity"})
        if route.params == ("url",):
            return Case(ADMIN, {"url": f"signing/document/{document.pk}/"}, {"url": "signing/document/987654321/"})
    return None


# --- clients of those who may see A's objects ---------------------------------------------------


def signer_client(world) -> Client:
    client = Client()
    session = client.session
    session[VERIFIED_SESSION_KEY] = [str(world["signer"].uuid)]
    session.save()
    return client


def owner_client(world) -> Client:
    client = Client()
    client.force_login(world["owner"])
    return client
