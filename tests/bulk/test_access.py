"""Access matrix of the template and bulk-send routes: the owner, another person, an anonymous visitor.

Another person gets exactly what a template or bulk send that does not exist gets (404), an
anonymous visitor the login page; nothing of the owner's shows to either. (The URLconf-wide matrix
in tests/security/test_object_access.py walks the same routes with its own cases.)
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bulk.models import BulkRow, BulkSend, SigningTemplate
from tests.bulk.helpers import bulk_objects_of

pytestmark = pytest.mark.django_db

# (route name, method, what the owner gets)
ROUTES = [
    ("bulk:template-edit", "get", 200),
    ("bulk:template-edit", "post", 400),
    ("bulk:template-use", "get", 200),
    ("bulk:template-use", "post", 400),
    ("bulk:template-delete", "post", 302),
    ("bulk:bulk-progress", "get", 200),
    ("bulk:bulk-progress-json", "get", 200),
    ("bulk:bulk-summary", "get", 200),
    ("bulk:bulk-retry", "post", 302),
    ("bulk:bulk-csv", "get", 302),  # already sent: to its progress page
    ("bulk:bulk-csv", "post", 302),
]
LISTS = ["bulk:template-list", "bulk:template-new", "bulk:bulk-list", "bulk:bulk-new"]


@pytest.fixture
def alice(make_user):
    return make_user(country_code="EE", personal_code="39912319999", first_name="Alice", last_name="Owner")


@pytest.fixture
def objects(alice):
    return bulk_objects_of(alice)


def url_of(name: str, objects) -> str:
    template, bulk = objects
    target = template if name.startswith("bulk:template") else bulk
    return reverse(name, kwargs={"uuid": target.uuid})


@pytest.mark.parametrize(("name", "method", "owner_status"), ROUTES)
def test_the_owner_reaches_each_route(alice, objects, name, method, owner_status):
    client = Client()
    client.force_login(alice)
    assert getattr(client, method)(url_of(name, objects)).status_code == owner_status


@pytest.mark.parametrize(("name", "method", "_owner_status"), ROUTES)
def test_another_person_gets_what_nothing_gets_and_changes_nothing(make_user, objects, name, method, _owner_status):
    template, bulk = objects
    stranger = make_user(country_code="LV", personal_code="030303-10012", first_name="Bob", last_name="Stranger")
    client = Client()
    client.force_login(stranger)
    response = getattr(client, method)(url_of(name, objects))
    missing = getattr(client, method)(reverse(name, kwargs={"uuid": "00000000-0000-4000-8000-000000000000"}))
    assert response.status_code == missing.status_code == 404
    assert response.content == missing.content
    for secret in (template.name, bulk.title_pattern, "Person0"):
        assert secret not in response.content.decode()
    assert SigningTemplate.objects.filter(pk=template.pk).exists()
    assert list(BulkRow.objects.values_list("status", flat=True)) == ["waiting"]


@pytest.mark.parametrize(("name", "method", "_owner_status"), ROUTES)
def test_an_anonymous_visitor_is_sent_to_log_in(objects, name, method, _owner_status):
    response = getattr(Client(), method)(url_of(name, objects))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("name", LISTS)
def test_lists_and_new_pages_show_only_ones_own(make_user, objects, name):
    stranger = make_user(country_code="LV", personal_code="030303-10012", first_name="Bob", last_name="Stranger")
    client = Client()
    client.force_login(stranger)
    page = client.get(reverse(name)).content.decode()
    template, bulk = objects
    assert template.name not in page
    assert bulk.title_pattern not in page
    assert Client().get(reverse(name)).status_code == 302


def test_a_template_named_in_the_bulk_link_of_another_person_is_ignored(make_user, objects):
    template, _ = objects
    stranger = make_user(country_code="LV", personal_code="030303-10012", first_name="Bob", last_name="Stranger")
    client = Client()
    client.force_login(stranger)
    page = client.get(reverse("bulk:bulk-new") + f"?template={template.uuid}").content.decode()
    assert template.title_pattern not in page
    assert BulkSend.objects.count() == 1
