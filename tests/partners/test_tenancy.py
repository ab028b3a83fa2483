"""Tenancy acceptance test: a portal user of company A never reaches company B's objects.

It walks every URL of the "portal" namespace that takes an object id, fills the id with
objects that are not A's to reach (B's, B's sub-reseller's, and those of A's own
sub-reseller where the page is about A's own company), and requests each one with
every method as A's 管理员 (a distributor admin, so the reseller pages are reachable).
Every answer is 404 (or 405 for a verb the view does not take) and nothing changes.
A new id-taking URL that the mapping below does not know fails the test: add it to
``ID_URLS`` (or ``NOT_COMPANY_OBJECT_URLS`` for public pages) with its object kind.
"""

import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, PathConverter, UUIDConverter
from django.utils import timezone

from backoffice.core.models import Notification
from backoffice.core.notifications import notify
from backoffice.portal.urls_orders import OrderNumberConverter, PaymentReferenceConverter
from billing.models import CartLine, Coupon, CouponQuota, Order, Payment, Statement
from billing.services.checkout import LineInput, checkout_place_order
from billing.services.orders import payment_start_online
from contracts.models import Contract, ContractTemplate
from partners.models import (
    ApiKey,
    Company,
    CompanyStatus,
    EndCustomer,
    QualificationFile,
    User,
    WebhookEndpoint,
)
from partners.services import api_key_create
from partners.webhooks.services import webhook_endpoint_create
from tests.catalog.factories import PublishedSolutionFactory
from tests.factories import UserFactory
from tests.partners.factories import (
    CompanyFactory,
    DistributorFactory,
    EndCustomerFactory,
    PartnerUserFactory,
    QualificationFileFactory,
    admin_of,
)

pytestmark = pytest.mark.django_db

ID_CONVERTERS = (
    IntConverter,
    PathConverter,
    UUIDConverter,
    OrderNumberConverter,
    PaymentReferenceConverter,
)

# URL name (in "portal:") → {parameter: object kind}. Kinds are keys of World.foreign/own.
ID_URLS: dict[str, dict[str, str]] = {
    "account_file": {"pk": "file"},
    # 消息中心: a user's own messages only, not even a colleague's.
    "account_message": {"pk": "message"},
    "account_user_edit": {"pk": "user"},
    "account_user_transfer_admin": {"pk": "user"},
    "account_reseller_edit": {"pk": "reseller"},
    "account_reseller_users": {"pk": "reseller"},
    "account_reseller_user_invite": {"pk": "reseller"},
    # 额度管理 (two-tier distribution): the distributor's own sub-resellers only.
    "account_tier_reseller": {"pk": "reseller"},
    "account_customer_edit": {"pk": "customer"},
    "account_customer_delete": {"pk": "customer"},
    "contract_view": {"pk": "contract"},
    "contract_pdf": {"pk": "contract"},
    # Orders and payments are named by number / reference, not pk.
    "account_order_detail": {"number": "visible_order"},
    "account_order_cancel": {"number": "order"},
    "order_created": {"number": "order"},
    "order_pay": {"number": "order"},
    "order_transfer": {"number": "offline_order"},
    "pay": {"reference": "payment"},
    "pay_complete": {"reference": "payment"},
    # 分账管理: a distributor sees its sub-resellers' statements; confirm/dispute take its own.
    "account_statement_detail": {"pk": "statement"},
    "account_statement_pdf": {"pk": "statement"},
    "account_statement_excel": {"pk": "statement"},
    "account_statement_voucher": {"pk": "statement"},
    "account_statement_confirm": {"pk": "own_statement"},
    "account_statement_dispute": {"pk": "own_statement"},
    # API 密钥: the company's own keys only (not even its sub-reseller's).
    "account_api_key_revoke": {"pk": "api_key"},
    # 个人中心 › Webhooks: the company's own endpoints only (not even its sub-reseller's).
    "account_webhook": {"pk": "webhook"},
    "account_webhook_rotate": {"pk": "webhook"},
    "account_webhook_active": {"pk": "webhook"},
    # 优惠券额度: a distributor's own quotas only.
    "account_coupon_quota": {"pk": "coupon_quota"},
}
# POST-only actions: the positive control is a 405 for GET on A's own object (the lookup
# found it), while another company's object is a 404 for every method.
POST_ONLY_URLS: set[str] = {
    "account_order_cancel",
    "order_pay",
    "pay_complete",
    "account_api_key_revoke",
    "account_webhook_rotate",
    "account_webhook_active",
}
# An endpoint and one of its deliveries: walked in tests/partners/test_webhooks_portal.py
# (another company's endpoint or delivery, in either position, answers 404).
WEBHOOK_DELIVERY_URLS: set[str] = {"account_webhook_resend"}
# 客户订单 fulfilment (申请开票, milestone 确认, 确认收货, downloads, 评价): an order number plus,
# for some, an object of that order. Walked by ``test_fulfilment_urls_*`` at the end of this file.
FULFILMENT_URLS: dict[str, dict[str, str]] = {
    "order_invoice_request": {"number": "order"},
    "order_invoice_pdf": {"number": "order", "invoice_id": "invoice"},
    "order_milestone_confirm": {"number": "order", "milestone_id": "milestone"},
    "order_complete": {"number": "order"},
    "order_attachment": {"number": "order", "attachment_id": "attachment"},
    "order_review": {"number": "order", "solution_id": "solution"},
}
# Id-taking URLs that do not show a company's objects (public catalogue files, tokens).
NOT_COMPANY_OBJECT_URLS: set[str] = {
    "activate",
    "password_reset_confirm",
    "catalog_media",
    # 帮助中心 articles and 产品手册 are catalogue content, the same for every company
    # (tests/catalog/test_brands_help.py checks unpublished ones answer 404).
    "help_article",
    "solution_manual",
}

