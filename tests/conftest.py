import importlib

import pytest
from django.apps import apps
from django.conf import settings

from tests.billing.order_helpers import Shop
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
def shop(db) -> Shop:
    """A ``Shop`` (company, user, money, two SKUs) for the ordering, export and API tests."""
    return Shop()


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True, email="root@example.com")


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture(autouse=True)
def _staff_force_login_passes_two_factor(request, monkeypatch):
    """``Client.force_login`` of a staff member also passes the console's second login
    step (two-factor login is on in tests, as in production: an authenticator is made
    for the user and the session marked verified). Tests of the step itself ask for the
    ``password_only_login`` fixture and get the plain login."""
    if "password_only_login" in request.fixturenames:
        return
    from django.test import Client

    from tests.otp import staff_login

    monkeypatch.setattr(Client, "force_login", staff_login)


@pytest.fixture
def password_only_login():
    """``Client.force_login`` as Django has it: the password step only."""
    from tests.otp import password_only_login

    return password_only_login


SEED_MIGRATIONS = [
    "partners.migrations.0003_seed_tiers_and_benefits",
    "contracts.migrations.0002_seed_template",
    "billing.migrations.0017_seed_bank_statement_profiles",
]


@pytest.fixture(autouse=True)
def _reseed_reference_data(request):
    """Transactional tests flush the database, taking the migrations' seed data with it
    (tiers, benefits): put it back so every test starts from a migrated database."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    for module in SEED_MIGRATIONS:
        importlib.import_module(module).seed(apps, None)


@pytest.fixture(autouse=True)
def _clear_cache():
    """The menu and other selectors cache in locmem: start every test cold."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
