"""The console's findings from the hostile-staff review (issue 14, findings 1-4), one test
each; the role walk (test_console_walk.py) covers every other URL the same way."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Coupon, Order, Statement
from catalog.models import Sku
from partners.models import Company, QualificationFile, RegistrationApplication
from partners.staff_roles import StaffRole
from tests.backoffice.console_walk import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def _as(client, world, role):
    client.force_login(world.users[role])
    return client


def _latest_history_id(obj) -> int:
    return obj.history.order_by("-history_id").values_list("history_id", flat=True).first()


def _history_form_url(obj, history_id=None) -> str:
    opts = obj._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_simple_history",
        args=[obj.pk, history_id or _latest_history_id(obj)],
    )


def _history_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])


def _revert_form(client_root, obj) -> dict:
    """What the history page's form would have posted: every field of the version."""
    from tests.backoffice.console_walk import main_post_form

    response = client_root.get(
        reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    )
    return {key: values[-1] for key, values in main_post_form(response.content.decode()).items()}


# --- finding 1: revert from history wrote outside the role's rights -------------------------


def test_sales_cannot_revert_a_sku_price_through_history(client, world):
    sku = Sku.objects.filter(is_active=True).order_by("pk").first()
    price = sku.unit_price
    _as(client, world, StaffRole.SALES)
    assert client.get(_history_url(sku)).status_code == 200  # read-only history: allowed
    page = client.get(_history_form_url(sku))
    assert page.status_code == 200
    assert b'name="unit_price"' not in page.content  # shown read-only, no input
    response = client.post(
        _history_form_url(sku),
        {"solution": sku.solution_id, "code": sku.code, "unit_price": "0.01"},
    )
    assert response.status_code == 405
    sku.refresh_from_db()
    assert sku.unit_price == price != Decimal("0.01")


def test_sales_cannot_take_over_another_owners_company_through_history(client, world):
    company = world.other_company
    sales = world.users[StaffRole.SALES]
    _as(client, world, StaffRole.SALES)
    url = _history_form_url(company)
    assert client.get(url).status_code == 404
    response = client.post(url, {"name": company.name, "business_owner": sales.pk})
    assert response.status_code == 404
    company.refresh_from_db()
    assert company.business_owner == world.other_sales


@pytest.mark.parametrize("role", [StaffRole.OPERATIONS, StaffRole.FINANCE])
def test_view_only_roles_cannot_set_a_revenue_share_rate_through_history(
    client, world, role, staff_client
):
    company = Company.objects.exclude(pk=world.other_company.pk).order_by("pk").first()
    rate = company.revenue_share_rate
    data = {**_revert_form(staff_client, company), "revenue_share_rate": "0.99"}
    _as(client, world, role)
    response = client.post(_history_form_url(company), data)
    assert response.status_code == 405
    company.refresh_from_db()
    assert company.revenue_share_rate == rate


def test_finance_cannot_rewrite_a_coupon_through_history(client, world):
    coupon = Coupon.objects.order_by("pk").first()
    before = (coupon.status, coupon.company_id, coupon.order_number)
    _as(client, world, StaffRole.FINANCE)
    response = client.post(
        _history_form_url(coupon),
        {
            "status": "unused" if coupon.status != "unused" else "used",
            "company": world.other_company.pk,
            "order_number": "FORGED",
            "campaign": coupon.campaign_id,
            "code": coupon.code,
        },
    )
    assert response.status_code == 405
    coupon.refresh_from_db()
    assert (coupon.status, coupon.company_id, coupon.order_number) == before


# --- finding 2: history pages showed other owners' rows --------------------------------------


@pytest.mark.parametrize(
    "model", [Order, Company, Statement, RegistrationApplication], ids=lambda m: m.__name__
)
def test_sales_reads_no_history_of_another_owners_rows(client, world, model):
    other = world.other_company
    rows = {
        Order: Order.objects.filter(company=other),
        Company: Company.objects.filter(pk=other.pk),
        Statement: Statement.objects.filter(company=other),
        RegistrationApplication: RegistrationApplication.objects.filter(
            business_owner=world.other_sales
        ),
    }[model]
    obj = rows.first()
    assert obj is not None and _latest_history_id(obj)
    _as(client, world, StaffRole.SALES)
    for url in (_history_url(obj), _history_form_url(obj)):
        response = client.get(url)
        assert response.status_code == 404, url
        assert str(obj).encode() not in response.content


# --- findings 3 and 4: files downloaded by id, whatever the scope -----------------------------


def test_sales_downloads_no_qualification_file_of_another_owner(client, world):
    application = RegistrationApplication.objects.get(business_owner=world.other_sales)
    file = QualificationFile.objects.get(application=application)
    _as(client, world, StaffRole.SALES)
    for view in ("preview", "download"):
        url = reverse(
            f"admin:partners_registrationapplication_file_{view}", args=[application.pk, file.pk]
        )
        assert client.get(url).status_code == 404
    # A file id under an application of the salesperson's own is not found either.
    own = RegistrationApplication.objects.filter(
        business_owner=world.users[StaffRole.SALES]
    ).first()
    url = reverse("admin:partners_registrationapplication_file_download", args=[own.pk, file.pk])
    assert client.get(url).status_code == 404
    own_file = own.files.first()
    url = reverse(
        "admin:partners_registrationapplication_file_download", args=[own.pk, own_file.pk]
    )
    assert client.get(url).status_code == 200


def test_payout_vouchers_download_only_in_scope(client, world):
    other = Statement.objects.get(company=world.other_company, voucher__gt="")
    own = Statement.objects.filter(
        company__business_owner=world.users[StaffRole.SALES], voucher__gt=""
    ).first()
    _as(client, world, StaffRole.SALES)
    assert (
        client.get(reverse("admin:billing_statement_voucher", args=[other.pk])).status_code == 404
    )
    assert client.get(reverse("admin:billing_statement_voucher", args=[own.pk])).status_code == 200


# --- finding 8b: a constraint error instead of a form error ----------------------------------


def test_sales_changing_a_sub_resellers_type_gets_a_form_error(client, world, staff_client):
    company = Company.objects.get(name="TestCompany-A")  # a reseller under BlueCloud_D
    assert company.parent is not None
    data = {**_revert_form(staff_client, company), "company_type": "distributor"}
    _as(client, world, StaffRole.SALES)
    url = reverse("admin:partners_company_change", args=[company.pk])
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error on it
    assert "company_type" in response.context["adminform"].form.errors
    company.refresh_from_db()
    assert company.company_type == "reseller"


def test_sales_cannot_hand_a_company_or_lead_to_someone_else(client, world, staff_client):
    from catalog.models import ConsultationTicket

    sales = world.users[StaffRole.SALES]
    company = Company.objects.filter(business_owner=sales).order_by("pk").first()
    data = {**_revert_form(staff_client, company), "business_owner": world.other_sales.pk}
    ticket = ConsultationTicket.objects.get(assignee=sales)
    _as(client, world, StaffRole.SALES)
    client.post(reverse("admin:partners_company_change", args=[company.pk]), data)
    client.post(
        reverse("admin:catalog_consultationticket_change", args=[ticket.pk]),
        {"assignee": world.other_sales.pk, "internal_notes": "转交"},
    )
    company.refresh_from_db()
    ticket.refresh_from_db()
    assert company.business_owner == sales
    assert ticket.assignee == sales and ticket.internal_notes == "转交"
