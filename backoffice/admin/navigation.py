"""Sidebar navigation built from the console registry, grouped by domain.

Each ModelAdmin states its ``nav_group``; a model appears only to staff who may
view it, so the sidebar follows the role permissions without extra config.
"""

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


class NavGroup(models.TextChoices):
    PARTNERS = "partners", _("Partners")
    CATALOG = "catalog", _("Solution catalog")
    ORDERS = "orders", _("Orders")
    FINANCE = "finance", _("Finance")
    SYSTEM = "system", _("System")


NAV_ORDER = list(NavGroup)


def sidebar_navigation(request: HttpRequest) -> list[dict]:
    site = admin.site
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
                    "title": opts.verbose_name_plural,
                    "icon": getattr(model_admin, "nav_icon", "table_rows"),
                    "link": link,
                },
            )
        )
    navigation = [
        {
            "title": _("Dashboard"),
            "separator": False,
            "items": [
                {
                    "title": _("Dashboard"),
                    "icon": "dashboard",
                    "link": reverse(f"{site.name}:index"),
                }
            ],
        }
    ]
    for group in NAV_ORDER:
        items = [item for _, _, item in sorted(grouped.get(group, []), key=lambda t: (t[0], t[1]))]
        if items:
            navigation.append({"title": group.label, "separator": True, "items": items})
    return navigation
