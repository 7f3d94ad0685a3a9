"""What must hold for every document after any fault, once the system has settled.

``invariant_problems()`` returns a list of plain-language problems (empty when all is well);
``assert_invariants()`` fails a test with all of them at once. Checked against the database and
the emulator's own records (the gateway's side of the truth):

1. every document has a signing, and every signing is in a known state (or one the test allows);
2. every live portal signing is linked to exactly one live Dokobit signing that carries its
   current postback secret (live = not deleted, not past retention); no other live Dokobit
   signing carries that secret; a completed signing's Dokobit token exists;
3. every signer is invited exactly once per signing unless the owner re-sent the invitation
   (counted as INVITATION_SENT events and, when given, as e-mails in the outbox);
4. every completed signing has its signed file, whose bytes match the stored digest and size and
   the file Dokobit holds.
"""

from __future__ import annotations

import email
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

from signing.models import Document, Signer, Signing, SigningEvent
from signing.selectors import token_hash

LIVE = (Signing.Status.PENDING, Signing.Status.PARTIALLY_SIGNED)


def outbox_messages(outbox: Path | None = None, messages: Iterable | None = None) -> list[Message]:
    """E-mails from a file-based outbox folder (one file per connection) and/or Django message objects."""
    found: list[Message] = []
    if outbox is not None:
        for path in sorted(Path(outbox).glob("*")):
            for chunk in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
                if chunk.strip():
                    found.append(email.message_from_string(chunk.lstrip("\n")))
    for message in messages or ():
        found.append(email.message_from_bytes(message.message().as_bytes()))
    return found


def _text(message: Message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    out = []
    for part in parts:
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True) or b""
            out.append(payload.decode(part.get_content_charset() or "utf-8", errors="replace"))
    return "\n".join(out)


def invitations_in(messages: list[Message], signer: Signer) -> int:
    """How many of ``messages`` invite ``signer``: addressed to them, the invitation's subject, their link."""
    from signing.emails import signer_invitation_message

    subject = signer_invitation_message(signer=signer).subject
    link = re.compile(r"/sign/" + re.escape(signer.link_token) + r"/(\s|$)")
    return sum(
        1 for m in messages if signer.email in (m.get("To") or "") and _subject(m) == subject and link.search(_text(m))
    )


def _subject(message: Message) -> str:
    return str(make_header(decode_header(message.get("Subject") or "")))


def _secret_hash_of(postback_url: str) -> str | None:
    try:
        match = resolve(urlsplit(postback_url).path)
    except Resolver404:
        return None
    secret = match.kwargs.get("secret")
    return token_hash(secret) if secret else None


def _live_gateway_signings() -> list:
    from dokobit_emulator.models.gateway import GatewaySigning

    return [g for g in GatewaySigning.objects.filter(deleted=False) if not g.is_gone()]


def invariant_problems(
    *,
    allowed: Iterable[str] | None = None,
    outbox: Path | None = None,
    messages: Iterable | None = None,
) -> list[str]:
    problems: list[str] = []
    allowed_statuses = set(allowed) if allowed is not None else set(Signing.Status.values)
    live_gateway = _live_gateway_signings()
    by_secret: Counter[str] = Counter()
    gateway_by_token = {}
    for gateway_signing in live_gateway:
        gateway_by_token[gateway_signing.token] = gateway_signing
        secret_hash = _secret_hash_of(gateway_signing.postback_url)
        if secret_hash:
            by_secret[secret_hash] += 1

    for document in Document.objects.all():
        if not document.signings.exists():
            problems.append(f"document {document.pk} has no signing")

    for signing in Signing.objects.select_related("document"):
        label = f"signing {signing.pk} ({signing.status})"
        if signing.status not in allowed_statuses:
            problems.append(f"{label} is not in an allowed state {sorted(allowed_statuses)}")
        if signing.status in LIVE or signing.status == Signing.Status.COMPLETED:
            if not signing.dokobit_token:
                problems.append(f"{label} has no Dokobit token")
            elif signing.dokobit_token not in gateway_by_token:
                problems.append(f"{label} is linked to a Dokobit signing that is not live")
            elif _secret_hash_of(gateway_by_token[signing.dokobit_token].postback_url) != signing.postback_secret_hash:
                problems.append(f"{label}: its Dokobit signing does not carry the current postback secret")
        if signing.status in LIVE and by_secret[signing.postback_secret_hash] != 1:
            problems.append(
                f"{label} has {by_secret[signing.postback_secret_hash]} live Dokobit signings with its secret"
            )
        if signing.status == Signing.Status.COMPLETED:
            problems += _signed_file_problems(signing, gateway_by_token.get(signing.dokobit_token))

    mails = outbox_messages(outbox, messages) if (outbox is not None or messages is not None) else None
    for signer in Signer.objects.select_related("signing").exclude(status=Signer.Status.REMOVED):
        signing = signer.signing
        if signing is None:
            problems.append(f"signer {signer.pk} is on no signing")
            continue
        events = SigningEvent.objects.filter(signer=signer, kind=SigningEvent.Kind.INVITATION_SENT)
        first = [e for e in events if not (e.payload or {}).get("resend")]
        resent = len(events) - len(first)
        should_be_invited = signing.status in LIVE or signer.status == Signer.Status.SIGNED
        if len(first) > 1:
            problems.append(f"signer {signer.pk} was invited {len(first)} times")
        if should_be_invited and not first:
            problems.append(f"signer {signer.pk} of {signing.status} signing {signing.pk} was never invited")
        if mails is not None:
            received = invitations_in(mails, signer)
            if received != len(first) + resent:
                problems.append(f"signer {signer.pk} received {received} invitation e-mails, recorded {len(events)}")
    return problems


def _signed_file_problems(signing: Signing, gateway_signing) -> list[str]:
    label = f"completed signing {signing.pk}"
    if not signing.signed_file:
        return [f"{label} has no signed file"]
    try:
        with signing.signed_file.open("rb") as handle:
            data = handle.read()
    except OSError:
        return [f"{label}: its signed file cannot be read"]
    problems = []
    digest = hashlib.sha256(data).hexdigest()
    if digest != signing.signed_sha256 or len(data) != signing.signed_size:
        problems.append(f"{label}: the stored file does not match its recorded digest and size")
    if gateway_signing is not None and hashlib.sha256(gateway_signing.current_bytes()).hexdigest() != digest:
        problems.append(f"{label}: the stored file is not the file Dokobit holds")
    return problems


def assert_invariants(**kwargs) -> None:
    problems = invariant_problems(**kwargs)
    assert not problems, "invariants broken:\n" + "\n".join(problems)
