"""Sidebar navigation built from the console registry, grouped by domain.

Each ModelAdmin states its ``nav_group``; a model appears only to staff who may
view it, so the sidebar follows the role permissions without extra config.
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
        group = getattr(model_admin, "nav_group", NavGroup.SYSTEM)
        grouped.setdefault(group, []).append(
            (
                getattr(model_admin, "nav_order", 100),
                str(opts.verbose_name_plural),
                {
                    "title": sentence_case(opts.verbose_name_plural),
                    "icon": getattr(model_admin, "nav_icon", "table_rows"),
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
