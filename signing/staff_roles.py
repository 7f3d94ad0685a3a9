"""The staff roles: two groups with the least each kind of work needs (T16).

A staff account (``is_staff``) reaches the admin, but sees and does only what its groups or
permissions allow; superusers have everything. The groups are created after every ``migrate``,
and a missing permission is added back; permissions an operator added to them stay.

- Support: reads documents, signings, signers, their history, accounts and eID logins, and opens
  any document's page and files (each download is recorded).
- Operations: Support, plus the document actions (sync, resend, renew, cancel, reprocess), the
  owner's actions on anyone's document, and account activation, deactivation and log-out.
"""

from __future__ import annotations

from typing import Any

SUPPORT = "Support"
OPERATIONS = "Operations"

# What a staff member needs to open someone else's document in the portal's own pages, and to take
# its owner's actions there.
VIEW_ANY_DOCUMENT = "signing.view_document"
CHANGE_ANY_DOCUMENT = "signing.change_document"

_READ = [
    VIEW_ANY_DOCUMENT,
    "signing.view_signing",
    "signing.view_signer",
    "signing.view_signingevent",
    "signing.view_copyrecipient",
    "signing.view_documentfile",
    "signing.view_validationreport",
    "identity.view_user",
    "identity.view_identitysession",
]
STAFF_ROLES: dict[str, list[str]] = {
    SUPPORT: _READ,
    OPERATIONS: [*_READ, CHANGE_ANY_DOCUMENT, "signing.change_validationreport", "identity.change_user"],
}


def staff_roles_ensure(**_kwargs: Any) -> None:
    """Create the role groups and give each its permissions (a post_migrate receiver)."""
    from django.contrib.auth.models import Group, Permission

    for name, wanted in STAFF_ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        for dotted in wanted:
            app_label, codename = dotted.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
