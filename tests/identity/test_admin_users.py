"""Staff find people by exact personal code (through the keyed hash) and switch accounts off."""

import re

import pytest
from django.contrib.admin.models import LogEntry
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
    # Reactivated, the account logs in anew: the browser session from before stays ended.
    assert person_client.get("/dashboard/").status_code == 302


def test_switching_an_account_off_on_its_change_form_ends_its_sessions_for_good(client, staff, make_user):
    person = make_user()
    person_client = client.__class__()
    person_client.force_login(person)
    client.force_login(staff)
    url = reverse("admin:identity_user_change", args=[person.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.pop("is_active", None)  # the box unticked
    assert client.post(url, data).status_code == 302
    person.refresh_from_db()
    assert person.is_active is False

    person.is_active = True
    person.save(update_fields=["is_active"])
    assert person_client.get("/dashboard/").status_code == 302


def test_search_by_name_and_email_finds_the_person(client, staff, make_user):
    make_user(personal_code="50001018865", first_name="Mobile", last_name="Person", email="mobile@example.test")
    make_user(country_code="EE", personal_code="60001019906", first_name="Mary", last_name="Other")
    client.force_login(staff)
    changelist = reverse("admin:identity_user_changelist")

    by_name = client.get(changelist, {"q": "Person"}).content.decode()
    by_email = client.get(changelist, {"q": "mobile@example.test"}).content.decode()

    for page in (by_name, by_email):
        assert "Mobile Person" in page
        assert "Mary Other" not in page


def test_a_partial_personal_code_finds_nobody(client, staff, make_user):
    # Codes are found only exactly, through the keyed hash: no prefix search on a birth date.
    make_user(country_code="LT", personal_code="50001018865", first_name="Mobile", last_name="Person")
    client.force_login(staff)

    page = client.get(reverse("admin:identity_user_changelist"), {"q": "LT:5000101886"}).content.decode()

    assert "Mobile Person" not in page


def test_change_form_shows_the_code_masked_and_ignores_a_posted_personal_code(client, staff, make_user):
    person = make_user(country_code="LT", personal_code="50001018865", first_name="Mobile", last_name="Person")
    lookup_before = person.pc_lookup
    client.force_login(staff)
    url = reverse("admin:identity_user_change", args=[person.pk])

    page = client.get(url).content.decode()
    assert "50001018865" not in page
    assert person.personal_code_masked in page
    assert 'name="personal_code' not in page
    assert 'name="pc_lookup' not in page

    response = client.post(
        url,
        {
            "email": "changed@example.test",
            "language": person.language,
            "is_active": "on",
            "personal_code": "39001010002",
            "personal_code_encrypted": "forged",
            "pc_lookup": "forged",
            "country_code": "EE",
            "first_name": "Forged",
        },
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email == "changed@example.test"  # the form itself was saved
    assert person.personal_code == "50001018865"
    assert person.pc_lookup == lookup_before
    assert person.country_code == "LT"
    assert person.first_name == "Mobile"


def test_log_out_everywhere_ends_every_session_of_the_person(client, staff, make_user):
    person = make_user()
    bystander = make_user(country_code="EE", personal_code="60001019906", first_name="Mary", last_name="Other")
    laptop, phone, other = client.__class__(), client.__class__(), client.__class__()
    laptop.force_login(person)
    phone.force_login(person)
    other.force_login(bystander)
    assert laptop.get("/dashboard/").status_code == 200

    client.force_login(staff)
    response = client.post(
        reverse("admin:identity_user_changelist"),
        {"action": "end_sessions", "_selected_action": [person.pk]},
        follow=True,
    )

    assert "All sessions of 1 account(s) were ended." in response.content.decode()
    assert laptop.get("/dashboard/").status_code == 302
    assert phone.get("/dashboard/").status_code == 302
    assert other.get("/dashboard/").status_code == 200
    person.refresh_from_db()
    assert person.is_active  # logged out, not locked out
    entry = LogEntry.objects.get(object_id=str(person.pk))
    assert entry.user == staff
    assert entry.get_change_message() == "Logged out everywhere"


def test_log_out_everywhere_on_oneself_keeps_the_current_session(client, staff):
    elsewhere = client.__class__()
    elsewhere.force_login(staff)
    client.force_login(staff)
    changelist = reverse("admin:identity_user_changelist")

    client.post(changelist, {"action": "end_sessions", "_selected_action": [staff.pk]})

    assert client.get(changelist).status_code == 200
    assert elsewhere.get(changelist).status_code == 302


def test_staff_cannot_delete_an_account_and_its_documents_stay(client, staff, make_user):
    from signing.models import Document

    person = make_user()
    document = Document.objects.create(owner=person, title="Contract", file="documents/x.pdf", sha256="0" * 64)
    client.force_login(staff)

    assert client.post(reverse("admin:identity_user_delete", args=[person.pk]), {"post": "yes"}).status_code == 403
    changelist = reverse("admin:identity_user_changelist")
    assert "delete_selected" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "delete_selected", "_selected_action": [person.pk], "post": "yes"})

    assert type(person).objects.filter(pk=person.pk).exists()
    assert Document.objects.filter(pk=document.pk).exists()


def test_only_a_superuser_decides_who_is_staff_and_what_they_may_do(client, make_user):
    from django.contrib.auth.models import Group

    from signing.staff_roles import OPERATIONS

    operator = make_user(country_code="EE", personal_code="60001019906", first_name="Olga", is_staff=True)
    operator.groups.add(Group.objects.get(name=OPERATIONS))
    person = make_user(first_name="Mobile")
    client.force_login(operator)

    for target in (operator, person):
        url = reverse("admin:identity_user_change", args=[target.pk])
        page = client.get(url).content.decode()
        assert 'name="is_superuser"' not in page
        assert 'name="groups"' not in page
        response = client.post(
            url,
            {
                "email": "changed@example.test",
                "language": "en",
                "is_active": "on",
                "is_staff": "on",
                "is_superuser": "on",
                "groups": [Group.objects.get(name=OPERATIONS).pk],
            },
        )
        assert response.status_code == 302  # the rest of the form was saved
        target.refresh_from_db()
        assert target.email == "changed@example.test"
        assert not target.is_superuser
        assert not target.user_permissions.exists()

    person.refresh_from_db()
    assert not person.is_staff
    assert not person.groups.exists()


def test_the_country_filter_names_accounts_without_an_eid_and_filters_by_country(admin_client, make_user):
    """Django's plain filter showed password-only accounts as an empty, unnamed link."""
    make_user(country_code="LT", personal_code="50001018865")
    make_user(country_code="EE", personal_code="60001019906", username="ee-person")
    url = reverse("admin:identity_user_changelist")

    page = admin_client.get(url).content.decode()
    assert 'href="?country_code="' not in page
    assert "No eID (password account)" in page  # the admin client's own account has no eID

    listed = admin_client.get(url, {"country_code": "LT"}).context["cl"].queryset
    assert {user.country_code for user in listed} == {"LT"}
    without = admin_client.get(url, {"country_code": "none"}).context["cl"].queryset
    assert {user.country_code for user in without} == {""}
    assert admin_client.get(url, {"country_code": "??"}).status_code == 200
