"""Ordering forms: cart, checkout (填写核对订单信息), offline transfer and the orders filter.

They validate input only. Prices, discounts, quantities, purchase parameters and every
money rule are checked by ``billing.services.checkout`` (and its coupon, wallet and credit
services); a refusal there becomes a message on the page.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import OrderPaymentMethod, OrderStatus
from catalog.models import Region

from .account import EndCustomerForm
from .transfer import BankTransferForm, date_input

YES, NO = "yes", "no"
YES_NO = [(NO, _("No")), (YES, _("Yes"))]
SEARCH_MAX_LENGTH = 100
REMARKS_MAX_LENGTH = 150
PARAMETER_DEFAULT_MAX_LENGTH = 200


class SkuQuantityForm(forms.Form):
    """立即购买 / 加入购物车 from the detail page: the SKU code and the quantity."""

    sku = forms.CharField(max_length=40, error_messages={"required": _("Choose a plan first.")})
    quantity = forms.CharField(max_length=10, required=False)

    def clean_quantity(self) -> str:
        return self.cleaned_data.get("quantity") or "1"


class CartLineForm(forms.Form):
    """A cart row's 购买计划 and 数量 (the service checks the range and the plan)."""

    line = forms.IntegerField(min_value=1)
    sku_id = forms.IntegerField(min_value=1, required=False)
    quantity = forms.CharField(max_length=10, required=False)


class CartLinesForm(forms.Form):
    """Rows posted by id: ``lines`` (checked boxes) or ``line`` (one row)."""

    lines = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())

    def __init__(self, *args, line_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [(pk, pk) for pk in line_ids]
        self.fields["lines"].error_messages["invalid_choice"] = _(
            "Some of the selected items are no longer in your cart."
        )


def parameter_definitions(sku) -> list[dict]:
    """The SKU's declared purchase parameters with a key (malformed entries are skipped)."""
    return [d for d in (sku.parameters or []) if isinstance(d, dict) and d.get("key")]


def parameter_field(definition: dict) -> forms.CharField:
    limit = int(definition.get("max_length") or PARAMETER_DEFAULT_MAX_LENGTH)
    return forms.CharField(
        label=str(definition.get("label") or definition["key"]),
        max_length=limit,
        required=False,
        widget=forms.TextInput(attrs={"maxlength": limit, "autocomplete": "off"}),
    )


class ParametersForm(forms.Form):
    """添加参数: one text field per declared parameter of the line's SKU (``param-<key>``)."""

    line = forms.IntegerField(min_value=1)

    def __init__(self, *args, sku, **kwargs):
        super().__init__(*args, **kwargs)
        self.definitions = parameter_definitions(sku)
        for definition in self.definitions:
            self.fields[f"param-{definition['key']}"] = parameter_field(definition)

    def values(self) -> dict[str, str]:
        return {d["key"]: self.cleaned_data.get(f"param-{d['key']}", "") for d in self.definitions}


class CheckoutCustomerForm(EndCustomerForm):
    """⊕ 添加客户 / 修改 inside the checkout (prefix ``cust``); ``pk`` set when editing."""

    pk = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class CheckoutForm(forms.Form):
    """填写核对订单信息. ``lines`` are the checkout's lines (SKUs with their declared
    parameters); their parameter fields are ``param-<index>-<key>``."""

    t = forms.CharField(max_length=64, widget=forms.HiddenInput)
    idempotency_key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    expected_payable = forms.DecimalField(
        max_digits=14, decimal_places=2, required=False, widget=forms.HiddenInput
    )
    customer_q = forms.CharField(
        label=_("Search customers"),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("Enter a name, company, e-mail or phone to search")}
        ),
    )
    end_customer = forms.ModelChoiceField(
        label=_("Select customer"),
        queryset=None,
        required=False,
        error_messages={"invalid_choice": _("Choose one of your customers.")},
    )
    payment_method = forms.ChoiceField(
        label=_("Payment method"),
        choices=OrderPaymentMethod.choices,
        initial=OrderPaymentMethod.ONLINE,
        error_messages={
            "required": _("Choose a payment method."),
            "invalid_choice": _("Choose a payment method."),
        },
    )
    use_coupon = forms.ChoiceField(
        label=_("Use a coupon?"), choices=YES_NO, initial=NO, required=False
    )
    coupon = forms.ModelChoiceField(
        label=_("Coupon"),
        queryset=None,
        required=False,
        error_messages={"invalid_choice": _("This coupon cannot be used.")},
    )
    use_credit = forms.ChoiceField(
        label=_("Apply for credit term?"), choices=YES_NO, initial=NO, required=False
    )
    credit_code = forms.CharField(
        label=_("Verification code"),
        max_length=6,
        required=False,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
    )
    use_rebate = forms.ChoiceField(
        label=_("Use the deductible rebate amount?"), choices=YES_NO, initial=NO, required=False
    )
    rebate_amount = forms.DecimalField(
        label=_("Rebate amount"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        error_messages={
            "invalid": _("Enter an amount such as 10 or 10.50."),
            "min_value": _("The rebate amount cannot be negative."),
            "max_decimal_places": _("Enter an amount with at most 2 decimals."),
            "max_digits": _("Enter a smaller amount."),
            "max_whole_digits": _("Enter a smaller amount."),
        },
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )
    expected_close_date = forms.DateField(
        label=_("Expected closing date"), required=False, widget=date_input()
    )
    remarks = forms.CharField(
        label=_("Remarks"),
        max_length=REMARKS_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "maxlength": REMARKS_MAX_LENGTH,
                "placeholder": _("Up to 150 characters, optional"),
            }
        ),
        error_messages={"max_length": _("Remarks: at most 150 characters.")},
    )

    def __init__(self, *args, customers, coupons, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["end_customer"].queryset = customers
        self.fields["coupon"].queryset = coupons
        self.line_definitions: list[list[dict]] = []
        for index, sku in enumerate(lines):
            definitions = parameter_definitions(sku)
            self.line_definitions.append(definitions)
            for definition in definitions:
                self.fields[f"param-{index}-{definition['key']}"] = parameter_field(definition)

    def _value(self, name: str):
        """The cleaned value, or None when the field is invalid (the page shows its error) or
        the form is not bound (first render: no discounts chosen)."""
        if not self.is_bound:
            return None
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name)

    def yes(self, name: str) -> bool:
        return self._value(name) == YES

    def selections(self) -> dict:
        """What the quote prices: the coupon, the rebate amount and credit pay."""
        coupon = self._value("coupon") if self.yes("use_coupon") else None
        rebate = self._value("rebate_amount") if self.yes("use_rebate") else None
        return {
            "coupon_id": coupon.pk if coupon else None,
            "rebate_amount": rebate or 0,
            "use_credit": self.yes("use_credit"),
        }

    def line_parameters(self, index: int) -> dict[str, str]:
        return {
            d["key"]: (self._value(f"param-{index}-{d['key']}") or "")
            for d in self.line_definitions[index]
        }

    def submit_problems(self) -> None:
        """The inputs 提交订单 needs beyond the field checks, as field errors."""
        if self._value("end_customer") is None and "end_customer" not in self.errors:
            self.add_error("end_customer", _("Choose the customer of this order."))
        if self.yes("use_coupon") and self._value("coupon") is None and "coupon" not in self.errors:
            self.add_error("coupon", _("Choose a coupon, or answer No."))
        if self.yes("use_credit") and not (self._value("credit_code") or "").strip():
            self.add_error("credit_code", _("Enter the verification code sent to your e-mail."))


