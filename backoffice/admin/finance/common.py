"""What the finance admins share: formatting, the posting forms and the detail-action page."""

import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields as export_fields
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.decorators import display
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelect2MultipleWidget,
    UnfoldAdminSingleDateWidget,
)

from backoffice.core.money import format_money
from billing.models import MONEY_DIGITS, MONEY_PLACES, Bill, PendingPosting
from billing.services.credit import local_today
from billing.services.errors import BillingError
from partners.models import Company, CompanyStatus

from ..base import ActionPageMixin, ReadOnlyAdmin, money_column, text_field
from ..exports import ExportResource
from ..partners.common import tier_choice_field

DATETIME_FORMAT = "%Y-%m-%d %H:%M"  # as backoffice/formats (no seconds)


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def _local(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime(DATETIME_FORMAT)


def _period(bill: Bill) -> str:
    start, end = bill.period_start, bill.period_end
    return f"{start.year}/{start.month}/{start.day}~{end.year}/{end.month}/{end.day}"


def _money_field(label, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        widget=UnfoldAdminDecimalFieldWidget,
        **kwargs,
    )


def _reason_field(help_text=None) -> forms.CharField:
    return text_field(_("Reason"), help_text or _("Required. Kept with the posting for audit."))


class TokenForm(forms.Form):
    """A form with a one-time token, created on GET and sent back as a hidden field.

    The token becomes the service's idempotency key: posting the same page twice
    (double click, browser retry) writes one entry.
    """

    token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *args, **kwargs):
        if data is None:
            kwargs.setdefault("initial", {})
            kwargs["initial"].setdefault("token", uuid.uuid4())
        super().__init__(data, *args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("token"):
            raise forms.ValidationError(
                _("This form has no valid one-time token. Open it again from the detail page."),
                code="token",
            )
        return cleaned


class AmountReasonForm(TokenForm):
    amount = _money_field(_("Amount"), min_value=Decimal("0.01"))
    reason = _reason_field()

    field_order = ["amount", "reason", "token"]


class SetLimitForm(forms.Form):
    credit_limit = _money_field(
        _("Credit limit"),
        min_value=Decimal("0"),
        help_text=_("Equal to the bank guarantee (1:1)."),
    )
    term_days = forms.IntegerField(
        label=_("Term days"),
        min_value=1,
        max_value=365,
        widget=UnfoldAdminIntegerFieldWidget,
        help_text=_("A bill is due this many days after its period ends (1 to 365)."),
    )
    reason = _reason_field(_("Required. The company is e-mailed the new limit."))


class LiftBlockForm(forms.Form):
    until = forms.DateField(
        label=_("Lift until (inclusive)"),
        widget=UnfoldAdminSingleDateWidget,
        help_text=_("Credit pay works again until the end of this day, Asia/Shanghai time."),
    )
    reason = _reason_field()

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until < local_today():
            raise forms.ValidationError(_("Choose today or a later date."))
        return until


class RejectRepaymentForm(forms.Form):
    reason = text_field(
        _("Rejection reason"), _("Required. The partner sees it in their repayment records.")
    )


def _company_choices():
    return Company.objects.filter(status=CompanyStatus.ENABLED).order_by("name", "pk")


class IssueToCompaniesForm(forms.Form):
    companies = forms.ModelMultipleChoiceField(
        label=_("Companies"),
        queryset=Company.objects.none(),
        widget=UnfoldAdminSelect2MultipleWidget,
        help_text=_("Enabled companies; type to search. Each gets one coupon."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["companies"].queryset = _company_choices()


class IssueToTierForm(forms.Form):
    tier = tier_choice_field(_("Every enabled company of this tier gets one coupon."))


class RepaymentColumnsMixin:
    """A repayment's columns (offline or online, of an account's bills): its company, amount
    and bills, the bills' numbers prefetched in one query."""

    def get_queryset(self, request):
        bills = Bill.objects.only("pk", "number").order_by("pk")
        return super().get_queryset(request).prefetch_related(Prefetch("bills", queryset=bills))

    @display(description=_("company"), ordering="account__company__name")
    def company(self, obj) -> str:
        return obj.account.company.name

    amount_display = money_column("amount", _("amount"), ordering="amount", currency_of="account")

    @display(description=_("bills"))
    def bill_numbers(self, obj) -> str:
        return ", ".join(bill.number for bill in obj.bills.all())


class FinanceActionMixin(ActionPageMixin):
    """Detail-action pages of the finance admins (the partners' unfold-styled template)."""

    action_errors = (BillingError,)

    def _not_posted(self, request, obj, entry) -> HttpResponse:
        """A posting that did not reach the ledger now: not a success, so not said as one.

        ``entry`` is a ``PendingPosting`` left for a four-eyes checker (a warning), or the
        entry an earlier submit of the same form already wrote (a note).
        """
        if isinstance(entry, PendingPosting):
            _pending_message(self, request, entry)
        else:
            self.message_user(
                request,
                gettext(
                    "This form was already submitted (transaction %(number)s); "
                    "nothing was posted again."
                )
                % {"number": entry.number},
                messages.INFO,
            )
        return HttpResponseRedirect(self._change_url(obj))


def _pending_message(model_admin, request: HttpRequest, pending: PendingPosting) -> None:
    model_admin.message_user(
        request,
        gettext(
            "%(amount)s is above the four-eyes threshold of %(threshold)s: the posting is "
            "waiting for a second finance user to approve it (待复核财务操作) and has not "
            "changed the ledger yet."
        )
        % {
            "amount": format_money(pending.amount, pending.currency),
            "threshold": format_money(settings.FOUR_EYES_THRESHOLD, pending.currency),
        },
        messages.WARNING,
    )


# --------------------------------------------------------------------------
# The ledgers (credit entries, rebate entries): their export and changelist
# --------------------------------------------------------------------------


class LedgerEntryResource(ExportResource):
    """A ledger's export with Chinese headers: the columns every ledger has.

    ``holder`` names the entry's account field (its ``currency`` formats the amounts); a
    ledger adds ``company``, ``currency`` and its balance column, and its ``Meta``.
    """

    holder = ""

    number = export_fields.Field(attribute="number", column_name=_("Transaction no."))
    entry_type = export_fields.Field(column_name=_("Type"))
    amount = export_fields.Field(column_name=_("Transaction amount"))
    order_number = export_fields.Field(attribute="order_number", column_name=_("Order no."))
    reason = export_fields.Field(attribute="reason", column_name=_("Reason"))
    actor = export_fields.Field(column_name=_("Operator"))
    created_at = export_fields.Field(column_name=_("Date"))

    def _currency(self, entry) -> str:
        return getattr(entry, self.holder).currency

    def dehydrate_entry_type(self, entry) -> str:
        return str(entry.get_entry_type_display())

    def dehydrate_amount(self, entry) -> Decimal | None:
        return self.money(entry.amount)

    def dehydrate_actor(self, entry) -> str:
        return str(entry.actor) if entry.actor_id else ""

    def dehydrate_created_at(self, entry) -> datetime | None:
        return self.moment(entry.created_at)


def _ledger_fields(*middle: str) -> tuple[str, ...]:
    """A ledger's columns: its number and company, ``middle``, then the order no., the
    reason, the operator and the date."""
    return ("number", "company", *middle, "order_number", "reason", "actor", "created_at")


def ledger_export_fields(balance_field: str) -> tuple[str, ...]:
    """A ledger export's columns, its balance after the amount."""
    return _ledger_fields("currency", "entry_type", "amount", balance_field)


def ledger_columns(balance_column: str) -> tuple[str, ...]:
    """A ledger changelist's columns, its balance column after the amount."""
    return _ledger_fields("entry_type", "amount_display", balance_column)


class LedgerEntryAdmin(ReadOnlyAdmin):
    """A ledger's changelist; ``ledger_lookups(holder)`` gives its holder-bound options."""

    search_help_text = _("Search by the start of the transaction or order no., or by company name")


def ledger_lookups(holder: str) -> tuple[tuple, tuple, tuple]:
    """``list_select_related``, ``list_filter`` and ``search_fields`` of a ledger whose
    entries hang off ``holder`` (an account with a company and a currency)."""
    return (
        (f"{holder}__company", "actor"),
        (
            "entry_type",
            (f"{holder}__currency", admin.ChoicesFieldListFilter),
            ("created_at", RangeDateTimeFilter),
        ),
        # Codes match from the start (index-served on millions of ledger rows).
        ("^number", "^order_number", f"{holder}__company__name"),
    )


def ledger_displays(holder: str, *, amount: str, balance_field: str, balance: str) -> tuple:
    """The ``company``, ``amount_display`` and balance columns of a ledger whose entries
    hang off ``holder``; ``amount`` and ``balance`` are the two money columns' titles."""

    @display(description=_("company"), ordering=f"{holder}__company__name")
    def company(self, obj) -> str:
        return getattr(obj, holder).company.name

    return (
        company,
        money_column("amount", amount, ordering="amount", currency_of=holder, signed=True),
        money_column(balance_field, balance, ordering=balance_field, currency_of=holder),
    )
