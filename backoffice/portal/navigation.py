"""Personal center (个人中心) sidebar and the role checks behind it.

The menu is one list built here, so later areas (我的资产, 客户订单, 分账管理) add an
entry in ``account_menu`` with their visibility rule and nothing else changes. Entries
of a sub-menu (我的资产: 可抵扣优惠金额, 优惠券, 账期余额) carry the group's label in ``group``.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partners.models import CompanyRole, User


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    url: str
    active: bool = False
    group: str = ""


def is_partner(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "company_id", None))


def can_manage_users(user: User) -> bool:
    """用户管理: the company's 管理员 (decision 6)."""
    return is_partner(user) and user.is_company_admin


def can_manage_resellers(user: User) -> bool:
    """经销商管理: a distributor's 管理员 (decision 6)."""
    return can_manage_users(user) and user.company.is_distributor


def can_view_distribution(user: User) -> bool:
    """优惠券额度 (经销商管理): a distributor's 管理员 and 协同管理员 may look; who may hand
    out or reclaim is ``partners.selectors.can_allocate``."""
    return (
        is_partner(user)
        and user.company.is_distributor
        and user.company_role in (CompanyRole.ADMIN, CompanyRole.CO_ADMIN)
    )


def can_view_assets(user: User) -> bool:
    """我的资产: the company's 管理员 and 协同管理员 (every partner user, spec 0.4)."""
    return is_partner(user) and user.company_role in (CompanyRole.ADMIN, CompanyRole.CO_ADMIN)


def can_view_tiers(user: User) -> bool:
    """额度管理 (经销商管理): a distributor's 管理员 and 协同管理员 (allocating needs more:
    ``billing.services.delegated.may_allocate``)."""
    return can_view_assets(user) and user.company.is_distributor and user.company.is_enabled


def account_menu(user: User, *, active: str = "") -> list[MenuItem]:
    """The sidebar entries ``user`` may see, in display order; ``active`` is the current key."""
    assets = can_view_assets(user)
    entries: list[tuple[str, str, str, bool] | tuple[str, str, str, bool, str]] = [
        # key, label, URL name, visible[, group]
        ("profile", _("Profile"), "portal:account_profile", True),
        ("messages", _("Message center"), "portal:account_messages", True),
        ("benefits", _("Member benefits"), "portal:account_benefits", True),
        ("customers", _("My customers"), "portal:account_customers", True),
        (
            "assets_rebate",
            _("Deductible rebate balance"),
            "portal:assets_rebate",
            assets,
            _("My assets"),
        ),
        ("assets_coupons", _("Coupons"), "portal:assets_coupons", assets, _("My assets")),
        ("assets_credit", _("Credit-line balance"), "portal:assets_credit", assets, _("My assets")),
        ("customer_orders", _("Customer orders"), "portal:account_orders", True),
        ("users", _("User management"), "portal:account_users", can_manage_users(user)),
        ("revenue_statements", _("Revenue-share statements"), "portal:account_statements", assets),
        (
            "resellers",
            _("Reseller management"),
            "portal:account_resellers",
            can_manage_resellers(user),
        ),
        ("tiers", _("Credit allocation"), "portal:account_tiers", can_view_tiers(user)),
        (
            "reseller_coupons",
            _("Coupon quota"),
            "portal:account_coupon_quotas",
            can_view_distribution(user),
        ),
        # Integrations (the 管理员): the partner API's keys and the webhook endpoints.
        ("api_keys", _("API keys"), "portal:account_api_keys", can_manage_users(user)),
        ("webhooks", _("Webhooks"), "portal:account_webhooks", can_manage_users(user)),
    ]
    return [
        MenuItem(
            key=key,
            label=label,
            url=reverse(url_name),
            active=key == active,
            group=group[0] if group else "",
        )
        for key, label, url_name, visible, *group in entries
        if visible
    ]