METHODS = ("get", "post", "put", "patch", "delete", "options")


def url_value(obj) -> object:
    """What a URL names an object by: orders by number, payments by reference, else pk."""
    if isinstance(obj, Order):
        return obj.number
    if isinstance(obj, Payment):
        return obj.reference
    return obj.pk


def portal_patterns() -> dict[str, dict]:
    """Every named URL of the portal namespace → its converters (including included prefixes)."""
    _prefix, portal = get_resolver().namespace_dict["portal"]
    found: dict[str, dict] = {}

    def walk(patterns, converters: dict) -> None:
        for entry in patterns:
            here = {**converters, **getattr(entry.pattern, "converters", {})}
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, here)
            elif isinstance(entry, URLPattern) and entry.name:
                found[entry.name] = here

    walk(portal.url_patterns, {})
    return found


def id_taking_urls() -> dict[str, dict]:
    return {
        name: converters
        for name, converters in portal_patterns().items()
        if any(isinstance(conv, ID_CONVERTERS) for conv in converters.values())
    }


@dataclass
class World:
    a: Company
    a_admin: User
    a_co: User
    a_sub: Company
    a_sub_admin: User
    a_customer: EndCustomer
    a_sub_customer: EndCustomer
    a_file: QualificationFile
    a_sub_file: QualificationFile
    b: Company
    b_admin: User
    b_co: User
    b_sub: Company
    b_sub_admin: User
    b_sub_co: User
    b_customer: EndCustomer
    b_sub_customer: EndCustomer
    b_file: QualificationFile
    b_sub_file: QualificationFile
    a_contract: Contract
    a_sub_contract: Contract
    b_contract: Contract
    b_sub_contract: Contract
    a_orders: "CompanyOrders"
    a_sub_orders: "CompanyOrders"
    b_orders: "CompanyOrders"
    b_sub_orders: "CompanyOrders"
    a_statements: "CompanyStatements"
    a_sub_statements: "CompanyStatements"
    b_statements: "CompanyStatements"
    b_sub_statements: "CompanyStatements"
    messages: dict = field(default_factory=dict)
    api_keys: dict = field(default_factory=dict)
    webhooks: dict = field(default_factory=dict)
    quotas: dict = field(default_factory=dict)

    @property
    def own(self) -> dict[str, object]:
        """A's object of each kind: the positive control (A's admin reaches it)."""
        return {
            "user": self.a_co,
            "reseller": self.a_sub,
            "customer": self.a_customer,
            "file": self.a_file,
            "contract": self.a_contract,
            "order": self.a_orders.online,
            "visible_order": self.a_orders.online,
            "offline_order": self.a_orders.offline,
            "payment": self.a_orders.payment,
            "statement": self.a_statements.paid,
            "own_statement": self.a_statements.draft,
            "message": self.messages["a_admin"],
            "api_key": self.api_keys["a"],
            "webhook": self.webhooks["a"],
            "coupon_quota": self.quotas["a"],
        }

    @property
    def foreign(self) -> dict[str, list]:
        """Objects A's admin must not reach at a URL of that kind."""
        return {
            # Users pages are about A's own company: B's users and A's sub-reseller's too.
            "user": [self.b_admin, self.b_co, self.b_sub_admin, self.b_sub_co, self.a_sub_admin],
            # Reseller pages take A's sub-resellers only: not B's, not B, not A itself.
            "reseller": [self.b_sub, self.b, self.a],
            # Customers and files are private to the owning company.
            "customer": [self.b_customer, self.b_sub_customer, self.a_sub_customer],
            "file": [self.b_file, self.b_sub_file, self.a_sub_file],
            # Contracts follow the orders: A also downloads its sub-reseller's (read-only).
            "contract": [self.b_contract, self.b_sub_contract],
            # A distributor sees (read-only) its sub-resellers' orders, so only B's are
            # foreign to the detail page; every action takes A's own orders only.
            "visible_order": [self.b_orders.online, self.b_sub_orders.online],
            "order": [self.b_orders.online, self.b_sub_orders.online, self.a_sub_orders.online],
            "offline_order": [
                self.b_orders.offline,
                self.b_sub_orders.offline,
                self.a_sub_orders.offline,
            ],
            "payment": [
                self.b_orders.payment,
                self.b_sub_orders.payment,
                self.a_sub_orders.payment,
            ],
            # Statements: A sees its sub-reseller's (read-only) but confirms only its own.
            "statement": [
                self.b_statements.paid,
                self.b_statements.draft,
                self.b_sub_statements.paid,
            ],
            "own_statement": [
                self.b_statements.draft,
                self.b_sub_statements.draft,
                self.a_sub_statements.draft,
            ],
            "message": [self.messages["a_co"], self.messages["b_admin"]],
            "api_key": [self.api_keys["b"], self.api_keys["b_sub"], self.api_keys["a_sub"]],
            "webhook": [self.webhooks["b"], self.webhooks["b_sub"], self.webhooks["a_sub"]],
            "coupon_quota": self.quotas["b"],
        }

    @property
    def b_people(self) -> list:
        return [self.b_admin, self.b_co, self.b_sub_admin, self.b_sub_co]


