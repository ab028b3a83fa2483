"""Console exports finance can sum (backoffice/admin/exports.py, 我的导出).

Typed xlsx cells, the sheet and file names, xlsx preselected on a Chinese form, and large
exports as a task whose page shows progress, scoped to the requester.
"""

import io
import re
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote, unquote

import openpyxl
import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from backoffice.core.models import ExportJob, ExportJobStatus
from billing.models import Order, OrderStatus
from partners.services import staff_roles_sync
from partners.staff_roles import StaffRole
from tests.billing.order_helpers import Shop, paid_order
from tests.exports import export_form, export_format_index
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXPORT_URL = "admin:billing_order_export"


def _xlsx_index(model=Order) -> str:
    return str(export_format_index(model))


def _export_data(model=Order) -> dict:
    """The export form as a browser posts it: xlsx, every column ticked."""
    resource = admin.site._registry[model].get_export_resource_classes(None)[0]
    return export_form(model, resource, resource().get_export_order())


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _rows(response):
    workbook = openpyxl.load_workbook(io.BytesIO(_body(response)))
    return workbook, workbook.active


@pytest.fixture
def console(client, shop):
    client.force_login(shop.staff)
    return client


def test_order_export_has_numeric_amounts_and_date_cells(console, shop):
    order = paid_order(shop)
    response = console.post(reverse(EXPORT_URL), _export_data())
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    workbook, sheet = _rows(response)
    headers = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == order.number)
    for header, amount in (("应付总额", order.payable_total), ("商品总金额", order.goods_total)):
        cell = row[headers.index(header)]
        assert cell.data_type == "n" and isinstance(cell.value, int | float), header
        assert Decimal(str(cell.value)).quantize(Decimal("0.01")) == amount
        assert cell.number_format == "#,##0.00"
    created = row[headers.index("创建时间")]
    assert created.is_date and isinstance(created.value, datetime)
    assert created.number_format == "yyyy-mm-dd hh:mm:ss"
    local = timezone.localtime(order.created_at).replace(tzinfo=None, microsecond=0)
    assert abs((created.value - local).total_seconds()) < 1  # wall time, not UTC
    assert row[headers.index("订单状态")].value == "处理中"  # texts stay texts
    assert sheet.auto_filter.ref.startswith("A1:")


def test_sheet_and_file_are_named_after_the_model_in_chinese(console, shop):
    paid_order(shop)
    response = console.post(reverse(EXPORT_URL), _export_data())
    workbook, _sheet = _rows(response)
    assert workbook.sheetnames == ["订单"]
    filename = f"订单-{timezone.localdate():%Y-%m-%d}.xlsx"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=utf-8''{quote(filename)}" in disposition  # RFC 6266 / 5987

    console.cookies.load({"django_language": "en"})
    response = console.post(reverse(EXPORT_URL), _export_data())
    workbook, _sheet = _rows(response)
    assert workbook.sheetnames == ["orders"]
    assert (
        f'filename="order-{timezone.localdate():%Y-%m-%d}.xlsx"' in response["Content-Disposition"]
    )


_ICON = re.compile(r'<span class="material-symbols-outlined[^"]*"[^>]*>[^<]*</span>')


def _form_text(html: str) -> str:
    """The text of the export form (the page's form with the format select)."""
    forms = re.findall(r"<form\b.*?</form>", html, flags=re.S)
    form = next(f for f in forms if 'name="format"' in f)
    form = re.sub(r"<script.*?</script>", " ", form, flags=re.S)
    form = _ICON.sub(" ", form)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", form))


@pytest.mark.parametrize("name", ["billing_order", "billing_rebateentry", "partners_company"])
def test_export_form_preselects_xlsx_and_is_chinese(staff_client, name):
    from django.apps import apps

    response = staff_client.get(reverse(f"admin:{name}_export"))
    assert response.status_code == 200
    html = response.content.decode()
    app_label, model_name = name.split("_", 1)
    index = _xlsx_index(apps.get_model(app_label, model_name))
    assert re.search(rf'<option value="{index}"\s+selected>\s*xlsx', html), "xlsx preselected"
    text = _form_text(html)
    assert "导出以下字段" in text and "格式" in text and "提交" in text
    # No English word of the import-export form is left (format names are file types).
    words = set(re.findall(r"[A-Za-z]{2,}", text)) - {"csv", "xlsx", "tsv", "json", "html"}
    assert not words, words


# --------------------------------------------------------------------------
# Over the threshold: a task, its page, its file
# --------------------------------------------------------------------------


def _sales_world():
    """A salesperson owning one shop's company, with orders in and out of their scope."""
    mine, theirs = Shop(), Shop()
    sales = UserFactory(is_staff=True, email="sales-export@example.com")
    sales.groups.add(staff_roles_sync()[StaffRole.SALES])
    mine.company.business_owner = sales
    mine.company.save(update_fields=["business_owner"])
    own = [mine.place() for _ in range(3)]
    Order.objects.filter(pk=own[0].pk).update(status=OrderStatus.CANCELLED)
    foreign = [theirs.place() for _ in range(2)]
    return sales, own, foreign


