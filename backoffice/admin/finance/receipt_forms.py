"""The receipt forms (到账登记): choose the company, enter the transfer, tick what it pays.

The allocation choices are the chosen company's own open bills, unpaid offline orders,
reported transfers and repayments under review (``billing.selectors.receipts``): another
company's id is not a valid choice, so it is a form error and nothing is posted.
"""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminSelect2Widget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextInputWidget,
)

from backoffice.core.money import Currency, format_money
from billing.models import BankAccount
from billing.selectors.receipts import (
    receipt_open_bills,
    receipt_pending_payments,
    receipt_pending_repayments,
    receipt_unpaid_orders,
)
from billing.services.receipts import Allocation

from ..base import text_field
from .common import _money_field

ATTACHMENT_ACCEPT = ".pdf,.jpg,.jpeg,.png"


class ReceiptCompanyForm(forms.Form):
    """Step 1: whose transfer it is (the allocation choices depend on it)."""

    company = forms.ModelChoiceField(
        label=_("Company"),
        queryset=None,
        widget=UnfoldAdminSelect2Widget,
        help_text=_("Type to search. The next page lists what this company can pay."),
    )

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies


class _Choices(forms.ModelMultipleChoiceField):
    """Checkboxes of one kind of target, each labelled by ``label``."""

    def __init__(self, label, describe, **kwargs):
        self.describe = describe
        super().__init__(
            queryset=None,
            label=label,
            required=False,
            widget=UnfoldAdminCheckboxSelectMultipleWidget,
            **kwargs,
        )

    def label_from_instance(self, obj) -> str:
        return self.describe(obj)


def _bill(bill) -> str:
    return gettext("%(number)s · %(amount)s · due %(due)s") % {
        "number": bill.number,
        "amount": format_money(bill.amount, bill.account.currency),
        "due": bill.due_date.isoformat(),
    }


def _order(order) -> str:
    return f"{order.number} · {format_money(order.amount_due, order.currency)}"


def _payment(payment) -> str:
    return gettext("%(reference)s (order %(order)s) · %(amount)s") % {
        "reference": payment.reference,
        "order": payment.order.number,
        "amount": format_money(payment.amount, payment.currency),
    }


def _repayment(repayment) -> str:
    return gettext("Repayment of %(date)s · %(amount)s") % {
        "date": repayment.paid_on.isoformat() if repayment.paid_on else "—",
        "amount": format_money(repayment.amount, repayment.account.currency),
    }


class AllocationForm(forms.Form):
    """What a receipt pays: ticked bills (settled together by one repayment), unpaid
    offline orders, reported transfers and repayments under review, each for exactly
    what it needs."""

    bills = _Choices(
        _("Open bills"), _bill, help_text=_("Ticked bills are settled by one repayment.")
    )
    orders = _Choices(_("Unpaid offline orders"), _order)
    payments = _Choices(_("Reported transfers"), _payment)
    repayments = _Choices(_("Repayments under review"), _repayment)

    def __init__(self, data=None, *args, company_id: int, currency: str | None = None, **kwargs):
        super().__init__(data, *args, **kwargs)
        scope = {"company_id": company_id, "currency": currency}
        fields = self.fields
        fields["bills"].queryset = receipt_open_bills(**scope).select_related("account")
        fields["orders"].queryset = receipt_unpaid_orders(**scope)
        fields["payments"].queryset = receipt_pending_payments(**scope)
        fields["repayments"].queryset = receipt_pending_repayments(**scope)

    def allocations(self) -> list[Allocation]:
        data = self.cleaned_data
        result = []
        if bills := list(data.get("bills") or ()):
            total = sum((bill.amount for bill in bills), Decimal("0"))
            result.append(Allocation("bills", tuple(b.pk for b in bills), total))
        for order in data.get("orders") or ():
            result.append(Allocation("order", (order.pk,), order.amount_due))
        for payment in data.get("payments") or ():
            result.append(Allocation("payment", (payment.pk,), payment.amount))
        for repayment in data.get("repayments") or ():
            result.append(Allocation("repayment", (repayment.pk,), repayment.amount))
        return result


class ReceiptForm(AllocationForm):
    """Step 2: the transfer as the bank shows it, and what it pays now (the rest stays
    on the receipt, allocatable later)."""

    bank_account = forms.ModelChoiceField(
        label=_("Receiving bank account"),
        queryset=BankAccount.objects.filter(active=True),
        widget=UnfoldAdminSelectWidget,
    )
    amount = _money_field(_("Amount"), min_value=Decimal("0.01"))
    currency = forms.ChoiceField(
        label=_("Currency"), choices=Currency.choices, widget=UnfoldAdminSelectWidget
    )
    value_date = forms.DateField(label=_("Value date"), widget=UnfoldAdminSingleDateWidget)
    bank_reference = forms.CharField(
        label=_("Bank reference"),
        max_length=64,
        widget=UnfoldAdminTextInputWidget,
        help_text=_("The bank's transaction no.; the same transfer is posted once."),
    )
    payer_name = forms.CharField(
        label=_("Payer name"), max_length=100, required=False, widget=UnfoldAdminTextInputWidget
    )
    payer_account = forms.CharField(
        label=_("Payer account"), max_length=50, required=False, widget=UnfoldAdminTextInputWidget
    )
    memo = text_field(_("Memo"), max_length=200, rows=2, required=False)
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
        help_text=_("The bank slip: PDF, JPG or PNG, at most 10 MB."),
    )

    field_order = [
        "bank_account",
        "amount",
        "currency",
        "value_date",
        "bank_reference",
        "payer_name",
        "payer_account",
        "memo",
        "attachment",
        "bills",
        "orders",
        "payments",
        "repayments",
    ]

    def __init__(self, data=None, files=None, *args, company_id: int, **kwargs):
        super().__init__(data, files, *args, company_id=company_id, **kwargs)


class AllocateRemainderForm(AllocationForm):
    """Allocate what is left on a posted receipt (the receipt's company and currency)."""

    field_order = ["bills", "orders", "payments", "repayments"]
