"""Staff account actions never reach an account with more rights than the staff member (T16).

Each action (activate, deactivate, log out everywhere) is tried by an Operations staff member on
each kind of account: a superuser, staff of a higher role, a peer, Support, a person, and their own.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from identity.models import User
from signing.staff_roles import OPERATIONS, SUPPORT

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:identity_user_changelist"
LEFT_UNCHANGED = "left unchanged: staff cannot act on accounts with more rights than their own"


def staff_member(username: str, *, role: str | None = None, superuser: bool = False, extra: str = "") -> User:
    user = User.objects.create(username=username, is_staff=True, is_superuser=superuser)
    user.set_password("pw-for-tests")
    user.save()
    if role:
        user.groups.add(Group.objects.get(name=role))
    if extra:
        app_label, codename = extra.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


@pytest.fixture
def operations() -> User:
    return staff_member("ops", role=OPERATIONS)


def target_of(kind: str, actor: User, make_user) -> User:
    if kind == "self":
        return actor
    if kind == "superuser":
        return staff_member("root", superuser=True)
    if kind == "higher_role":  # Operations plus a right Operations does not have
        return staff_member("lead", role=OPERATIONS, extra="identity.delete_user")
    if kind == "peer":
        return staff_member("ops2", role=OPERATIONS)
    if kind == "support":
        return staff_member("help", role=SUPPORT)
    return make_user()


def run_action(client: Client, action: str, target: User):
    return client.post(reverse(CHANGELIST), {"action": action, "_selected_action": [target.pk]}, follow=True)


def effect(action: str, before: User, after: User) -> bool:
    if action == "deactivate":
        return before.is_active and not after.is_active
    if action == "activate":
        return not before.is_active and after.is_active
    return after.session_generation == before.session_generation + 1


REACHES = {
    # target kind: (activate, deactivate, end_sessions)
    "superuser": (False, False, False),
    "higher_role": (False, False, False),
    "peer": (True, True, True),
    "support": (True, True, True),
    "person": (True, True, True),
    "self": (False, False, True),  # logging oneself out elsewhere keeps the current session
}


@pytest.mark.parametrize("kind", list(REACHES))
@pytest.mark.parametrize("action", ["activate", "deactivate", "end_sessions"])
def test_operations_actions_reach_only_accounts_without_more_rights(client, operations, make_user, kind, action):
    target = target_of(kind, operations, make_user)
    if action == "activate" and kind != "self":
        User.objects.filter(pk=target.pk).update(is_active=False)
    before = User.objects.get(pk=target.pk)
    client.force_login(operations)

    response = run_action(client, action, target)

    expected = REACHES[kind][["activate", "deactivate", "end_sessions"].index(action)]
    assert response.status_code == 200
    assert effect(action, before, User.objects.get(pk=target.pk)) is expected
    page = response.content.decode()
    if expected:
        assert LEFT_UNCHANGED not in page
    elif not (action == "activate" and kind == "self"):
        assert f"1 account(s) {LEFT_UNCHANGED}" in page
    # The staff member is still in, whatever they selected.
    assert client.get(reverse(CHANGELIST)).status_code == 200


@pytest.mark.parametrize(
    ("kind", "action", "expected"),
    [
        ("superuser", "deactivate", True),
        ("superuser", "end_sessions", True),
        ("self", "deactivate", False),
    ],
)
def test_a_superuser_reaches_everyone_but_cannot_switch_themselves_off(client, make_user, kind, action, expected):
    actor = staff_member("boss", superuser=True)
    target = target_of(kind, actor, make_user)
    before = User.objects.get(pk=target.pk)
    client.force_login(actor)

    run_action(client, action, target)

    assert effect(action, before, User.objects.get(pk=target.pk)) is expected
    assert client.get(reverse(CHANGELIST)).status_code == 200


def test_a_mixed_selection_changes_only_the_reachable_accounts(client, operations, make_user):
    root = staff_member("root", superuser=True)
    person = make_user()
    client.force_login(operations)

    response = client.post(
        reverse(CHANGELIST),
        {"action": "deactivate", "_selected_action": [root.pk, person.pk, operations.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "1 account(s) deactivated." in page
    assert f"2 account(s) {LEFT_UNCHANGED}" in page
    assert User.objects.get(pk=root.pk).is_active
    assert User.objects.get(pk=operations.pk).is_active
    assert not User.objects.get(pk=person.pk).is_active


def test_operations_cannot_switch_a_superuser_off_through_the_change_form(client, operations):
    root = staff_member("root", superuser=True)
    client.force_login(operations)
    url = reverse("admin:identity_user_change", args=[root.pk])

    page = client.get(url)
    posted = client.post(url, {"email": "", "language": "en"})  # is_active left unticked

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # shown, not changeable
    assert posted.status_code == 403
    assert User.objects.get(pk=root.pk).is_active


def test_nobody_switches_their_own_account_off_or_changes_their_own_rights(client):
    root = staff_member("root", superuser=True)
    client.force_login(root)
    url = reverse("admin:identity_user_change", args=[root.pk])

    response = client.post(url, {"email": "root@example.test", "language": "en"})

    assert response.status_code == 302
    root.refresh_from_db()
    assert root.email == "root@example.test"
    assert (root.is_active, root.is_staff, root.is_superuser) == (True, True, True)
