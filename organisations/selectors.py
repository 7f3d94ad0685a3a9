"""Reads: a person's membership in an organisation, the member and invitation lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from organisations.models import Invitation, Membership

if TYPE_CHECKING:
    from identity.models import User


def membership_get(*, user: User, organisation_uuid: Any) -> Membership:
    """The person's membership in the organisation, or Http404 (a non-member learns nothing)."""
    try:
        return Membership.objects.select_related("organisation").get(user=user, organisation__uuid=organisation_uuid)
    except (Membership.DoesNotExist, ValueError, TypeError) as err:
        raise Http404 from err


def members_list(*, membership: Membership) -> QuerySet[Membership]:
    """The organisation's members, longest-standing first, read in order from their index.

    The model's ordering starts with the organisation, which means its name: sorting by it here
    would join every member's organisation and sort them all before a page could be taken.
    """
    return (
        Membership.objects.filter(organisation_id=membership.organisation_id)
        .select_related("user")
        .order_by("joined_at", "pk")
    )


def invitations_open(*, membership: Membership) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organisation_id=membership.organisation_id, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).select_related("invited_by")
