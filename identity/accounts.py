"""A person's account as a whole: their data as a download (GDPR Art. 15/20) and its deletion.

Identity owns the account but not everything hung on it: the apps above it (signing's documents
and invitations) register a :class:`AccountDataProvider` in their ``AppConfig.ready()``. Identity
then never imports them, and a new app's data joins the export and the deletion by registering.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from identity.errors import IdentityError
from identity.models import User
from portal.errors import UserFacingError

logger = logging.getLogger(__name__)


class AccountDeletionRefused(IdentityError):
    """Something hung on the account must end first (a document still being signed, say)."""

    error = "deletion_refused"
    status = 409
    # Not an identification failure: the shared "could not be completed" wording, not identity's.
    default_message = UserFacingError.default_message


@dataclass(frozen=True)
class AccountDataProvider:
    """What one app keeps about a person.

    ``export(user)`` returns the app's sections of the download. ``delete(user)`` runs inside the
    deletion's transaction, before the user row goes: it may raise :class:`AccountDeletionRefused`
    and may return a callable to run once the deletion is committed (storage may be S3 over the
    network, never called inside a transaction).
    """

    name: str
    export: Callable[[User], dict[str, Any]]
    delete: Callable[[User], Callable[[], None] | None]


_providers: dict[str, AccountDataProvider] = {}


def account_data_provider_register(provider: AccountDataProvider) -> None:
    """Add (or, on a repeated ``ready()``, replace) an app's provider, by its name."""
    _providers[provider.name] = provider


def user_data_export(*, user: User) -> dict[str, Any]:
    """Everything the portal keeps about the person, for them to download (no secrets of others)."""
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "person": {
            "name": user.first_name,
            "surname": user.last_name,
            "country": user.country_code,
            "personal_code": user.personal_code,
            "email": user.email,
            "language": user.language,
            "joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
    }
    for provider in _providers.values():
        data.update(provider.export(user))
    return data


def user_delete(*, user: User) -> None:
    """Delete the account and what the apps keep for it, unless one of them refuses.

    Each provider decides what goes with the account (signing deletes the documents the person
    owns, keeps the ones of others they signed). Their after-commit work runs once the rows are gone.
    """
    with transaction.atomic():
        after_commit = [provider.delete(user) for provider in _providers.values()]
        user.delete()
    for work in after_commit:
        if work is not None:
            work()
    logger.info("an account was deleted at its owner's request")
