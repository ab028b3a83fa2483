"""Sidebar navigation built from the console registry, grouped by domain.

``SIDEBAR`` places each registered model (group, icon, order); a model appears only to
staff who may view it, so the sidebar follows the role permissions without extra config.
"""

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


class NavGroup(models.TextChoices):
    # Pages of the staff member's own (我的导出): under 仪表盘, for every role.
    DASHBOARD = "dashboard", _("Dashboard")
    PARTNERS = "partners", _("Partners")
    CATALOG = "catalog", _("Solution catalog")
    ORDERS = "orders", _("Orders")
    FINANCE = "finance", _("Finance")
    SYSTEM = "system", _("System")


NAV_ORDER = [group for group in NavGroup if group != NavGroup.DASHBOARD]


# The sidebar in one table: each registered model's group, icon and order in its group (ties
# sort by the model's plural name). A registered model missing here goes last under 系统.
SIDEBAR: dict[str, tuple[NavGroup, str, int]] = {
    "backoffice.ExportJob": (NavGroup.DASHBOARD, "download", 1),
    "partners.RegistrationApplication": (NavGroup.PARTNERS, "how_to_reg", 10),
    "partners.Company": (NavGroup.PARTNERS, "apartment", 20),
    "partners.Tier": (NavGroup.PARTNERS, "workspace_premium", 40),
    "partners.Benefit": (NavGroup.PARTNERS, "loyalty", 50),
    "partners.EndCustomer": (NavGroup.PARTNERS, "contacts", 60),
    "partners.ApiKey": (NavGroup.PARTNERS, "key", 70),
    "partners.WebhookEndpoint": (NavGroup.PARTNERS, "webhook", 70),
    "partners.WebhookDelivery": (NavGroup.PARTNERS, "send", 71),
    "partners.User": (NavGroup.PARTNERS, "person", 90),
    "catalog.Category": (NavGroup.CATALOG, "category", 10),
    "catalog.Solution": (NavGroup.CATALOG, "apps", 20),
    "catalog.Brand": (NavGroup.CATALOG, "verified", 25),
    "catalog.Sku": (NavGroup.CATALOG, "sell", 30),
    "catalog.Banner": (NavGroup.CATALOG, "view_carousel", 40),
    "catalog.NewsItem": (NavGroup.CATALOG, "newspaper", 50),
    "catalog.ConsultationTicket": (NavGroup.CATALOG, "support_agent", 60),
    "catalog.IndustryGroup": (NavGroup.CATALOG, "domain", 60),
    "catalog.HelpCategory": (NavGroup.CATALOG, "help_center", 70),
    "catalog.Review": (NavGroup.CATALOG, "reviews", 70),
    "catalog.TrialRequest": (NavGroup.CATALOG, "rocket_launch", 70),
    "catalog.HelpArticle": (NavGroup.CATALOG, "quiz", 75),
    "billing.Order": (NavGroup.ORDERS, "receipt_long", 10),
    "billing.Payment": (NavGroup.ORDERS, "payments", 20),
    "billing.InvoiceRequest": (NavGroup.ORDERS, "request_quote", 30),
    "contracts.Contract": (NavGroup.ORDERS, "contract", 70),
    "contracts.ContractTemplate": (NavGroup.ORDERS, "contract_edit", 80),
    "billing.PendingPosting": (NavGroup.FINANCE, "rule", 5),
    "billing.RebateWallet": (NavGroup.FINANCE, "savings", 10),
    "billing.RebateEntry": (NavGroup.FINANCE, "receipt_long", 15),
    "billing.CreditAccount": (NavGroup.FINANCE, "credit_card", 20),
    "billing.CreditEntry": (NavGroup.FINANCE, "receipt", 25),
    "billing.Bill": (NavGroup.FINANCE, "request_quote", 30),
    "billing.Receipt": (NavGroup.FINANCE, "savings", 33),
    "billing.Repayment": (NavGroup.FINANCE, "price_check", 35),
    "billing.RefundDue": (NavGroup.FINANCE, "currency_exchange", 36),
    "billing.OnlineRepayment": (NavGroup.FINANCE, "credit_score", 37),
    "billing.CouponCampaign": (NavGroup.FINANCE, "confirmation_number", 40),
    "billing.Coupon": (NavGroup.FINANCE, "local_activity", 45),
    "billing.CouponQuota": (NavGroup.FINANCE, "account_tree", 46),
    "billing.CouponMove": (NavGroup.FINANCE, "swap_horiz", 47),
    "billing.BankAccount": (NavGroup.FINANCE, "account_balance", 55),
    "billing.Statement": (NavGroup.FINANCE, "request_quote", 60),
    "billing.BankStatementProfile": (NavGroup.FINANCE, "view_column", 62),
    "billing.BankStatementImport": (NavGroup.FINANCE, "upload_file", 63),
    "billing.BankStatementLine": (NavGroup.FINANCE, "account_balance", 64),
    "billing.StatementExport": (NavGroup.FINANCE, "download", 65),
    "backoffice.OutboundEmail": (NavGroup.SYSTEM, "outgoing_mail", 5),
    "auth.Group": (NavGroup.SYSTEM, "admin_panel_settings", 10),
    "django_q.Schedule": (NavGroup.SYSTEM, "event_repeat", 20),
    "django_q.Success": (NavGroup.SYSTEM, "task_alt", 30),
    "django_q.Failure": (NavGroup.SYSTEM, "error", 40),
    "django_q.OrmQ": (NavGroup.SYSTEM, "queue", 50),
    "axes.AccessAttempt": (NavGroup.SYSTEM, "lock_person", 60),
    "axes.AccessLog": (NavGroup.SYSTEM, "login", 70),
    "axes.AccessFailureLog": (NavGroup.SYSTEM, "gpp_bad", 80),
}
_UNPLACED = (NavGroup.SYSTEM, "table_rows", 100)


