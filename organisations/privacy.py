"""The organisations' part of a person's data download and of their account's deletion."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext

from identity.accounts import AccountDataProvider, AccountDeletionRefused
from identity.models import User
from organisations.models import Membership, Role


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


ACCOUNT_DATA = AccountDataProvider(
    name="organisations", export=account_memberships_export, delete=account_memberships_delete
)
