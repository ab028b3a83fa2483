"""Console: the bank statement upload page, the reconciliation screen (bulk confirm,
re-target, ignore), the 未匹配银行流水 dashboard queue, query counts."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import BankStatementImport, BankStatementLine, BillStatus
from tests.billing.bank_helpers import generic_csv
from tests.billing.bank_world import BankWorld

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"admin:billing_{name}", args=args)


@pytest.fixture
def world():
    return BankWorld()


@pytest.fixture
def finance_client(client, world):
    client.force_login(world.maker)
    return client


def post_file(client, world, content: bytes):
    return client.post(
        url("bankstatementimport_add"),
        {
            "bank_account": world.bank.pk,
            "file_format": "csv",
            "profile": world.profile.pk,
            "file": SimpleUploadedFile("statement.csv", content),
        },
    )


def test_upload_then_confirm_selected_lines_in_one_action(finance_client, world):
    assert finance_client.get(url("bankstatementimport_add")).status_code == 200
    response = post_file(finance_client, world, world.file())
    statement = BankStatementImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("bankstatementimport_change", statement.pk)
    page = finance_client.get(response["Location"])
    assert page.status_code == 200 and b"data-import-progress" in page.content

    changelist = finance_client.get(url("bankstatementline_changelist"))
    assert changelist.context["cl"].result_count == 6  # open lines by default
    proposed = BankStatementLine.objects.filter(status="proposed")
    response = finance_client.post(
        url("bankstatementline_changelist"),
        {"action": "confirm_selected", ACTION_CHECKBOX_NAME: [x.pk for x in proposed]},
        follow=True,
    )
    assert response.status_code == 200
    assert BankStatementLine.objects.filter(status="confirmed").count() == 4
    world.bill.refresh_from_db()
    assert world.bill.status == BillStatus.SETTLED

    again = post_file(finance_client, world, world.file())
    assert again.status_code == 302
    assert BankStatementImport.objects.order_by("-pk").first().new_lines == 0


def test_a_bad_file_is_a_form_error_naming_row_and_column(finance_client, world):
    rows = world.rows()
    rows[2] = ("2026-02-30", *rows[2][1:])
    response = post_file(finance_client, world, generic_csv(rows))
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert errors[0].startswith("第 4 行") or errors[0].startswith("Row 4, column Date")
    assert not BankStatementImport.objects.exists()


def test_retarget_and_ignore_pages(finance_client, world):
    post_file(finance_client, world, world.file())
    ambiguous = BankStatementLine.objects.get(dedupe_key="B005")
    address = url("bankstatementline_retarget_detail", ambiguous.pk)
    assert finance_client.get(address).status_code == 200
    target = f"order:{world.unreported.pk}"
    response = finance_client.post(address, {"company": world.company.pk, "target": target})
    assert response.status_code == 302
    ambiguous.refresh_from_db()
    assert (ambiguous.status, ambiguous.rule) == ("proposed", "manual")

    unknown = BankStatementLine.objects.get(dedupe_key="B006")
    address = url("bankstatementline_ignore_detail", unknown.pk)
    assert finance_client.post(address, {"note": "利息"}).status_code == 302
    unknown.refresh_from_db()
    assert unknown.status == "ignored"


def test_unmatched_bank_lines_queue_on_the_dashboard(finance_client, world):
    post_file(finance_client, world, world.file())
    response = finance_client.get("/admin/")
    queues = {str(t): (count, link) for t, count, link in response.context["work_queues"]}
    assert queues["未匹配银行流水"] == (
        2,
        url("bankstatementline_changelist") + "?status=unmatched",
    )
    assert finance_client.get(queues["未匹配银行流水"][1]).context["cl"].result_count == 2


def test_line_list_queries_do_not_grow_with_rows(finance_client, world):
    address = url("bankstatementline_changelist") + "?status=all"
    post_file(finance_client, world, generic_csv(world.rows()[:3]))
    finance_client.get(address)
    with CaptureQueriesContext(connection) as few:
        finance_client.get(address)
    many = [("2026-12-01", f"{n}.00", "CNY", "m", "", "", f"M{n}") for n in range(1, 30)]
    post_file(finance_client, world, generic_csv(many))
    with CaptureQueriesContext(connection) as more:
        assert finance_client.get(address).context["cl"].result_count == 32
    assert len(more.captured_queries) == len(few.captured_queries)


def test_other_roles_cannot_decide(client, world):
    from tests.factories import sales_staff

    post_file_client = client
    post_file_client.force_login(world.maker)
    post_file(post_file_client, world, world.file())
    client.force_login(sales_staff())
    assert client.get(url("bankstatementline_changelist")).status_code == 403


def test_retarget_company_choices_follow_the_sales_scope(world):
    """A 销售 member offered re-targeting sees only the companies they own."""
    from django.test import RequestFactory

    from backoffice.admin.finance.reconciliation import RetargetForm
    from partners.models import Company
    from tests.factories import sales_staff

    seller = sales_staff()
    other = Company.objects.exclude(pk=world.company.pk).first() or world.company
    Company.objects.filter(pk=world.company.pk).update(business_owner=seller)
    request = RequestFactory().get("/")
    request.user = seller
    line = BankStatementLine(company_id=world.company.pk, currency="CNY")
    form = RetargetForm(None, line, request=request)
    assert list(form.fields["company"].queryset) == [world.company]
    request = RequestFactory().get("/")
    request.user = world.maker  # finance: every company
    staff_form = RetargetForm(None, line, request=request)
    assert other in staff_form.fields["company"].queryset
    assert staff_form.fields["company"].queryset.count() == Company.objects.count()
