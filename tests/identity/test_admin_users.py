"""Staff find people by exact personal code (through the keyed hash) and switch accounts off."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser(username="staff", password="pw-for-tests")


def test_search_by_exact_personal_code_shows_it_masked(client, staff, make_user):
    person = make_user(country_code="LT", personal_code="50001018865", first_name="Mobile", last_name="Person")
    make_user(country_code="EE", personal_code="60001019906", first_name="Mary", last_name="Other")
    client.force_login(staff)
    page = client.get(reverse("admin:identity_user_changelist"), {"q": "LT:50001018865"}).content.decode()
    assert "Mobile Person" in page
    assert "Mary Other" not in page
    # The rows show the code masked; the whole code is only what the staff member typed.
    rows = re.sub(r'href="[^"]*"', "", page.split("<tbody>", 1)[1].split("</tbody>", 1)[0])
    assert "50001018865" not in rows
    assert person.personal_code_masked in rows


def test_deactivated_person_is_logged_out_on_the_next_request(client, staff, make_user):
    person = make_user()
    person_client = client.__class__()
    person_client.force_login(person)
    assert person_client.get("/dashboard/").status_code == 200

    client.force_login(staff)
    client.post(reverse("admin:identity_user_changelist"), {"action": "deactivate", "_selected_action": [person.pk]})
    person.refresh_from_db()
    assert person.is_active is False
    assert person_client.get("/dashboard/").status_code == 302

    client.post(reverse("admin:identity_user_changelist"), {"action": "activate", "_selected_action": [person.pk]})
    person.refresh_from_db()
    assert person.is_active is True