def make_contract(company: Company) -> Contract:
    """An agreed e-contract row of ``company`` (the contracts area builds real ones)."""
    from contracts.rendering import document_build
    from contracts.services import contract_sample_data

    number = f"T{timezone.now():%Y%m%d%H%M%S}{company.pk:06d}"
    template = ContractTemplate.objects.order_by("pk").first()
    data = {**contract_sample_data(), "contract_number": number, "agreed_at": "2026-12-01 10:00:00"}
    return Contract.objects.create(
        number=number,
        template=template,
        company=company,
        agreed_by=admin_of(company),
        agreed_at=timezone.now(),
        currency="CNY",
        total=Decimal("107.00"),
        snapshot=document_build(data=data, template=template),  # 查看电子订单 renders it
        pdf=ContentFile(b"%PDF-1.4\n%test\n", name=f"{number}.pdf"),
        sha256="0" * 64,
    )


@dataclass
class CompanyOrders:
    online: Order
    offline: Order
    payment: Payment


def make_orders(company: Company, customer: EndCustomer, sku) -> CompanyOrders:
    """An unpaid online order with its pending payment and an unpaid offline order."""
    user = admin_of(company)

    def place(method: str) -> Order:
        return checkout_place_order(
            user=user,
            lines=[LineInput(sku.pk, 1)],
            end_customer_id=customer.pk,
            payment_method=method,
            idempotency_key=str(uuid.uuid4()),
        )

    online = place("online")
    return CompanyOrders(
        online=online,
        offline=place("offline"),
        payment=payment_start_online(order_id=online.pk, user=user),
    )


