"""The organisations' part of a person's data download and of their account's deletion.

An organisation never ends up with nobody to run it. Its only admin cannot delete their account
while others are still members (they make someone else an admin first, as for leaving). Its only
member takes it along when it holds nothing (no document, template or bulk send: there is nothing
for anyone to reach); when it still holds something, the deletion is refused and they are told to
hand it over first: invite a colleague, make them an admin, then go. The organisation's documents
are its own, not the person's (the personal-data deletion keeps them), so they are never deleted
as a side effect of someone's account going.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, ProtectedError, Q, RestrictedError
from django.utils.translation import gettext

from identity.accounts import AccountDataProvider, AccountDeletionRefused
from identity.models import User
from organisations.models import Membership, Organisation, Role


class AccountIsLastAdmin(AccountDeletionRefused):
    """The person is the only admin of an organisation that has other members."""

    error = "last_admin"

    def __init__(self) -> None:
        super().__init__(
            gettext(
                "You are the only admin of an organisation that has other members. Make another member an admin "
                "first, then delete your account."
            )
        )


class AccountIsLastMember(AccountDeletionRefused):
    """The person is the only member of an organisation that still holds documents (or templates)."""

    error = "last_member"

    def __init__(self, names: list[str]) -> None:
        super().__init__(
            gettext(
                "You are the only member of %(organisations)s, which still holds documents, templates or bulk "
                "sends. Hand it over first: invite a colleague, make them an admin, then delete your account."
            )
            % {"organisations": ", ".join(f"“{name}”" for name in names)}
        )


def account_memberships_export(user: User) -> dict[str, Any]:
    return {
        "organisations": [
            {
                "organisation": membership.organisation.name,
                "registration_code": membership.organisation.registration_code,
                "role": membership.role,
                "joined": membership.joined_at.isoformat(),
            }
            for membership in Membership.objects.filter(user=user).select_related("organisation")
        ]
    }


def account_memberships_delete(user: User) -> None:
    """Refuse while an organisation would be left with members but no admin; the memberships cascade."""
    stranded = (
        Membership.objects.filter(user=user, role=Role.ADMIN)
        .annotate(
            admins=Count("organisation__memberships", filter=Q(organisation__memberships__role=Role.ADMIN)),
            people=Count("organisation__memberships"),
        )
        .filter(admins=1, people__gt=1)
    )
    if stranded.exists():
        raise AccountIsLastAdmin()
    _alone_organisations_delete(user)


def _alone_organisations_delete(user: User) -> None:
    """Delete the organisations the person is the only member of, if they hold nothing; else refuse.

    What an organisation holds (documents, templates, bulk sends) refers to it with PROTECT, so the
    delete itself finds it, without this app reading the apps above it. Runs in the account
    deletion's transaction: a refusal rolls everything back.
    """
    alone_ids = (
        Membership.objects.filter(user=user)
        .annotate(people=Count("organisation__memberships"))
        .filter(people=1)
        .values_list("organisation_id", flat=True)
    )
    holding = []
    for organisation in Organisation.objects.filter(pk__in=list(alone_ids)).order_by("name"):
        try:
            with transaction.atomic():
                organisation.delete()
        except (ProtectedError, RestrictedError):
            holding.append(organisation.name)
    if holding:
        raise AccountIsLastMember(holding)


ACCOUNT_DATA = AccountDataProvider(
    name="organisations", export=account_memberships_export, delete=account_memberships_delete
)
