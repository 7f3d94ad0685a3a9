"""Which signer a request stands for, and what this browser session proved about them.

A signer page's key is either the personal link's token (e-mailed; the eID check in this browser
session proves the person) or the signer's uuid (the inbox: the logged-in person whose eID matches
the signer). ``signer_for_key`` is the one place that decides; every signer page goes through it,
and ``is_verified`` accepts both proofs (the decline page, addressed by uuid, too).

Every signer page is wrapped in ``signer_link_page``: it speaks the signer's language, and the
token in its URL never leaves the site in a Referer header nor stays in a cache.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.crypto import constant_time_compare

from identity.models import User
from signing.inbox import signer_get_for_person
from signing.models import Signer, Signing
from signing.order import on_turn
from signing.selectors import signer_get_by_link_token, signing_current

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

# Signer uuids whose eID matched, and those whose eID did not, in this browser session.
VERIFIED_SESSION_KEY = "signing_verified_signers"
REFUSED_SESSION_KEY = "signing_refused_signers"


def signer_link_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The link token is in these URLs: never let it leave the site in a Referer header, never cache.

    ``same-origin``, not ``no-referrer``: under ``no-referrer`` Chromium sends ``Origin: null`` with
    the page's own form posts (Cancel on the signing page) and the CSRF check refuses them. The
    portal already knows the token, so only cross-origin requests must go without a Referer.
    """

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        language = _signer_page_language(request, kwargs.get("token", ""), kwargs.get("signer_uuid"))
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        response["Referrer-Policy"] = "same-origin"
        response["Cache-Control"] = "no-store, private"
        return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _signer_page_language(request: HttpRequest, token: str, signer_uuid: UUID | None = None) -> str:
    """The signer's own language (chosen when they were invited), unless they switched on the page.

    The browser's language is only a guess: a signer invited in Lithuanian reads Lithuanian on a
    borrowed laptop too. The language switcher sets the cookie, and a choice made there wins.
    """
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or not (token or signer_uuid):
        return translation.get_language()
    # Only a link that still works, or one this browser has verified: the neutral page of a
    # removed, cancelled or finished link must not differ from an unknown link's, not even in
    # its language. A declined link says so, in its signer's language.
    uuid_key = signer_uuid if signer_uuid is not None else signer_uuid_of(token)
    if uuid_key is not None and request.user.is_authenticated:
        # The inbox's way in: the logged-in person reads their own language, as on every other page.
        return translation.get_language()
    if signer_uuid is not None:
        signer = verified_signer_by_uuid(request, signer_uuid)
    else:
        signer = (
            signer_for_link(request, token)
            or signer_for_result(request, token)
            or signer_declined_by_link(request, token)
        )
    return signer.language if signer is not None else translation.get_language()


def signer_uuid_of(key: str) -> uuid.UUID | None:
    """The signer uuid a page key names (the inbox's way in), or None for a link token.

    Only the canonical form counts, so a link token (43 URL-safe characters) is never read as one.
    """
    try:
        value = uuid.UUID(key)
    except (ValueError, TypeError, AttributeError):
        return None
    return value if str(value) == key else None


def signer_for_key(request: HttpRequest, key: str) -> Signer | None:
    """The signer a signer page's ``key`` stands for in this request, or None: the one decision.

    A signer uuid stands for a signer only to the logged-in person whose eID (country and keyed
    hash of the personal code) is that signer's: to anyone else it is a signer that does not
    exist. Any other key is a personal link's token.
    """
    signer_uuid = signer_uuid_of(key)
    if signer_uuid is None:
        return signer_get_by_link_token(token=key)
    person = _logged_in_person(request)
    if person is None:
        return None
    return signer_get_for_person(signer_uuid=signer_uuid, country_code=person[0], pc_lookup=person[1])


def _logged_in_person(request: HttpRequest) -> tuple[str, str] | None:
    """(country, keyed hash of the personal code) of the logged-in person, None without an eID login."""
    user = request.user
    if not isinstance(user, User) or not user.is_active or not user.pc_lookup or not user.country_code:
        return None
    return user.country_code, user.pc_lookup


