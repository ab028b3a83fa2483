"""The console paginator: exact counts for small results, estimates for big ones."""

import pytest
from django.db import connection
from django.urls import reverse

from backoffice.admin import paginator as pg
from partners.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_unfiltered_big_table_uses_the_table_estimate(monkeypatch):
    UserFactory.create_batch(3)
    monkeypatch.setattr(pg, "estimated_row_count", lambda qs: 5_000_000)
    paginator = pg.EstimatedCountPaginator(User.objects.all(), 50)
    assert paginator.count == 5_000_000
    assert paginator.count_is_estimate

    monkeypatch.setattr(pg, "estimated_row_count", lambda qs: 10)
    paginator = pg.EstimatedCountPaginator(User.objects.all(), 50)
    assert paginator.count == 3  # small table: exact
    assert not paginator.count_is_estimate


def test_filtered_lists_are_exact_up_to_the_bound(monkeypatch):
    UserFactory.create_batch(3)
    monkeypatch.setattr(pg, "EXACT_UP_TO", 3)
    monkeypatch.setattr(pg, "planner_row_estimate", lambda qs: pytest.fail("no estimate"))
    paginator = pg.EstimatedCountPaginator(User.objects.filter(is_staff=False), 50)
    assert paginator.count == 3
    assert not paginator.count_is_estimate


def test_filtered_lists_past_the_bound_use_the_planner_estimate(monkeypatch):
    UserFactory.create_batch(4)
    monkeypatch.setattr(pg, "EXACT_UP_TO", 2)
    monkeypatch.setattr(pg, "planner_row_estimate", lambda qs: 900_000)
    paginator = pg.EstimatedCountPaginator(User.objects.filter(is_staff=False), 50)
    assert paginator.count == 900_000
    assert paginator.count_is_estimate

    # An estimate below what was just counted is raised to the rows actually seen.
    monkeypatch.setattr(pg, "ESTIMATE_ABOVE", 0)
    monkeypatch.setattr(pg, "planner_row_estimate", lambda qs: 1)
    paginator = pg.EstimatedCountPaginator(User.objects.filter(is_staff=False), 50)
    assert paginator.count == 3  # EXACT_UP_TO + 1 rows were read
    assert paginator.count_is_estimate


@pytest.mark.parametrize("estimate", [None, 50_000], ids=["no estimate (SQLite)", "not big"])
def test_filtered_lists_without_a_big_estimate_are_counted_exactly(monkeypatch, estimate):
    UserFactory.create_batch(4)
    monkeypatch.setattr(pg, "EXACT_UP_TO", 2)
    monkeypatch.setattr(pg, "planner_row_estimate", lambda qs: estimate)
    paginator = pg.EstimatedCountPaginator(User.objects.filter(is_staff=False), 50)
    assert paginator.count == 4
    assert not paginator.count_is_estimate


def test_the_header_and_footer_mark_an_estimated_count(staff_client, monkeypatch):
    UserFactory.create_batch(4)
    url = reverse("admin:partners_user_changelist")
    html = staff_client.get(url, {"is_staff__exact": "0"}).content.decode()
    assert "data-count-estimate" not in html

    monkeypatch.setattr(pg, "EXACT_UP_TO", 2)
    monkeypatch.setattr(pg, "planner_row_estimate", lambda qs: 123_456)
    response = staff_client.get(url, {"is_staff__exact": "0"})
    html = response.content.decode()
    assert response.context["cl"].result_count == 123_456
    assert html.count("data-count-estimate") == 2  # the header's result count and the footer
    assert "约 123456 条结果" in html  # header (unfold's welcomemsg, overridden)
    assert "约 123456" in html.split("约 123456 条结果", 1)[1]  # footer


@pytest.mark.postgres
def test_estimates_come_from_postgresql():
    UserFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partners_user")
    assert pg.estimated_row_count(User.objects.all()) is not None
    estimate = pg.planner_row_estimate(User.objects.filter(is_staff=False).order_by("email"))
    assert isinstance(estimate, int) and estimate >= 0


def test_sqlite_has_no_estimate():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert pg.estimated_row_count(User.objects.all()) is None
    assert pg.planner_row_estimate(User.objects.filter(is_staff=False)) is None
