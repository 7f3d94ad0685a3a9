"""What each role may do in its organisation: the one table every check reads.

Document access combines this with the document itself in ``signing.access`` (signing sits above
this app and may read it; this app never reads signing).
"""

from __future__ import annotations

from organisations.models import DocumentVisibility, Membership, Organisation, Role


def can_manage(membership: Membership | None) -> bool:
    """Members, roles, invitations and settings; every document of the organisation."""
    return membership is not None and membership.role == Role.ADMIN


def can_create_documents(membership: Membership | None) -> bool:
    return membership is not None and membership.role in (Role.ADMIN, Role.MEMBER)


def sees_every_document(membership: Membership | None, organisation: Organisation) -> bool:
    """Admins always; members and viewers when the organisation lets members see all documents.

    Otherwise a member sees the documents they created and those shared with the organisation,
    a viewer the shared ones (viewers create none).
    """
    if membership is None:
        return False
    return membership.role == Role.ADMIN or organisation.document_visibility == DocumentVisibility.ALL


def can_change_shared_setup(membership: Membership | None, *, is_creator: bool) -> bool:
    """Edit or delete something members share (a template): its creator while they may create, or an admin."""
    return can_manage(membership) or (is_creator and can_create_documents(membership))
