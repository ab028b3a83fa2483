"""The dashboard's figures: sales over 12 months, orders by status, this quarter's top
partners and solutions, new partners and credit lines near their limit.

Every number comes from a domain selector (``billing.selectors.dashboard``,
``partners.selectors``); this module only decides who sees what and shapes it for the
template. A figure is shown with the view permission of its model (the README's role
matrix); 销售 see the same figures restricted to the companies they own.
"""

import json

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from backoffice.core.money import format_money
from billing.selectors import dashboard as billing_selectors
from partners import selectors as partner_selectors
from partners.models import Company

from .scope import company_owner_q, is_owner_scoped

# One colour per currency series (the first is the console's primary colour).
SERIES_COLOURS = ("var(--color-primary-600)", "#d97706", "#059669", "#db2777", "#7c3aed")


def _company_ids(request: HttpRequest) -> QuerySet | None:
    """The pks a figure is restricted to (a subquery, no query of its own): None = all."""
    if not is_owner_scoped(request):
        return None
    return Company.objects.filter(company_owner_q(request.user)).values("pk")


def _sales_chart(sales: dict) -> dict:
    labels = [f"{day:%Y-%m}" for day in sales["months"]]
    datasets = []
    for index, series in enumerate(sales["series"]):
        series["swatch"] = index % len(SERIES_COLOURS)  # .bo-swatch-N in console.css
        colour = SERIES_COLOURS[series["swatch"]]
        series["total_display"] = format_money(series["total"], series["currency"])
        series["cells"] = [
            format_money(total, series["currency"]) if count else "—"
            for total, count in zip(series["totals"], series["orders"], strict=True)
        ]
        datasets.append(
            {
                "label": series["currency"],
                # Decimal as a string: Chart.js parses it; money never becomes a float here.
                "data": [str(total) for total in series["totals"]],
                "borderColor": colour,
                "backgroundColor": colour,
                "displayYAxis": True,
            }
        )
    return {
        "labels": labels,
        "series": sales["series"],
        "rows": [
            (label, [series["cells"][index] for series in sales["series"]])
            for index, label in enumerate(labels)
        ],
        "chart": json.dumps({"labels": labels, "datasets": datasets}),
    }


def _order_figures(request: HttpRequest, company_ids) -> dict:
    since = billing_selectors.quarter_start()
    statuses = billing_selectors.orders_by_status(company_ids=company_ids)
    total = sum(row["count"] for row in statuses)
    link = reverse("admin:billing_order_changelist")
    for row in statuses:
        row["percent"] = round(row["count"] * 100 / total) if total else 0
        row["link"] = f"{link}?status__exact={row['status']}"
    partners = billing_selectors.top_partners(since=since, company_ids=company_ids)
    for group in partners:
        for row in group["rows"]:
            row["display"] = format_money(row["total"], group["currency"])
    return {
        "sales": _sales_chart(billing_selectors.monthly_sales(company_ids=company_ids)),
        "orders_by_status": statuses,
        "orders_total": total,
        "top_partners": partners,
        "top_solutions": billing_selectors.top_solutions(since=since, company_ids=company_ids),
        "quarter_start": since,
    }


def dashboard_figures(request: HttpRequest) -> dict:
    """The figures this staff member may see, under ``figures`` (empty: none)."""
    user = request.user
    company_ids = _company_ids(request)
    figures: dict = {"scoped": company_ids is not None}
    if user.has_perm("billing.view_order"):
        figures.update(_order_figures(request, company_ids))
        figures["link_companies"] = user.has_perm("partners.view_company")
    if user.has_perm("partners.view_company"):
        figures["new_partners"] = partner_selectors.new_partners(company_ids=company_ids)
    if user.has_perm("billing.view_creditaccount"):
        rows = billing_selectors.credit_near_limit(company_ids=company_ids)
        for row in rows:
            row["percent"] = int(row["usage"] * 100)
            row["used_display"] = format_money(row["used"], row["currency"])
            row["limit_display"] = format_money(row["credit_limit"], row["currency"])
        figures["credit_near_limit"] = rows
    if len(figures) == 1:
        return {"figures": {}}
    return {"figures": figures}