class TransferForm(BankTransferForm):
    """线下支付: the reseller reports the bank transfer; finance confirms it."""

    transfer_reference = forms.CharField(label=_("Reference number"), max_length=60, required=False)


class OrderFilterForm(forms.Form):
    """客户订单 search and 展开筛选 (status, date range, region)."""

    q = forms.CharField(label=_("Search"), max_length=SEARCH_MAX_LENGTH, required=False)
    status = forms.ChoiceField(
        label=_("Order status"),
        choices=[("", _("All"))] + list(OrderStatus.choices),
        required=False,
        error_messages={"invalid_choice": _("Choose one of the listed statuses.")},
    )
    date_from = forms.DateField(label=_("Created from"), required=False, widget=date_input())
    date_to = forms.DateField(label=_("Created until"), required=False, widget=date_input())
    region = forms.ChoiceField(
        label=_("Order region"),
        choices=[("", _("All"))] + list(Region.choices),
        required=False,
        error_messages={"invalid_choice": _("Choose one of the listed regions.")},
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(
                _("The start date must not be after the end date."), code="range_order"
            )
        return cleaned

    @property
    def expanded(self) -> bool:
        """展开筛选 starts open when a filter is in use (or wrong)."""
        data = self.data
        return bool(
            any(data.get(name) for name in ("status", "date_from", "date_to", "region"))
            or (self.is_bound and self.errors)
        )