def test_an_export_over_the_threshold_runs_as_a_task_and_its_page_shows_progress(
    client, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_ASYNC_THRESHOLD = 1
    sales, own, foreign = _sales_world()
    client.force_login(sales)
    # The list filtered to orders awaiting payment: the task applies the filter and the scope.
    url = reverse(EXPORT_URL) + f"?status__exact={OrderStatus.PENDING_PAYMENT}"
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, _export_data())
    job = ExportJob.objects.get()
    page = reverse("admin:backoffice_exportjob_change", args=[job.pk])
    assert response.status_code == 302 and response["Location"] == page
    assert (job.requested_by, job.status, job.total_rows) == (sales, ExportJobStatus.QUEUED, 2)
    assert job.query == {"status__exact": [OrderStatus.PENDING_PAYMENT]}
    assert len(callbacks) == 1  # the task is queued on commit

    # Queued: the page shows the progress bar, 0 of 2 rows, and reloads itself.
    html = client.get(page).content.decode()
    assert 'data-testid="export-progress"' in html and "0 / 2" in html
    assert "location.reload()" in html
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJobStatus.RUNNING, done_rows=1)
    html = client.get(page).content.decode()
    assert "1 / 2" in html and 'style="width: 50%"' in html
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJobStatus.QUEUED, done_rows=0)

    callbacks[0]()  # the worker runs the task (Q_CLUSTER sync in tests)
    job.refresh_from_db()
    assert job.status == ExportJobStatus.DONE and job.done_rows == job.total_rows == 2
    assert job.filename == f"订单-{timezone.localdate():%Y-%m-%d}.xlsx"

    # The next page load tells the requester, once.
    response = client.get(reverse("admin:index"))
    notices = [str(m) for m in response.context["messages"]]
    assert any("已就绪" in m and page in m for m in notices), notices
    response = client.get(reverse("admin:index"))
    assert not [m for m in response.context["messages"] if "已就绪" in str(m)]

    html = client.get(page).content.decode()
    assert 'style="width: 100%"' in html and "location.reload()" not in html
    download = reverse("admin:backoffice_exportjob_download_detail", args=[job.pk])
    assert download in html
    response = client.get(download)
    assert response.status_code == 200
    workbook, sheet = _rows(response)
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert numbers == {o.number for o in own[1:]}  # own, awaiting payment; no other
    assert not numbers & {o.number for o in foreign}
    amount = sheet.cell(row=2, column=9)
    assert amount.data_type == "n" and amount.number_format == "#,##0.00"
    assert workbook.sheetnames == ["订单"]

    # The list 我的导出 shows it too; running the task again changes nothing.
    from backoffice.admin.exports import run_export_job

    stored = job.file.name
    assert run_export_job(job.pk) == 2
    job.refresh_from_db()
    assert job.file.name == stored and ExportJob.objects.count() == 1
    listing = client.get(reverse("admin:backoffice_exportjob_changelist"))
    assert job.filename in listing.content.decode()


def test_an_export_job_is_its_requesters_alone(
    client, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_ASYNC_THRESHOLD = 1
    shop = Shop()
    paid_order(shop)
    paid_order(shop)
    client.force_login(shop.staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse(EXPORT_URL), _export_data())
    job = ExportJob.objects.get()
    assert job.status == ExportJobStatus.DONE
    download = reverse("admin:backoffice_exportjob_download_detail", args=[job.pk])
    page = reverse("admin:backoffice_exportjob_change", args=[job.pk])
    assert client.get(download).status_code == 200

    # Another staff user, even a superuser, finds neither the job nor its file.
    other = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(other)
    assert client.get(page).status_code == 404
    assert client.get(download).status_code == 404
    listing = client.get(reverse("admin:backoffice_exportjob_changelist"))
    assert job.filename not in listing.content.decode()


def test_the_task_refuses_a_requester_who_lost_the_console(settings):
    from backoffice.admin.exports import run_export_job

    settings.EXPORT_ASYNC_THRESHOLD = 1
    user = UserFactory(is_staff=True, is_superuser=True)
    job = ExportJob.objects.create(
        requested_by=user,
        model_label="billing.order",
        title="订单",
        filename="订单.xlsx",
        language="zh-hans",
        total_rows=2,
    )
    user.is_staff = False
    user.save(update_fields=["is_staff"])
    assert run_export_job(job.pk) == 0
    job.refresh_from_db()
    assert job.status == ExportJobStatus.FAILED and not job.file


def test_my_exports_sits_under_the_dashboard_for_every_role(client):
    from backoffice.admin.navigation import sidebar_navigation

    sales = UserFactory(is_staff=True)
    sales.groups.add(staff_roles_sync()[StaffRole.SALES])
    client.force_login(sales)
    request = client.get(reverse("admin:index")).wsgi_request
    first = sidebar_navigation(request)[0]
    assert [str(item["title"]) for item in first["items"]] == ["仪表盘", "我的导出"]
    assert client.get(reverse("admin:backoffice_exportjob_changelist")).status_code == 200


@pytest.mark.parametrize("title", ["csv", "json", "html"])
def test_text_formats_still_export(console, shop, title):
    order = paid_order(shop)
    formats = admin.site._registry[Order].get_export_formats()
    data = {**_export_data(), "format": str([f().get_title() for f in formats].index(title))}
    response = console.post(reverse(EXPORT_URL), data)
    assert response.status_code == 200
    assert order.number in _body(response).decode()
    assert f"订单-{timezone.localdate():%Y-%m-%d}.{title}" in unquote(
        response["Content-Disposition"]
    )
