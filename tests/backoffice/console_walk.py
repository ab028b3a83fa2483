"""The console role walk's machinery: the world it walks, the URL list, the oracle.

``tests/backoffice/test_console_walk.py`` holds the tests. Kept apart so the rules read on
their own:

* ``build_world()`` loads the demo data (its companies belong to the demo 销售) and adds a
  company owned by another salesperson, with one row of every company-bound console model,
  plus a row of every other console model, so each model has an in-scope and, for 销售, an
  out-of-scope object.
* ``console_urls()`` walks the URL resolver under ``/admin/`` and classifies every pattern;
  a pattern it cannot classify is returned as such and fails the test.
* ``db_writes()`` counts row writes on the test connection (SQLite ``total_changes()``,
  PostgreSQL ``pg_stat_xact_user_tables``): a request that may not write must leave it
  unchanged.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n%%EOF\n"


# --------------------------------------------------------------------------
# The world
# --------------------------------------------------------------------------


@dataclass
class World:
    root: object  # a Django superuser: builds the forms a role then posts
    users: dict = field(default_factory=dict)  # role -> staff user of that group
    other_sales: object = None
    other_company: object = None


def _file(name: str, data: bytes = PDF) -> ContentFile:
    return ContentFile(data, name=name)


def _company_rows(company, *, owner, user, root, sku, in_scope: bool):
    """One row of every company-bound console model for ``company``."""
    from billing.models import (
        CreditAccount,
        OrderAttachment,
        PaymentRecordStatus,
        PendingPosting,
        PendingPostingKind,
    )
    from billing.services.checkout import LineInput, checkout_place_order
    from billing.services.orders import payment_submit_offline
    from catalog.models import ConsultationTicket, TrialRequest
    from partners.models import ApiKey, ApplicationStatus, EndCustomer
    from partners.models import RegistrationApplication as Application
    from tests.billing.factories import (
        InvoiceRequestFactory,
        OnlineRepaymentFactory,
        PaymentFactory,
    )
    from tests.billing.statements.helpers import make_statement
    from tests.partners.factories import QualificationFileFactory

    ApiKey.objects.create(
        company=company,
        name=f"walk-key-{company.pk}",
        scopes=["orders:read"],
        prefix=f"w{company.pk:07d}",
        hash=f"{company.pk:064d}",
        created_by=user,
    )
    customer = EndCustomer.objects.create(
        company=company,
        name=f"walk-{company.pk}",
        email=f"walk-customer-{company.pk}@example.com",
        company_name=f"走查客户{company.pk}",
    )
    order = checkout_place_order(
        user=user,
        lines=[LineInput(sku.pk, 1)],
        end_customer_id=customer.pk,
        payment_method="offline",
        idempotency_key=str(uuid.uuid4()),
    )
    payment_submit_offline(
        order_id=order.pk, user=user, payer_account="6222 0000 1111", paid_on=date.today()
    )
    # A late payment finance owes back (待退款), and an online repayment refund due.
    PaymentFactory(
        order=order,
        kind="online",
        provider="sandbox",
        reference=f"DDWALK{company.pk:08d}",
        status=PaymentRecordStatus.REFUND_DUE,
        confirmed_at=timezone.now(),
        refund_reason="走查：取消后到账",
    )
    OnlineRepaymentFactory(
        account=CreditAccount.objects.get(company=company, currency="CNY"),
        reference=f"RWALK{company.pk:08d}",
        amount=Decimal("10.00"),
        status=PaymentRecordStatus.REFUND_DUE,
        confirmed_at=timezone.now(),
        refund_reason="走查：账单已结清",
        started_by=user,
    )
    OrderAttachment.objects.create(
        order=order,
        title="交付文档",
        file=_file("delivery.pdf"),
        original_name="delivery.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
        uploaded_by=root,
    )
    InvoiceRequestFactory(
        order=order,
        title=company.name,
        tax_id="91310000MA1FL00000",
        email=f"invoice-{company.pk}@example.com",
        amount=order.payable_total,
        currency=order.currency,
        requested_by=user,
        invoice_pdf=_file("invoice.pdf"),
    )
    statement = make_statement(company, month=9)
    statement.voucher.save("voucher.pdf", _file("voucher.pdf"), save=False)
    statement.voucher_name = "voucher.pdf"
    statement.voucher_content_type = "application/pdf"
    statement.save(update_fields=["voucher", "voucher_name", "voucher_content_type"])
    QualificationFileFactory(
        company=company, file=_file("licence.pdf"), original_name="营业执照.pdf", size=len(PDF)
    )
    application = Application.objects.create(
        company_name=f"走查申请{company.pk}",
        contact_name="走查",
        email=f"walk-applicant-{company.pk}@example.com",
        phone="13800009999",
        address="上海",
        business_owner=owner,
        status=ApplicationStatus.PENDING,
        agreed_at=timezone.now(),
    )
    QualificationFileFactory(
        company=None,
        application=application,
        file=_file("application.pdf"),
        original_name="申请材料.pdf",
        size=len(PDF),
    )
    lead = {
        "name": "走查线索",
        "email": f"lead-{company.pk}@example.com",
        "company_name": company.name,
        "assignee": owner,
        "solution": sku.solution,
    }
    ConsultationTicket.objects.create(
        **lead,
        service_type="presales",
        support_category="other",
        subject="走查咨询",
        details="走查",
        attachment=_file("ticket.pdf"),
    )
    TrialRequest.objects.create(**lead, remarks="走查试用")
    _webhook_rows(company, order)
    if not in_scope:
        PendingPosting.objects.create(
            kind=PendingPostingKind.CREDIT_LIMIT,
            company=company,
            currency="CNY",
            amount=Decimal("50000.00"),
            term_days=30,
            reason="走查",
            maker=root,
        )


def _webhook_rows(company, order) -> None:
    """A webhook endpoint of ``company`` and one failed delivery (read-only in the console)."""
    from partners.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

    endpoint = WebhookEndpoint.objects.create(
        company=company, url=f"https://walk-{company.pk}.example.com/hooks", events=["order.paid"]
    )
    event = WebhookEvent.objects.create(
        company=company, type="order.paid", payload={"order": {"number": order.number}}
    )
    WebhookDelivery.objects.create(
        event=event, endpoint=endpoint, status="failed", attempt=1, response_code=500
    )


def _export_jobs(*users) -> None:
    from backoffice.core.models import ExportJob, ExportJobStatus

    for user in users:
        job = ExportJob.objects.create(
            requested_by=user,
            model_label="billing.order",
            title="订单",
            filename=f"走查导出-{user.pk}.xlsx",
            language="zh-hans",
            status=ExportJobStatus.DONE,
            total_rows=1,
            done_rows=1,
            finished_at=timezone.now(),
        )
        job.file.save("walk.xlsx", _file("walk.xlsx", b"PK\x03\x04walk"), save=True)


def build_world() -> World:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_q.models import OrmQ, Schedule, Task

    from billing.models import StatementExport
    from billing.services import credit
    from catalog.models import Sku
    from contracts.models import Contract
    from contracts.services import contract_render_pdf
    from fixtures.demo import load_all
    from partners.models import Company, CompanyRole, User
    from partners.services import company_create, staff_roles_sync, staff_user_upsert
    from partners.staff_roles import StaffRole
    from tests.catalog.factories import ReviewFactory
    from tests.factories import UserFactory

    load_all()
    groups = staff_roles_sync()
    root = UserFactory(is_staff=True, is_superuser=True, email="walk-root@example.com")
    world = World(root=root)
    world.users[StaffRole.SALES] = User.objects.get(email="sales@example.com")
    world.users[StaffRole.OPERATIONS] = User.objects.get(email="ops@example.com")
    world.users[StaffRole.FINANCE] = User.objects.get(email="finance@example.com")
    # 超级管理员 by its group alone (the demo admin is also a Django superuser).
    superadmin = UserFactory(is_staff=True, email="walk-superadmin@example.com")
    superadmin.groups.add(groups[StaffRole.SUPERADMIN])
    world.users[StaffRole.SUPERADMIN] = superadmin

    world.other_sales, _ = staff_user_upsert(
        email="other.sales@example.com",
        name="孙销售 Sun (Sales)",
        role=StaffRole.SALES,
        password=None,
        superuser=False,
    )
    world.other_company = company_create(
        actor=root,
        name="走查外部公司 Walk-Other",
        company_type="reseller",
        business_owner=world.other_sales,
        address="北京",
    )
    other_user = UserFactory(
        email="walk-other-admin@example.com",
        company=world.other_company,
        company_role=CompanyRole.ADMIN,
        activated_at=timezone.now(),
    )
    credit.credit_limit_set(
        company_id=world.other_company.pk,
        currency="CNY",
        credit_limit="5000.00",
        term_days=30,
        actor=root,
        reason="walk",
    )
    sku = Sku.objects.filter(is_active=True, solution__is_published=True, currency="CNY").first()
    own_company = Company.objects.filter(business_owner=world.users[StaffRole.SALES]).first()
    own_user = own_company.users.filter(company_role=CompanyRole.ADMIN).first()
    _company_rows(
        own_company,
        owner=world.users[StaffRole.SALES],
        user=own_user,
        root=root,
        sku=sku,
        in_scope=True,
    )
    _company_rows(
        world.other_company,
        owner=world.other_sales,
        user=other_user,
        root=root,
        sku=sku,
        in_scope=False,
    )
    # Rows of the remaining console models (system screens, reviews).
    ReviewFactory(solution=sku.solution)
    StatementExport.objects.create(requested_by=root)
    # 我的导出: a finished export of the walking superuser (its file downloads) and one of
    # the 销售 user; every other user finds neither (each sees only their own).
    _export_jobs(root, world.users[StaffRole.SALES])
    AccessAttempt.objects.create(
        username="walk@example.com",
        ip_address="10.0.0.1",
        user_agent="walk",
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info="/login/",
        failures_since_start=1,
    )
    AccessLog.objects.create(
        username="walk@example.com", ip_address="10.0.0.1", user_agent="walk", path_info="/"
    )
    AccessFailureLog.objects.create(
        username="walk@example.com",
        ip_address="10.0.0.1",
        user_agent="walk",
        path_info="/login/",
        locked_out=False,
    )
    now = timezone.now()
    Schedule.objects.create(func="backoffice.core.tasks.clear_expired_sessions", name="walk")
    for success in (True, False):
        Task.objects.create(
            id=uuid.uuid4().hex,
            name=f"walk-{success}",
            func="backoffice.core.tasks.clear_expired_sessions",
            started=now - timedelta(seconds=1),
            stopped=now,
            success=success,
        )
    OrmQ.objects.create(key="walk", payload="x", lock=now)
    # Contract PDFs are rendered by a task after the order commits; the world's orders
    # never commit (the test's transaction), so render them as the task would.
    for contract_id in Contract.objects.filter(pdf="").values_list("pk", flat=True):
        contract_render_pdf(contract_id=contract_id)
    return world


# --------------------------------------------------------------------------
# The URLs
# --------------------------------------------------------------------------

# Console-wide pages (not of one model), by URL name, and what the walk does with each.
SITE_URLS = {
    "index": "page",
    "search": "page",
    "jsi18n": "page",
    "password_change_done": "page",
    "password_change": "auth",
    "login": "auth",
    "logout": "auth",
    "autocomplete": "autocomplete",
    "view_on_site": "view_on_site",
    "app_list": "app_list",
    None: "catch_all",  # Django's final catch-all: redirects or 404
    # The signed-in staff member's own second login factor (no other user's data).
    "twofactor": "own_account",
    "twofactor_verify": "own_account",
    "twofactor_enrol": "own_account",
    "twofactor_qr": "own_account",
    "twofactor_codes": "own_account",
    "twofactor_regenerate": "own_account",
    "twofactor_remove": "own_account",
}

# Per-model pages without an object, by the end of the URL name.
MODEL_URL_SUFFIXES = {
    "_changelist": "changelist",
    "_add": "add",
    "_export": "export",
    "_import": "import",
    "_process_import": "import",
}

# Extra URL parameters of object views: how to find a value for an object.
EXTRA_PARAMETERS = {
    "file_id": lambda obj: obj.files.order_by("pk").values_list("pk", flat=True).first(),
    "attachment_id": lambda obj: (
        obj.attachments.order_by("pk").values_list("pk", flat=True).first()
    ),
}

_CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass
class ConsoleUrl:
    route: str  # the full route under /admin/, converters left in
    pattern: URLPattern
    kind: str  # "object", "model", "list_action", a SITE_URLS value, or "unclassified"
    model_admin: object = None
    params: tuple[str, ...] = ()  # URL parameters besides the object id

    @property
    def name(self) -> str | None:
        return self.pattern.name

    def path_for(self, obj=None, **values) -> str:
        """The URL of this pattern for ``obj`` (and extra parameter values)."""
        route = self.route
        history_form = "^([^/]+)/history/([^/]+)/$"  # simple-history's regex route
        if route.endswith(history_form):
            pk = quote(str(obj.pk))
            return f"/admin/{route.removesuffix(history_form)}{pk}/history/{values['history_id']}/"

        def fill(match):
            name = match.group("name")
            if name in ("object_id", "id"):
                return quote(str(obj.pk))
            return str(values[name])

        return "/admin/" + _CONVERTER.sub(fill, route)


def _leaves(resolver: URLResolver, prefix: str):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _leaves(entry, route)
        else:
            yield route, entry


def _model_admin_for(route: str):
    for model, model_admin in admin.site._registry.items():
        if route.startswith(f"{model._meta.app_label}/{model._meta.model_name}/"):
            return model_admin
    return None


def _unfold_action_names(model_admin, kind: str) -> set[str]:
    getter = {
        "list": "_get_base_actions_list",
        "detail": "_get_base_actions_detail",
        "row": "_get_base_actions_row",
    }[kind]
    getter = getattr(model_admin, getter, None)
    return {action.action_name for action in getter()} if getter else set()


def console_urls() -> list[ConsoleUrl]:
    """Every URL pattern under /admin/, from the resolver, classified."""
    admin_resolver = next(
        entry
        for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver) and str(entry.pattern) == "admin/"
    )
    urls = []
    for route, pattern in _leaves(admin_resolver, ""):
        model_admin = _model_admin_for(route)
        params = tuple(
            m.group("name")
            for m in _CONVERTER.finditer(route)
            if m.group("name") not in ("object_id", "id")
        )
        if model_admin is None:
            kind = SITE_URLS.get(pattern.name, "unclassified")
            if pattern.name not in SITE_URLS:
                kind = "unclassified"
            urls.append(ConsoleUrl(route, pattern, kind))
            continue
        opts = model_admin.model._meta
        local = route.removeprefix(f"{opts.app_label}/{opts.model_name}/")
        named = pattern.name or ""
        if local.startswith(("<path:object_id>", "<id>/", "^([^/]+)/history/")) or (
            local.startswith("^") and "history" in local
        ):
            kind = "object"
            if any(p not in EXTRA_PARAMETERS for p in params):
                kind = "unclassified"
        elif named in _unfold_action_names(model_admin, "list"):
            kind = "list_action"
        elif any(named == f"{opts.app_label}_{opts.model_name}{s}" for s in MODEL_URL_SUFFIXES):
            kind = "model"
        else:
            kind = "unclassified"
        urls.append(ConsoleUrl(route, pattern, kind, model_admin, params))
    return urls


# --------------------------------------------------------------------------
# The oracle: which POST may write
# --------------------------------------------------------------------------


def object_view(url: ConsoleUrl) -> str:
    """What an object URL is: change, delete, history, history_form, redirect, action, file."""
    opts = url.model_admin.model._meta
    name = url.name or ""
    prefix = f"{opts.app_label}_{opts.model_name}"
    if url.route.endswith("history/([^/]+)/$") or name.endswith("_simple_history"):
        return "history_form"
    if name == f"{prefix}_change":
        return "change"
    if name == f"{prefix}_delete":
        return "delete"
    if name == f"{prefix}_history":
        return "history"
    if not name:
        return "redirect"  # <path:object_id>/ -> the change page
    if name in _unfold_action_names(url.model_admin, "detail") | _unfold_action_names(
        url.model_admin, "row"
    ):
        return "action"
    return "file"  # a custom object_path view: downloads, PDFs (read-only)


def action_permissions(model_admin, name: str) -> list[str]:
    for action in (
        *model_admin._get_base_actions_detail(),
        *model_admin._get_base_actions_row(),
        *model_admin._get_base_actions_list(),
    ):
        if action.action_name == name:
            return list(getattr(action.method, "allowed_permissions", ()) or ())
    return []


def role_may(role, perm: str) -> bool:
    from partners.staff_roles import role_allows_perm

    return role_allows_perm(role, perm)


def may_write(role, request, url: ConsoleUrl, obj) -> bool:
    """Whether the matrix AND the console let ``role`` change something through ``url``.

    Read-only views (history, historical versions, files, exports) never may.
    """
    from partners.staff_roles import ACTION_PERMISSIONS

    model_admin = url.model_admin
    opts = model_admin.model._meta
    label = opts.label_lower

    def perm(action: str) -> bool:
        return role_may(role, f"{opts.app_label}.{action}_{opts.model_name}")

    if url.kind == "object":
        view = object_view(url)
        if view == "change":
            return perm("change") and model_admin.has_change_permission(request, obj)
        if view == "delete":
            return perm("delete") and model_admin.has_delete_permission(request, obj)
        if view == "action":
            names = action_permissions(model_admin, url.name)
            return bool(names) and all(
                _action_allowed(role, request, model_admin, label, name, obj, ACTION_PERMISSIONS)
                for name in names
            )
        return False
    if url.kind == "list_action":
        names = action_permissions(model_admin, url.name)
        return bool(names) and all(
            _action_allowed(role, request, model_admin, label, name, None, ACTION_PERMISSIONS)
            for name in names
        )
    if url.kind == "model":
        name = url.name or ""
        if name.endswith("_add") or name.endswith("import"):
            return perm("add") and model_admin.has_add_permission(request)
        if name.endswith("_changelist"):
            return perm("change")  # list_editable / bulk actions
        return False
    return False


def _action_allowed(role, request, model_admin, label, name, obj, action_permissions) -> bool:
    if "." in name:
        return role_may(role, name)
    if name in ("view", "change", "add", "delete"):
        required = f"{label.split('.')[0]}.{name}_{label.split('.')[1]}"
    else:
        required = action_permissions.get((label, name))
    if required is not None and not role_may(role, required):
        return False
    check = getattr(model_admin, f"has_{name}_permission")
    try:
        return bool(check(request, None if obj is None else str(obj.pk)))
    except TypeError:
        return bool(check(request))


def db_writes() -> int:
    """Rows written on this connection so far (monotonic; includes rolled-back savepoints)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT total_changes()")
        else:
            cursor.execute(
                "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0)"
                " FROM pg_stat_xact_user_tables"
            )
        return int(cursor.fetchone()[0])


