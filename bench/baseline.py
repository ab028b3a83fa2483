"""The baseline for the console changelists: plain ``django.contrib.admin``.

Each ``ModelAdmin`` lists the same model with the same columns (the model fields
behind the console's display methods), the same kind of filter and the same search
fields, with Django's defaults for everything else: stock list filters (a related
filter lists every choice), an exact full count on every page, no
``list_select_related`` tuning and the stock paginator. It is mounted on its own site
at ``/bench-baseline/`` by ``bench.urls``, never in the product. The site is unfold's
(its templates are installed for every admin site and expect its URLs); the
``ModelAdmin`` classes are Django's own.
"""

from django.contrib import admin
from unfold.sites import UnfoldAdminSite

from billing.models import Order, RebateEntry, Statement
from partners.models import Company

baseline_site = UnfoldAdminSite(name="bench_baseline")


class OrderBaseline(admin.ModelAdmin):
    list_per_page = 50  # the console's page size, so only the optimisations differ
    list_display = (
        "number",
        "company",
        "customer_company",
        "placed_by",
        "goods_total",
        "payable_total",
        "status",
        "payment_status",
        "payment_method",
        "created_at",
    )
    list_filter = (
        "status",
        "payment_status",
        "payment_method",
        "currency",
        "region",
        "created_at",
        "company__tier",
    )
    search_fields = ("number", "company__name", "customer_company", "placed_by__email")


class CompanyBaseline(admin.ModelAdmin):
    list_display = (
        "name",
        "company_type",
        "parent",
        "tier",
        "business_owner",
        "customer_manager",
        "status",
        "created_at",
    )
    list_filter = ("company_type", "tier", "status", "business_owner")
    list_per_page = 50
    search_fields = ("name", "address", "users__email")


class RebateEntryBaseline(admin.ModelAdmin):
    list_display = (
        "number",
        "wallet",
        "entry_type",
        "amount",
        "balance_after",
        "order_number",
        "reason",
        "actor",
        "created_at",
    )
    list_filter = ("entry_type", "wallet__currency", "created_at")
    list_per_page = 50
    search_fields = ("number", "order_number", "wallet__company__name")


class StatementBaseline(admin.ModelAdmin):
    list_display = (
        "number",
        "company_name",
        "period_start",
        "currency",
        "order_count",
        "product_count",
        "sales_amount",
        "share_rate",
        "total_payable",
        "status",
    )
    list_filter = ("status", "company", "company__tier", "currency")
    list_per_page = 50
    search_fields = ("number", "company__name", "company_name")


baseline_site.register(Order, OrderBaseline)
baseline_site.register(Company, CompanyBaseline)
baseline_site.register(RebateEntry, RebateEntryBaseline)
baseline_site.register(Statement, StatementBaseline)