def queue_badges(request: HttpRequest) -> dict[str, int]:
    """Open-queue counts by changelist path, from the dashboard's work queues.

    Every queue is counted in one query (``work_queues``), so the badges are fresh on
    every page (no cache to lag behind an approval) for one query per page.
    """
    from .dashboard import work_queues

    badges: dict[str, int] = {}
    for _title, count, link in work_queues(request):
        path = link.split("?", 1)[0]
        # A queue link may point at the sole item's page: badge its changelist.
        path = path.rsplit("/", 3)[0] + "/" if path.endswith("/change/") else path
        if count:
            badges[path] = badges.get(path, 0) + int(count)
    return badges


# Keys unfold's sidebar template reads on every item and group: present (empty) so the
# template engine does not fail a lookup, and call dir(), for each of them.
_ITEM_DEFAULTS = {"link_callback": None, "link_attrs": None, "icon_template": None}


# Words the sentence case keeps as they are written (names, not common nouns).
PROPER_NOUNS = frozenset({"Django", "Excel", "Q"})


def _keeps_case(word: str) -> bool:
    """An acronym ("API", "SKUs", "HK$") or a name keeps its capitals."""
    return sum(char.isupper() for char in word) >= 2 or word in PROPER_NOUNS


def sentence_case(title) -> str:
    """One casing for the sidebar: "Access attempts", "Scheduled tasks", "API keys".

    Model names come from several apps (ours lower case, django-q2's and axes' capitalised):
    the first letter is capitalised, every other word lower case except acronyms and names.
    Chinese titles are unchanged.
    """
    words = str(title).split(" ")
    words = [
        word if index == 0 or _keeps_case(word) else word.lower()
        for index, word in enumerate(words)
    ]
    return capfirst(" ".join(words))


def _by_order(entry: tuple) -> tuple:
    return entry[0], entry[1]


def sidebar_navigation(request: HttpRequest) -> list[dict]:
    site = admin.site
    badges = queue_badges(request)
    grouped: dict[str, list[tuple[int, str, dict]]] = {group: [] for group in NAV_ORDER}
    for model, model_admin in site._registry.items():
        if not model_admin.has_view_or_change_permission(request):
            continue
        opts = model._meta
        try:
            link = reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:
            continue
        group, icon, order = SIDEBAR.get(opts.label, _UNPLACED)
        grouped.setdefault(group, []).append(
            (
                order,
                str(opts.verbose_name_plural),
                {
                    "title": sentence_case(opts.verbose_name_plural),
                    "icon": icon,
                    "link": link,
                    **_ITEM_DEFAULTS,
                    # A plain number string is shown as the item's badge by unfold.
                    **({"badge": str(badges[link])} if badges.get(link) else {}),
                },
            )
        )
    own = [item for _, _, item in sorted(grouped.get(NavGroup.DASHBOARD, []), key=_by_order)]
    navigation = [
        {
            "title": _("Dashboard"),
            "separator": False,
            "items": [
                {
                    "title": _("Dashboard"),
                    "icon": "dashboard",
                    "link": reverse(f"{site.name}:index"),
                    **_ITEM_DEFAULTS,
                },
                *own,
            ],
            "collapsible": False,
        }
    ]
    for group in NAV_ORDER:
        items = [item for _, _, item in sorted(grouped.get(group, []), key=_by_order)]
        if items:
            navigation.append(
                {
                    "title": sentence_case(group.label),
                    "separator": True,
                    "collapsible": False,
                    "items": items,
                }
            )
    return navigation
