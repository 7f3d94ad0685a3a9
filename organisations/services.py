"""Writes of organisations and memberships: create, change a role, remove a member, leave.

Role changes and removals lock the organisation's row, so two admins demoting each other at the
same moment cannot leave it without an admin.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction

from organisations.errors import LastAdmin
from organisations.models import Membership, Organisation, Role

if TYPE_CHECKING:
    from identity.models import User

logger = logging.getLogger(__name__)


def organisation_create(*, creator: User, name: str, registration_code: str, country_code: str) -> Organisation:
    """A new organisation whose creator is its first admin."""
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=name.strip(), registration_code=registration_code.strip(), country_code=country_code
        )
        Membership.objects.create(organisation=organisation, user=creator, role=Role.ADMIN)
    logger.info("organisation %s created by user %s", organisation.pk, creator.pk)
    return organisation


def _admins_left_without(organisation: Organisation, membership: Membership) -> int:
    return organisation.memberships.filter(role=Role.ADMIN).exclude(pk=membership.pk).count()


def membership_role_change(*, membership: Membership, role: str) -> Membership:
    """Give a member another role; the last admin keeps theirs (LastAdmin)."""
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=membership.organisation_id)
        membership = Membership.objects.select_related("organisation").get(pk=membership.pk)
        if (
            membership.role == Role.ADMIN
            and role != Role.ADMIN
            and not _admins_left_without(membership.organisation, membership)
        ):
            raise LastAdmin()
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def membership_end(*, membership: Membership) -> None:
    """Remove a member (or let them leave): their access to the organisation's documents ends with the row.

    The documents they created stay with the organisation.
    """
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=membership.organisation_id)
        current = Membership.objects.select_related("organisation").filter(pk=membership.pk).first()
        if current is None:
            return  # already gone: removing twice is not an error
        if current.role == Role.ADMIN and not _admins_left_without(current.organisation, current):
            raise LastAdmin()
        current.delete()
    logger.info("membership %s in organisation %s ended", membership.pk, membership.organisation_id)