def is_logged_in_signer(request: HttpRequest, signer: Signer) -> bool:
    """Whether the logged-in person is ``signer``: same country, same keyed hash of the code."""
    person = _logged_in_person(request)
    return (
        person is not None and person[0] == signer.country_code and constant_time_compare(person[1], signer.pc_lookup)
    )


def signer_for_link(request: HttpRequest, token: str, *, finished: bool = False) -> Signer | None:
    """The signer behind a page key while their signing can still be signed, else None.

    With ``finished``, also while it is completed: the link then leads to the signed file.
    """
    signer = signer_for_key(request, token)
    return signer if signer is not None and _link_usable(signer, finished=finished) else None


def _link_usable(signer: Signer, *, finished: bool) -> bool:
    if signer.status in (Signer.Status.REMOVED, Signer.Status.DECLINED):
        return False
    signing = _signer_signing(signer)
    if signing is None or signing.status == Signing.Status.CANCELLED:
        return False
    return not (signing.status == Signing.Status.COMPLETED and not finished)


def signer_declined_by_link(request: HttpRequest, token: str) -> Signer | None:
    """The signer behind a page key who declined: their link says so instead of opening the document."""
    signer = signer_for_key(request, token)
    return signer if signer is not None and signer.status == Signer.Status.DECLINED else None


def signing_completed(signer: Signer) -> bool:
    signing = _signer_signing(signer)
    return signing is not None and signing.status == Signing.Status.COMPLETED


def _signer_signing(signer: Signer) -> Signing | None:
    signing = signer.signing
    if signing is None or signing.status == Signing.Status.REPLACED:
        signing = signing_current(document=signer.document)
    return signing


def signing_awaiting(signer: Signer) -> Signing | None:
    """The open signing still waiting for this signer's signature, or None."""
    signing = _signer_signing(signer)
    if signer.status == Signer.Status.PENDING and signing is not None and signing.is_open:
        return signing
    return None


def is_verified(request: HttpRequest, signer: Signer) -> bool:
    """Proven to be ``signer``: by an eID check on their link in this browser session, or by being
    logged in as the same person (their eID login proved it)."""
    return str(signer.uuid) in request.session.get(VERIFIED_SESSION_KEY, []) or is_logged_in_signer(request, signer)


def is_refused(request: HttpRequest, signer: Signer) -> bool:
    return str(signer.uuid) in request.session.get(REFUSED_SESSION_KEY, [])


def remember(request: HttpRequest, signer: Signer, *, matched: bool) -> None:
    key, other = (VERIFIED_SESSION_KEY, REFUSED_SESSION_KEY) if matched else (REFUSED_SESSION_KEY, VERIFIED_SESSION_KEY)
    uid = str(signer.uuid)
    request.session[key] = [*(u for u in request.session.get(key, []) if u != uid), uid]
    request.session[other] = [u for u in request.session.get(other, []) if u != uid]


def verified_signer_by_uuid(request: HttpRequest, signer_uuid: UUID) -> Signer | None:
    """The signer ``signer_uuid`` when this request stands for them and their signing is still open.

    The same decision as :func:`verified_signer`, for pages addressed by the signer's uuid rather
    than by the link's secret (the decline page, which the inbox links to).
    """
    signer = Signer.objects.select_related("signing", "document__owner").filter(uuid=signer_uuid).first()
    if signer is None or not _link_usable(signer, finished=False) or not is_verified(request, signer):
        return None
    return signer


def verified_signer(request: HttpRequest, token: str) -> Signer | None:
    """The verified signer of a link whose signing waits for them now (their turn has come)."""
    signer = signer_for_link(request, token)
    if signer is None or not is_verified(request, signer) or waiting_for_turn(signer):
        return None
    return signer


def waiting_for_turn(signer: Signer) -> bool:
    """Whether the signing still waits for others to sign before this signer (signing.order)."""
    return signing_awaiting(signer) is not None and not on_turn(signer)


def signer_for_result(request: HttpRequest, token: str) -> Signer | None:
    # The result stays readable after the signing finished, but only for the verified signer.
    signer = signer_for_key(request, token)
    if signer is None or signer.status in (Signer.Status.REMOVED, Signer.Status.DECLINED):
        return None
    if not is_verified(request, signer):
        return None
    return signer