# --------------------------------------------------------------------------
# Forms in a page: what a browser would post
# --------------------------------------------------------------------------


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._select_multiple = False
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._option: dict | None = None
        self.selects: dict[str, list[str]] = {}

    def _add(self, name, value):
        if self._form is not None and name:
            self._form["data"].setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "data": {}}
            self.forms.append(self._form)
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._add(a.get("name"), a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = a.get("name")
            self._select_multiple = "multiple" in a
            self._select_first = None
            self._select_chosen = False
            if self._select:
                self.selects.setdefault(self._select, [])
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self.selects[self._select].append(value)
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self._select_chosen = True
                self._add(self._select, value)
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._add(self._textarea, "")

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            values = self._form["data"][self._textarea]
            values[-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            if (
                self._select
                and not self._select_chosen
                and not self._select_multiple
                and self._select_first is not None
            ):
                self._add(self._select, self._select_first)
            self._select = None
        elif tag == "textarea":
            if self._textarea and self._form is not None:
                values = self._form["data"][self._textarea]
                values[-1] = values[-1].removeprefix("\n")
            self._textarea = None


def parse_page(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


def main_post_form(html: str) -> dict[str, list[str]]:
    """The data of the page's biggest POST form, as a browser would submit it."""
    forms = [f for f in parse_page(html).forms if f["method"] == "post"]
    if not forms:
        return {}
    return max(forms, key=lambda f: len(f["data"]))["data"]


def uses_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
