"""Console: revenue-share statements (分账管理) and their Excel exports.

The list shows header totals of the filtered statements (订单总数, 方案总数, 销售额 per
currency, one aggregate query) above the table. Statements are generated, never added
by hand; every change is a detail action whose GET shows a form page and whose POST
calls one ``billing.statements.services`` function (a refusal becomes a form error).
Confirmed and later statements are read-only (``has_change_permission`` is False).

Modules: ``common`` (badges, forms, period filter, inlines), ``permissions``, ``display``,
``files`` (voucher, PDF, Excel), ``actions``, ``statement`` (``StatementAdmin``) and
``exports`` (``StatementExportAdmin``). Importing the package registers both admins.
"""

# Registered in the console's historical order.
# isort: off
from .statement import StatementAdmin
from .exports import StatementExportAdmin
from .common import statement_months

# isort: on

__all__ = ["StatementAdmin", "StatementExportAdmin", "statement_months"]
