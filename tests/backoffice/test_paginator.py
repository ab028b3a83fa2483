import pytest
from django.db import connection

from backoffice.admin import paginator as pg
from partners.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_small_or_filtered_lists_are_counted_exactly(monkeypatch):
    UserFactory.create_batch(3)
    monkeypatch.setattr(pg, "estimated_row_count", lambda qs: 5_000_000)
    assert (
        pg.EstimatedCountPaginator(User.objects.filter(is_staff=False), 50).count == 3
    )  # filtered: exact
    assert (
        pg.EstimatedCountPaginator(User.objects.all(), 50).count == 5_000_000
    )  # unfiltered big table
    monkeypatch.setattr(pg, "estimated_row_count", lambda qs: 10)
    assert pg.EstimatedCountPaginator(User.objects.all(), 50).count == 3  # small table: exact


@pytest.mark.postgres
def test_estimate_comes_from_pg_class_on_postgresql():
    UserFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partners_user")
    assert pg.estimated_row_count(User.objects.all()) is not None


def test_sqlite_has_no_estimate():
    if connection.vendor == "sqlite":
        assert pg.estimated_row_count(User.objects.all()) is None
    else:
        assert pg.estimated_row_count(User.objects.all()) is not None