# --- 分账管理 (statements): a draft and a paid statement (with its voucher) per company ---


@dataclass
class CompanyStatements:
    draft: Statement
    paid: Statement


def make_statements(company: Company) -> CompanyStatements:
    from datetime import date

    def make(month: int, **kwargs) -> Statement:
        statement = Statement(
            number=f"20261101{company.pk:04d}{month:02d}",
            company=company,
            currency="CNY",
            period_start=date(2026, month, 1),
            period_end=date(2026, month, 30),
            company_name=company.name,
            generated_at=timezone.now(),
            **kwargs,
        )
        if kwargs.get("status") == "paid":
            statement.voucher.save("v.pdf", ContentFile(b"%PDF-1.4\n%test\n"), save=False)
        statement.save()
        return statement

    return CompanyStatements(
        draft=make(10),
        paid=make(
            9,
            status="paid",
            confirmed_at=timezone.now(),
            voucher_reference="999999",
            voucher_name="v.pdf",
            voucher_content_type="application/pdf",
            paid_on=date(2026, 10, 20),
        ),
    )


@pytest.fixture
def world() -> World:
    a = DistributorFactory(name="甲方分销商")
    a_sub = CompanyFactory(name="甲方下属经销商", parent=a)
    b = DistributorFactory(name="乙方分销商")
    b_sub = CompanyFactory(name="乙方下属经销商", parent=b)
    a_admin = admin_of(a, name="甲方管理员", email="a-admin@a.example.com")
    a_sub_admin = admin_of(a_sub, name="甲下属管理员", email="a-sub@a.example.com")
    b_admin = admin_of(b, name="乙方管理员", email="b-admin@b.example.com")
    b_sub_admin = admin_of(b_sub, name="乙下属管理员", email="b-sub-admin@b.example.com")
    customers = {
        "a": EndCustomerFactory(company=a, name="甲方客户", email="cust@a.example.com"),
        "a_sub": EndCustomerFactory(company=a_sub, name="甲下属客户"),
        "b": EndCustomerFactory(
            company=b, name="乙方客户", email="cust@b.example.com", company_name="乙方客户公司"
        ),
        "b_sub": EndCustomerFactory(
            company=b_sub, name="乙下属客户", email="cust-sub@b.example.com"
        ),
    }
    sku = PublishedSolutionFactory(name="租户隔离方案").skus.get()
    world = World(
        a=a,
        a_admin=a_admin,
        a_co=PartnerUserFactory(company=a, name="甲方协同", email="a-co@a.example.com"),
        a_sub=a_sub,
        a_sub_admin=a_sub_admin,
        a_customer=customers["a"],
        a_sub_customer=customers["a_sub"],
        a_file=QualificationFileFactory(company=a, original_name="甲方执照.pdf"),
        a_sub_file=QualificationFileFactory(company=a_sub, original_name="甲下属执照.pdf"),
        b=b,
        b_admin=b_admin,
        b_co=PartnerUserFactory(company=b, name="乙方协同", email="b-co@b.example.com"),
        b_sub=b_sub,
        b_sub_admin=b_sub_admin,
        b_sub_co=PartnerUserFactory(
            company=b_sub, name="乙下属协同", email="b-sub-co@b.example.com"
        ),
        b_customer=customers["b"],
        b_sub_customer=customers["b_sub"],
        b_file=QualificationFileFactory(company=b, original_name="乙方执照.pdf"),
        b_sub_file=QualificationFileFactory(company=b_sub, original_name="乙下属执照.pdf"),
        a_contract=make_contract(a),
        a_sub_contract=make_contract(a_sub),
        b_contract=make_contract(b),
        b_sub_contract=make_contract(b_sub),
        a_orders=make_orders(a, customers["a"], sku),
        a_sub_orders=make_orders(a_sub, customers["a_sub"], sku),
        b_orders=make_orders(b, customers["b"], sku),
        b_sub_orders=make_orders(b_sub, customers["b_sub"], sku),
        a_statements=make_statements(a),
        a_sub_statements=make_statements(a_sub),
        b_statements=make_statements(b),
        b_sub_statements=make_statements(b_sub),
    )
    world.messages = make_messages(world)
    world.api_keys = {
        name: api_key_create(
            company=company, actor=admin_of(company), name=f"{name} ERP", scopes=["orders:read"]
        )[0]
        for name, company in (("a", a), ("a_sub", a_sub), ("b", b), ("b_sub", b_sub))
    }
    world.webhooks = {
        name: webhook_endpoint_create(
            company=company,
            actor=admin_of(company),
            url=f"https://{name.replace('_', '-')}.hooks.example.com/in",
            events=["order.paid"],
        )
        for name, company in (("a", a), ("a_sub", a_sub), ("b", b), ("b_sub", b_sub))
    }
    world.quotas = make_quotas(a, b)
    return world


