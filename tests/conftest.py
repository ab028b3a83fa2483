import pytest
from django.conf import settings

from tests.factories import UserFactory


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` are reported as skipped, with the reason, on SQLite."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks, concurrency): set DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True, email="root@example.com")


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client
