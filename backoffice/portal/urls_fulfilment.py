"""客户订单 fulfilment (/account/orders/<number>/...): invoice requests, milestone
confirmation, receipt, attachments and reviews. Names live in "portal:".

Included before the other /account/ URLs; paths it does not match fall through to them.
Order numbers use the ``order_no`` converter of ``urls_orders`` (imported first, so it is
registered), which the tenancy test knows.
"""

from django.urls import path

from . import urls_orders  # noqa: F401  (registers the "order_no" converter)
from .views import fulfilment

urlpatterns = [
    path("<order_no:number>/invoice/", fulfilment.invoice_request, name="order_invoice_request"),
    path(
        "<order_no:number>/invoices/<int:invoice_id>/pdf/",
        fulfilment.invoice_pdf,
        name="order_invoice_pdf",
    ),
    path(
        "<order_no:number>/milestones/<int:milestone_id>/confirm/",
        fulfilment.milestone_confirm_view,
        name="order_milestone_confirm",
    ),
    path("<order_no:number>/complete/", fulfilment.order_complete_view, name="order_complete"),
    path(
        "<order_no:number>/attachments/<int:attachment_id>/",
        fulfilment.attachment_download,
        name="order_attachment",
    ),
    path(
        "<order_no:number>/review/<int:solution_id>/",
        fulfilment.review,
        name="order_review",
    ),
]
