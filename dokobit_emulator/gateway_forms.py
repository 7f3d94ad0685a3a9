"""Request body parsing for the emulated Documents Gateway.

Dokobit accepts the same fields as JSON (the SDK), as form-urlencoded with PHP bracket names
(``file[name]``, ``signers[0][id]``; the PHP example) and as multipart form-data (the .NET
example). All three are turned into one nested structure here. The body is read straight from the
stream because Django's form parsing caps field data at DATA_UPLOAD_MAX_MEMORY_SIZE, while a
base64 ``file[content]`` can be tens of megabytes.
"""

from __future__ import annotations

import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest

_KEY_PART = re.compile(r"\[([^\[\]]*)\]")


class BodyError(ValueError):
    """The request body cannot be read as JSON, urlencoded or multipart data."""


def max_body_bytes() -> int:
    # ~70 MB documents grow by a third in base64; leave room for that.
    return int(getattr(settings, "DOKOBIT_EMULATOR_MAX_BODY_BYTES", 128 * 1024 * 1024))


def read_body(request: HttpRequest) -> bytes:
    limit = max_body_bytes()
    # A body already read (e.g. by middleware) is reused; otherwise read the stream, capped.
    data = request._body if hasattr(request, "_body") else request.read(limit + 1)
    if len(data) > limit:
        raise BodyError("request body too large")
    return data


def split_name(name: str) -> list[str]:
    """``signers[0][id]`` -> ``["signers", "0", "id"]``; ``signers[][id]`` appends like PHP."""
    head, _, rest = name.partition("[")
    if not rest:
        return [name]
    return [head, *_KEY_PART.findall("[" + rest)]


def nest(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build PHP-style nested data from bracket-named pairs, then turn numeric maps into lists."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        parts = split_name(name)
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = {}
                    node[part] = child
                node = child
    return listify_fields(root)


def listify_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The request's top level stays a map of field names; below it, numbered maps become lists."""
    return {str(name): listify(value) for name, value in fields.items()}


def listify(value: Any) -> Any:
    """Maps keyed 0..n-1 become lists (PHP arrays); anything else is kept."""
    if isinstance(value, dict):
        converted = {str(k): listify(v) for k, v in value.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    if isinstance(value, list):
        return [listify(v) for v in value]
    return value


def parse_body(request: HttpRequest) -> dict[str, Any]:
    """The request's fields as nested dicts/lists of strings (JSON keeps its own types)."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    body = read_body(request)
    if not body.strip():
        return {}
    if media_type == "application/json" or (not media_type and body.lstrip()[:1] in (b"{", b"[")):
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise BodyError("invalid JSON body") from err
        if not isinstance(data, dict):
            raise BodyError("JSON body must be an object")
        return listify_fields(data)
    if media_type == "multipart/form-data":
        return nest(_multipart_pairs(content_type, body))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BodyError("form body is not UTF-8") from err
    return nest(parse_qsl(text, keep_blank_values=True))


def _multipart_pairs(content_type: str, body: bytes) -> list[tuple[str, Any]]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise BodyError("invalid multipart body")
    pairs: list[tuple[str, Any]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True)
        try:
            pairs.append((str(name), payload.decode("utf-8") if isinstance(payload, bytes) else ""))
        except UnicodeDecodeError as err:
            raise BodyError("multipart field is not UTF-8") from err
    return pairs


def query_params(request: HttpRequest) -> dict[str, Any]:
    return nest(list(request.GET.items()))