def make_quotas(a: Company, b: Company) -> dict:
    """A coupon quota of A and three of B (优惠券额度)."""
    from billing.services.coupon_quotas import coupon_quota_issue
    from tests.billing.factories import CouponCampaignFactory

    staff = UserFactory(is_staff=True)
    campaign = CouponCampaignFactory(quantity=20, created_by=staff)

    def issue(company: Company):
        return coupon_quota_issue(
            campaign_id=campaign.pk, distributor_id=company.pk, quantity=2, actor=staff
        )

    return {"a": issue(a), "b": [issue(b) for _ in range(3)]}


def make_messages(world: World) -> dict[str, Notification]:
    """A 消息中心 message of A's admin (already read: opening it changes nothing), of A's
    co-admin and of B's admin."""
    messages = {}
    for name in ("a_admin", "a_co", "b_admin"):
        user = getattr(world, name)
        notify(
            users=[user],
            kind="order_completed",
            template="billing/mail/order_completed",
            context={"order_number": f"2026{user.pk:013d}"},
            link_name="portal:account_profile",
        )
        messages[name] = Notification.objects.filter(recipient=user).latest("pk")
    Notification.objects.filter(pk=messages["a_admin"].pk).update(read_at=timezone.now())
    return messages


def snapshot() -> dict:
    """Everything a leaking view could change, for every company."""
    return {
        "users": list(
            User.objects.order_by("pk").values(
                "pk",
                "email",
                "name",
                "phone",
                "is_active",
                "company_id",
                "company_role",
                "activated_at",
                "deleted_at",
            )
        ),
        "companies": list(
            Company.objects.order_by("pk").values("pk", "name", "address", "status", "parent_id")
        ),
        "customers": list(EndCustomer.objects.order_by("pk").values()),
        "files": list(QualificationFile.objects.order_by("pk").values("pk", "company_id", "file")),
        "contracts": list(Contract.objects.order_by("pk").values("pk", "company_id", "pdf")),
        "orders": list(
            Order.objects.order_by("pk").values(
                "pk", "company_id", "status", "payment_status", "cancelled_at", "paid_at"
            )
        ),
        "payments": list(
            Payment.objects.order_by("pk").values("pk", "order_id", "status", "payer_account")
        ),
        "cart_lines": list(CartLine.objects.order_by("pk").values()),
        "coupons": list(Coupon.objects.order_by("pk").values("pk", "company_id", "status")),
        "coupon_quotas": list(CouponQuota.objects.order_by("pk").values("pk", "handed_out")),
        "notifications": list(Notification.objects.order_by("pk").values("pk", "read_at")),
        "api_keys": list(ApiKey.objects.order_by("pk").values("pk", "revoked_at")),
        "webhooks": list(WebhookEndpoint.objects.order_by("pk").values()),
        "statements": list(
            Statement.objects.order_by("pk").values(
                "pk", "status", "dispute_reason", "confirmed_at"
            )
        ),
    }


