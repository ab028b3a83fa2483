"""THE staff permission matrix: which console role may do what.

Roles are auth groups (``ROLE_GROUP_NAMES``); ``partners.services.staff_roles_sync``
turns this module into group permissions (run after every ``migrate`` by
``partners.apps``). The README's "Staff roles" table is printed from here by
``manage.py print_role_matrix`` and a test keeps the two equal.

* ``ROLE_PERMISSIONS``: role -> {"app_label.model": model actions}. ``"*"`` as the
  model means every model of the app; the superadmin role gets every permission.
* ``ACTION_PERMISSIONS``: the console's custom actions (approve, confirm, issue...)
  and the model permission each one requires, as the admins check it.
* ``OWNER_SCOPED_ROLES``: roles that only see the companies they own (business
  owner or customer manager) and what hangs off them; the console applies this
  with ``backoffice.admin.base.OwnerScopedMixin``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL = (VIEW, ADD, CHANGE, DELETE)


class StaffRole(models.TextChoices):
    SUPERADMIN = "superadmin", _("Super administrator")
    OPERATIONS = "operations", _("Operations")
    SALES = "sales", _("Sales")
    FINANCE = "finance", _("Finance")


ROLE_GROUP_NAMES: dict[str, str] = {
    StaffRole.SUPERADMIN: "超级管理员",
    StaffRole.OPERATIONS: "运营",
    StaffRole.SALES: "销售",
    StaffRole.FINANCE: "财务",
}

# Names used before the matrix existed; ``staff_roles_sync`` renames them.
LEGACY_GROUP_NAMES: dict[str, str] = {
    StaffRole.SALES: "销售 Sales",
    StaffRole.OPERATIONS: "运营 Operations",
    StaffRole.FINANCE: "财务 Finance",
}

ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    # Every permission of every app (Django's own ``is_superuser`` stays for the
    # demo admin only).
    StaffRole.SUPERADMIN: {"*.*": ALL},
    # 运营: registrations, catalog (solutions, banners, news), consultations,
    # trials, reviews, contract templates, and order processing (delivery, milestones,
    # attachments; spec 13 "Orders"). Money (payments, refunds) stays with 财务.
    StaffRole.OPERATIONS: {
        "partners.registrationapplication": (VIEW, CHANGE),
        "partners.company": (VIEW,),
        "partners.webhookendpoint": (VIEW,),
        "partners.webhookdelivery": (VIEW,),
        "catalog.*": ALL,
        "contracts.contracttemplate": (VIEW, ADD, CHANGE),
        "contracts.contract": (VIEW,),
        "billing.order": (VIEW, CHANGE),
        "billing.deliverymilestone": ALL,
        "billing.paymentmilestone": ALL,
        "billing.orderattachment": (VIEW, ADD),
        "backoffice.exportjob": (VIEW,),  # 我的导出: each sees only their own
    },
    # 销售 / 业务负责人: only the companies they own (see OWNER_SCOPED_ROLES).
    StaffRole.SALES: {
        "partners.company": (VIEW, CHANGE),
        "partners.endcustomer": (VIEW,),
        "partners.apikey": (VIEW, CHANGE),  # see and revoke their companies' API keys
        "partners.registrationapplication": (VIEW,),
        "partners.webhookendpoint": (VIEW,),
        "partners.webhookdelivery": (VIEW,),
        "billing.order": (VIEW,),
        "billing.statement": (VIEW,),
        "catalog.consultationticket": (VIEW, CHANGE),
        "catalog.trialrequest": (VIEW, CHANGE),
        # What they sell: the product catalog (no company data), read-only.
        "catalog.category": (VIEW,),
        "catalog.solution": (VIEW,),
        "catalog.sku": (VIEW,),
        "backoffice.exportjob": (VIEW,),
    },
    # 财务: wallets, coupons, credit lines, offline consumption, payments and
    # repayments to confirm, bills, invoices, statements.
    StaffRole.FINANCE: {
        "partners.company": (VIEW,),
        "billing.rebatewallet": (VIEW, CHANGE),
        "billing.rebateentry": (VIEW,),
        "billing.creditaccount": (VIEW, CHANGE),
        "billing.creditentry": (VIEW,),
        # Two-tier distribution: the distributors' delegated lines (company page).
        "billing.delegatedcreditline": (VIEW,),
        "billing.bill": (VIEW,),
        "billing.repayment": (VIEW, CHANGE),
        "billing.order": (VIEW,),
        "billing.payment": (VIEW, CHANGE),
        # 待退款: refunds due of order payments and online repayments.
        "billing.refunddue": (VIEW, CHANGE),
        "billing.onlinerepayment": (VIEW, CHANGE),
        "billing.invoicerequest": (VIEW, CHANGE),
        "billing.statement": (VIEW, ADD, CHANGE),
        "billing.statementexport": (VIEW,),
        "billing.couponcampaign": (VIEW, ADD, CHANGE),
        "billing.coupon": (VIEW, ADD),
        # 优惠券额度: quotas issued to distributors (from a campaign) and the coupon moves.
        "billing.couponquota": (VIEW, ADD),
        "billing.couponmove": (VIEW,),
        "billing.pendingposting": (VIEW,),  # four-eyes: decided by a second finance user
        # 到账登记: bank transfers finance posts and allocates, on Blue Cloud's accounts.
        "billing.receipt": (VIEW, ADD, CHANGE),
        "billing.bankaccount": (VIEW, ADD, CHANGE),
        "backoffice.exportjob": (VIEW,),
        # 银行流水对账: column profiles, statement imports, the lines to reconcile.
        "billing.bankstatementprofile": (VIEW, ADD, CHANGE),
        "billing.bankstatementimport": (VIEW, ADD),
        "billing.bankstatementline": (VIEW, CHANGE),
    },
}

# (model, console action) -> the permission the admin checks for it. State rules
# (only pending applications can be approved...) come on top, in the admins.
ACTION_PERMISSIONS: dict[tuple[str, str], str] = {
    ("partners.registrationapplication", "approve"): "partners.change_registrationapplication",
    ("partners.registrationapplication", "reject"): "partners.change_registrationapplication",
    ("billing.rebatewallet", "grant"): "billing.change_rebatewallet",
    ("billing.rebatewallet", "clawback"): "billing.change_rebatewallet",
    ("billing.creditaccount", "set_limit"): "billing.change_creditaccount",
    ("billing.creditaccount", "offline_charge"): "billing.change_creditaccount",
    ("billing.creditaccount", "lift_block"): "billing.change_creditaccount",
    ("billing.repayment", "confirm"): "billing.change_repayment",
    ("billing.repayment", "reject"): "billing.change_repayment",
    ("billing.couponcampaign", "issue"): "billing.add_coupon",
    ("billing.couponcampaign", "issue_quota"): "billing.add_couponquota",
    # (or billing.change_rebatewallet: either finance right lets a second person decide)
    ("billing.pendingposting", "approve_posting"): "billing.change_creditaccount",
    ("billing.pendingposting", "reject_posting"): "billing.change_creditaccount",
    ("billing.order", "deliver"): "billing.change_order",
    ("billing.order", "complete"): "billing.change_order",
    ("billing.order", "cancel"): "billing.change_order",
    ("billing.order", "instalment_paid"): "billing.change_order",
    ("billing.order", "review_payment"): "billing.change_payment",
    ("billing.payment", "confirm"): "billing.change_payment",
    ("billing.payment", "reject"): "billing.change_payment",
    ("billing.refunddue", "record_refund"): "billing.change_refunddue",
    ("billing.refunddue", "refund_via_provider"): "billing.change_refunddue",
    ("billing.onlinerepayment", "record_refund"): "billing.change_onlinerepayment",
    ("billing.onlinerepayment", "refund_via_provider"): "billing.change_onlinerepayment",
    ("billing.invoicerequest", "issue"): "billing.change_invoicerequest",
    ("billing.invoicerequest", "reject"): "billing.change_invoicerequest",
    ("billing.statement", "generate"): "billing.add_statement",
    ("billing.bankstatementline", "confirm"): "billing.change_bankstatementline",
    ("billing.bankstatementline", "retarget"): "billing.change_bankstatementline",
    ("billing.bankstatementline", "ignore"): "billing.change_bankstatementline",
    ("contracts.contracttemplate", "publish"): "contracts.add_contracttemplate",
    ("contracts.contracttemplate", "activate"): "contracts.change_contracttemplate",
}

OWNER_SCOPED_ROLES: frozenset[str] = frozenset({StaffRole.SALES})


def role_allows(role: str, app_label: str, model: str, action: str) -> bool:
    """Whether ``role`` receives ``<action>_<model>`` of ``app_label`` from the matrix."""
    for scope, actions in ROLE_PERMISSIONS[role].items():
        scope_app, _, scope_model = scope.partition(".")
        if scope_app not in ("*", app_label) or scope_model not in ("*", model):
            continue
        if action in actions:
            return True
    return False


def role_allows_perm(role: str, perm: str) -> bool:
    """``perm`` is "app_label.codename" with a standard action prefix."""
    app_label, _, codename = perm.partition(".")
    action, _, model = codename.partition("_")
    return role_allows(role, app_label, model, action)


def matrix_markdown() -> str:
    """The README table: one row per model or action, one column per role."""
    roles = list(StaffRole)
    header = "| Permission | " + " | ".join(ROLE_GROUP_NAMES[r] for r in roles) + " |"
    lines = [header, "|" + "---|" * (len(roles) + 1)]
    scopes = sorted({s for r in roles for s in ROLE_PERMISSIONS[r] if s != "*.*"})
    for scope in scopes:
        app_label, _, model = scope.partition(".")
        cells = []
        for role in roles:
            letters = "".join(a[0].upper() for a in ALL if role_allows(role, app_label, model, a))
            cells.append(letters or "—")
        lines.append(f"| `{scope}` | " + " | ".join(cells) + " |")
    for (scope, action), perm in ACTION_PERMISSIONS.items():
        cells = ["✓" if role_allows_perm(r, perm) else "—" for r in roles]
        lines.append(f"| `{scope}` → {action} (`{perm}`) | " + " | ".join(cells) + " |")
    return "\n".join(lines)
