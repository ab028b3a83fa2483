import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError
from django.test import RequestFactory

from partners.models import User
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_stored_lower_case():
    user = User.objects.create_user(email="  Alice@Example.COM ", password=TEST_PASSWORD)
    assert user.email == "alice@example.com"


@pytest.mark.parametrize("typed", ["bob@example.com", "BOB@EXAMPLE.COM", "Bob@Example.com"])
def test_login_email_is_case_insensitive(typed):
    UserFactory(email="bob@example.com")
    user = authenticate(RequestFactory().post("/login/"), username=typed, password=TEST_PASSWORD)
    assert user is not None and user.email == "bob@example.com"


def test_wrong_password_and_disabled_user_cannot_authenticate():
    UserFactory(email="carol@example.com", is_active=False)
    assert (
        authenticate(
            RequestFactory().post("/login/"), username="carol@example.com", password=TEST_PASSWORD
        )
        is None
    )
    UserFactory(email="dave@example.com")
    assert (
        authenticate(
            RequestFactory().post("/login/"), username="dave@example.com", password="wrong"
        )
        is None
    )


def test_duplicate_email_differing_only_in_case_is_rejected_by_the_database():
    UserFactory(email="erin@example.com")
    with pytest.raises(IntegrityError):
        # Bypass the manager's normalisation: the functional unique constraint still holds.
        User.objects.bulk_create([User(email="ERIN@example.com")])


def test_admin_login_form_accepts_upper_case_email(client):
    UserFactory(email="staff@example.com", is_staff=True)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "STAFF@Example.com", "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == "/admin/"


def test_user_changes_are_kept_in_history():
    user = UserFactory(email="frank@example.com", name="Frank")
    user.name = "Franklin"
    user.save()
    assert list(user.history.values_list("name", flat=True)) == ["Franklin", "Frank"]