HOSTILE_DATA = {
    "name": "被篡改",
    "phone": "13000000000",
    "email": "intruder@example.com",
    "company_name": "被篡改公司",
    "address": "被篡改地址",
    "confirm": "on",
    "action": "disable",
}


def _request(client, method: str, url: str, ids: list[int]):
    data = {**HOSTILE_DATA, "ids": ids}
    if method in ("put", "patch"):
        return client.generic(
            method.upper(),
            url,
            urlencode(data, doseq=True),
            content_type="application/x-www-form-urlencoded",
        )
    if method == "post":
        return client.post(url, data)
    return getattr(client, method)(url)


def test_every_id_taking_portal_url_is_mapped():
    urls = id_taking_urls()
    assert "account_user_edit" in urls  # the walk really reaches the included account URLs
    unknown = (
        set(urls)
        - set(ID_URLS)
        - NOT_COMPANY_OBJECT_URLS
        - set(FULFILMENT_URLS)
        - WEBHOOK_DELIVERY_URLS
    )
    assert not unknown, (
        f"New id-taking portal URL(s) {sorted(unknown)}: add them to ID_URLS with the kind of "
        "object each parameter names, so the tenancy test covers them."
    )
    stale = set(ID_URLS) - set(portal_patterns())
    assert not stale, f"ID_URLS names URLs that no longer exist: {sorted(stale)}"
    for name, params in ID_URLS.items():
        assert set(params) == set(urls[name]), f"{name}: parameters {set(urls[name])}"


def test_company_b_objects_answer_404_to_company_a_for_every_method(client, world):
    client.force_login(world.a_admin)
    urls = id_taking_urls()
    before = snapshot()
    checked = 0
    for name, params in ID_URLS.items():
        assert name in urls, name
        # Positive control: the same URL with A's own object works, so a 404 below is scoping.
        own = reverse(
            f"portal:{name}",
            kwargs={p: url_value(world.own[kind]) for p, kind in params.items()},
        )
        expected = 405 if name in POST_ONLY_URLS else 200
        assert client.get(own).status_code == expected, own
        (param, kind), *rest = params.items()
        assert not rest, f"{name}: extend this test for several object parameters"
        for obj in world.foreign[kind]:
            url = reverse(f"portal:{name}", kwargs={param: url_value(obj)})
            for method in METHODS:
                response = _request(client, method, url, ids=[obj.pk])
                assert response.status_code in (404, 405), (
                    f"{method.upper()} {url} ({kind} {obj}) answered {response.status_code}"
                )
                checked += 1
    assert checked >= len(ID_URLS) * 3 * len(METHODS)
    assert snapshot() == before


def test_anonymous_users_are_sent_to_login_for_every_account_id_url(client, world):
    for name, params in ID_URLS.items():
        if not name.startswith("account_"):
            continue
        url = reverse(
            f"portal:{name}", kwargs={p: url_value(world.own[k]) for p, k in params.items()}
        )
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next=")


def _checkbox_ids(html: str) -> set[int]:
    return {int(v) for v in re.findall(r'name="ids" value="(\d+)"', html)}


