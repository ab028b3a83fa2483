"""404 / 403 / 500 in each front door's own layout, in Chinese and English."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from backoffice.error_pages import server_error
from tests.factories import sales_staff
from tests.otp import staff_login

pytestmark = pytest.mark.django_db


def test_portal_404_is_chinese_in_the_portal_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-error-page="404"' in html and "页面不存在" in html
    assert 'class="site-header"' in html  # the portal's header and footer
    assert "Not Found" not in html


def test_portal_404_in_english(client):
    client.cookies["django_language"] = "en"
    html = client.get("/no-such-page/").content.decode()
    assert "Page not found" in html and "页面不存在" not in html


def test_console_403_explains_in_the_console_layout(client):
    seller = sales_staff()
    staff_login(client, seller)
    # 销售 do not run bank reconciliation (finance's screen).
    response = client.get(reverse("admin:billing_bankstatementline_changelist"))
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-error-page="403"' in html and "您无权打开此页面" in html
    assert "403 Forbidden" not in html
    assert reverse("admin:index") in html  # the sidebar and the way back


def test_console_404_for_staff_keeps_the_console(client):
    seller = sales_staff()
    staff_login(client, seller)
    response = client.get("/admin/billing/order/999999999/history/999/")
    assert response.status_code == 404
    assert 'data-error-page="404"' in response.content.decode()


def test_500_needs_no_database_and_speaks_the_language(django_assert_num_queries):
    request = RequestFactory().get("/admin/billing/order/")
    with translation.override("zh-hans"), django_assert_num_queries(0):
        response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500 and "出错了" in html and 'href="/admin/"' in html
    with translation.override("en"):
        html = server_error(RequestFactory().get("/")).content.decode()
    assert "Something went wrong" in html and 'href="/"' in html
