"""Issue 13, finding 10: staff-only 500s. A NUL byte in an admin filter or search, and a
non-numeric ``_selected_action`` posted to an action, are refused with a 4xx or a message,
never a server error."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from signing.models import Signing

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(django_user_model):
    staff = django_user_model.objects.create_superuser(username="staff", password="pw-for-tests")
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    return client


CHANGELISTS = [
    "admin:identity_user_changelist",
    "admin:identity_identitysession_changelist",
    "admin:signing_document_changelist",
    "admin:signing_signing_changelist",
    "admin:signing_signer_changelist",
    "admin:signing_signingevent_changelist",
]


@pytest.mark.parametrize(
    "query",
    ["country_code=%00", "q=%00", "q=a%00b", "status=%00", "language=x%00", "o=%00", "p=%00", "kind__exact=%00"],
)
@pytest.mark.parametrize("changelist", CHANGELISTS)
def test_a_nul_byte_in_a_filter_or_search_is_a_400(staff_client, changelist, query):
    response = staff_client.get(f"{reverse(changelist)}?{query}")
    assert response.status_code == 400


def test_a_plain_filter_still_works(staff_client):
    assert staff_client.get(reverse("admin:identity_user_changelist") + "?country_code=LT").status_code == 200


@pytest.mark.parametrize("selected", ["abc", "", "1.5", "\x00", "9" * 40, "-1"])
@pytest.mark.parametrize(
    ("changelist", "action"),
    [
        ("admin:signing_document_changelist", "sync_now"),
        ("admin:signing_document_changelist", "cancel_signing"),
        ("admin:signing_document_changelist", "reprocess_failed_events"),
        ("admin:identity_user_changelist", "deactivate"),
    ],
)
def test_a_non_numeric_selection_is_refused_with_a_message(staff_client, live_signing, changelist, action, selected):
    response = staff_client.post(reverse(changelist), {"action": action, "_selected_action": [selected]})

    assert response.status_code in {302, 400}
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.PENDING
    if response.status_code == 302:
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        assert messages, "the staff member is told why nothing happened"