def test_company_b_objects_never_appear_in_company_a_lists(client, world):
    client.force_login(world.a_admin)
    b_texts = [u.email for u in world.b_people] + [u.name for u in world.b_people]
    b_texts += [world.b.name, world.b_sub.name, world.b_customer.name, world.b_customer.email]
    b_texts += [world.b_sub_customer.name, world.b_file.original_name]

    pages = {
        reverse("portal:account_profile"): [world.a.name, world.a_file.original_name],
        reverse("portal:account_users"): [world.a_co.email, world.a_admin.email],
        reverse("portal:account_resellers"): [world.a_sub.name],
        reverse("portal:account_customers"): [world.a_customer.email],
        reverse("portal:account_reseller_users", args=[world.a_sub.pk]): [world.a_sub_admin.email],
    }
    for url, own_texts in pages.items():
        for query in ["", "?q=b.example.com", "?q=乙方", f"?q={world.b_customer.company_name}"]:
            html = client.get(url + query).content.decode()
            # The search boxes echo the query back; only the page's data counts.
            html = re.sub(r'value="[^"]*"', "", html)
            leaked = [text for text in b_texts if text in html]
            assert not leaked, f"{url}{query} shows company B's {leaked}"
        html = client.get(url).content.decode()
        for text in own_texts:
            assert text in html, f"{url} should list A's {text}"

    # Form choices: the checkboxes offer exactly the scoped rows.
    users_html = client.get(reverse("portal:account_users")).content.decode()
    assert _checkbox_ids(users_html) == {world.a_admin.pk, world.a_co.pk}
    resellers_html = client.get(reverse("portal:account_resellers")).content.decode()
    assert _checkbox_ids(resellers_html) == {world.a_sub.pk}
    tab_html = client.get(
        reverse("portal:account_reseller_users", args=[world.a_sub.pk])
    ).content.decode()
    assert _checkbox_ids(tab_html) == {world.a_sub_admin.pk}


def test_bulk_actions_ignore_company_b_ids(client, world):
    client.force_login(world.a_admin)
    before = snapshot()
    b_user_ids = [u.pk for u in world.b_people]
    posts = [
        (reverse("portal:account_users"), "disable", b_user_ids),
        (reverse("portal:account_users"), "delete", b_user_ids),
        # A mix of A's own row and B's: the whole action is refused, A's row is untouched too.
        (reverse("portal:account_users"), "disable", [world.a_co.pk, world.b_co.pk]),
        (reverse("portal:account_users"), "delete", [world.a_co.pk, world.b_co.pk]),
        # A's sub-reseller's user is not a user of A's own company.
        (reverse("portal:account_users"), "disable", [world.a_sub_admin.pk]),
        (reverse("portal:account_resellers"), "disable", [world.b_sub.pk, world.b.pk]),
        (reverse("portal:account_resellers"), "disable", [world.a_sub.pk, world.b_sub.pk]),
        (
            reverse("portal:account_reseller_users", args=[world.a_sub.pk]),
            "disable",
            [world.b_sub_admin.pk, world.b_sub_co.pk, world.a_co.pk],
        ),
    ]
    for url, action, ids in posts:
        response = client.post(url, {"action": action, "ids": ids}, follow=True)
        assert response.status_code == 200
        errors = [m for m in response.context["messages"] if m.level_tag == "error"]
        assert errors, f"{url} {action} {ids}: no error shown"
    assert snapshot() == before
    assert Company.objects.get(pk=world.b_sub.pk).status == CompanyStatus.ENABLED


def test_company_a_co_admin_and_b_admin_do_not_reach_each_other(client, world):
    """The same walk from the other side: B's admin asks for A's objects."""
    client.force_login(world.b_admin)
    before = snapshot()
    for name, params in ID_URLS.items():
        url = reverse(
            f"portal:{name}", kwargs={p: url_value(world.own[k]) for p, k in params.items()}
        )
        for method in METHODS:
            status = _request(client, method, url, ids=[world.a_co.pk]).status_code
            assert status in (404, 405), f"{method.upper()} {url} answered {status}"
    assert snapshot() == before


# --------------------------------------------------------------------------
# 客户订单 fulfilment URLs: another company's order number (or an object of another
# order) answers 404 to every method, and nothing changes.
# --------------------------------------------------------------------------


