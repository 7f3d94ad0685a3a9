"""The staff roles (signing.staff_roles) extended to templates and bulk sends.

Support reads them; Operations may also retry a bulk send's failed rows (the change permission
its admin action asks for). Added after this app's migrate, when its permissions exist.
"""

from __future__ import annotations

from typing import Any

from signing.staff_roles import OPERATIONS, SUPPORT

_READ = ["bulk.view_signingtemplate", "bulk.view_templaterole", "bulk.view_bulksend", "bulk.view_bulkrow"]
BULK_STAFF_ROLES: dict[str, list[str]] = {SUPPORT: _READ, OPERATIONS: [*_READ, "bulk.change_bulksend"]}


def bulk_staff_roles_ensure(**_kwargs: Any) -> None:
    """Give the role groups (made by signing's receiver) the bulk permissions (a post_migrate receiver)."""
    from django.contrib.auth.models import Group, Permission

    for name, wanted in BULK_STAFF_ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        for dotted in wanted:
            app_label, codename = dotted.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
