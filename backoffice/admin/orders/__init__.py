"""Console: orders (订单). Orders, the offline-payment queue and invoice requests.

Orders come from checkout: the console never adds one, and its money fields are read
only. Every change goes through ``billing.services``: detail actions (交付, 完成, 取消订单,
确认线下付款, 驳回付款, milestone status changes) show an unfold-styled page on GET and
call one service on POST; the milestone and attachment inlines save through the
fulfilment services too. A ``BillingError`` becomes a form error or an error message,
never a false success.

Modules: ``common`` (badges, action page, forms), ``inlines``, ``display`` (export,
fieldsets, filters, columns), ``permissions``, ``saving``, ``actions`` (detail actions),
``order`` (``OrderAdmin``), ``payments`` (``PaymentAdmin``) and ``invoices``
(``InvoiceRequestAdmin``). Importing the package registers the three admins, in this order.
"""

# Registered in the console's historical order: orders, payments, invoice requests.
# isort: off
from .order import OrderAdmin
from .payments import PaymentAdmin
from .invoices import InvoiceRequestAdmin
from .display import OrderResource

# isort: on

__all__ = ["InvoiceRequestAdmin", "OrderAdmin", "OrderResource", "PaymentAdmin"]