def _fulfilment_objects(company: Company, customer: EndCustomer, staff: User) -> dict:
    """A paid order of ``company`` with a delivered milestone, an attachment and an issued
    invoice, built through the real services: {kind: URL value}."""
    import uuid
    from datetime import date

    from billing.services.checkout import LineInput, checkout_place_order
    from billing.services.fulfilment import attachment_add, milestone_add, milestone_mark_delivered
    from billing.services.invoices import invoice_issue, invoice_request_create
    from billing.services.orders import payment_confirm_offline, payment_submit_offline
    from tests.billing.test_fulfilment import invoice_fields, pdf_upload
    from tests.catalog.factories import PublishedSolutionFactory, SkuFactory

    buyer = admin_of(company)
    sku = SkuFactory(solution=PublishedSolutionFactory(with_sku=False), unit_price=Decimal("107"))
    order = checkout_place_order(
        user=buyer,
        lines=[LineInput(sku.pk, 1)],
        end_customer_id=customer.pk,
        payment_method="offline",
        idempotency_key=str(uuid.uuid4()),
    )
    payment = payment_submit_offline(
        order_id=order.pk, user=buyer, payer_account="6222", paid_on=date.today()
    )
    payment_confirm_offline(payment_id=payment.pk, actor=staff)
    milestone = milestone_add(order_id=order.pk, actor=staff, stage="上线")
    milestone_mark_delivered(milestone_id=milestone.pk, actor=staff)
    attachment = attachment_add(order_id=order.pk, actor=staff, title="SOW", upload=pdf_upload())
    invoice = invoice_request_create(order_id=order.pk, user=buyer, **invoice_fields())
    invoice_issue(request_id=invoice.pk, actor=staff, invoice_number="No.1", pdf=pdf_upload())
    return {
        "order": order.number,
        "invoice": invoice.pk,
        "milestone": milestone.pk,
        "attachment": attachment.pk,
        "solution": sku.solution_id,
    }


def _fulfilment_snapshot() -> dict:
    from billing.models import DeliveryMilestone, InvoiceRequest, Order, OrderAttachment
    from catalog.models import Review

    return {
        "orders": list(Order.objects.order_by("pk").values("pk", "status", "payment_status")),
        "milestones": list(DeliveryMilestone.objects.order_by("pk").values("pk", "status")),
        "invoices": list(InvoiceRequest.objects.order_by("pk").values("pk", "status")),
        "attachments": list(OrderAttachment.objects.order_by("pk").values("pk")),
        "reviews": Review.objects.count(),
    }


def test_fulfilment_urls_answer_404_for_other_companies_orders(client, world):
    staff = UserFactory(is_staff=True, is_superuser=True)
    own = _fulfilment_objects(world.a, world.a_customer, staff)
    foreign = [
        _fulfilment_objects(world.b, world.b_customer, staff),
        # A distributor sees its sub-reseller's orders read only: it cannot act on them.
        _fulfilment_objects(world.a_sub, world.a_sub_customer, staff),
    ]
    urls = portal_patterns()
    client.force_login(world.a_admin)
    before = snapshot(), _fulfilment_snapshot()
    checked = 0
    for name, params in FULFILMENT_URLS.items():
        assert set(params) == set(urls[name]), f"{name}: parameters {set(urls[name])}"
        # Positive control: A's own order answers (405 for the POST-only actions on GET).
        own_url = reverse(f"portal:{name}", kwargs={p: own[k] for p, k in params.items()})
        assert client.get(own_url).status_code in (200, 405), own_url
        combos = [{p: other[k] for p, k in params.items()} for other in foreign]
        if len(params) > 1:  # A's own order number with an object of another order
            combos += [
                {p: (own if k == "order" else other)[k] for p, k in params.items()}
                for other in foreign
            ]
        for kwargs in combos:
            url = reverse(f"portal:{name}", kwargs=kwargs)
            for method in METHODS:
                response = _request(client, method, url, ids=[])
                assert response.status_code == 404, (
                    f"{method.upper()} {url} answered {response.status_code}"
                )
                checked += 1
    assert checked >= len(FULFILMENT_URLS) * 2 * len(METHODS)
    assert (snapshot(), _fulfilment_snapshot()) == before
