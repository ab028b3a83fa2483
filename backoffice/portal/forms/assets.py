"""我的资产 forms: the shared currency / time filter and the offline repayment form.

They validate input only. Money rules (open bills, payment date not in the future,
duplicates under review) live in ``billing.services.bills``.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from backoffice.core.money import Currency
from billing.services.credit import local_today

from .transfer import BankTransferForm

DEFAULT_CURRENCY = Currency.CNY
MAX_RANGE_DAYS = 366

PERIOD_MONTHS = {"1m": 1, "3m": 3, "6m": 6}
CUSTOM = "custom"
DEFAULT_PERIOD = "1m"
PERIOD_CHOICES = [
    ("1m", _("Last month")),
    ("3m", _("Last 3 months")),
    ("6m", _("Last 6 months")),
    (CUSTOM, _("Custom")),
]


def months_before(day: date, months: int) -> date:
    """The same calendar day ``months`` earlier (clamped to the month's last day)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    month = month_index + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


class AssetFilterForm(forms.Form):
    """?currency=CNY&period=1m|3m|6m|custom&start=YYYY-MM-DD&end=YYYY-MM-DD"""

    currency = forms.ChoiceField(
        label=_("Currency"),
        choices=Currency.choices,
        required=False,
        error_messages={"invalid_choice": _("Choose one of the listed currencies.")},
    )
    period = forms.ChoiceField(
        label=_("Period"),
        choices=PERIOD_CHOICES,
        required=False,
        error_messages={"invalid_choice": _("Choose one of the listed periods.")},
    )
    start = forms.DateField(
        label=_("Start date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("End date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self):
        cleaned = super().clean()
        cleaned["currency"] = cleaned.get("currency") or DEFAULT_CURRENCY
        cleaned["period"] = cleaned.get("period") or DEFAULT_PERIOD
        if cleaned["period"] != CUSTOM:
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        if start is None or end is None:
            raise forms.ValidationError(
                _("Choose both a start date and an end date."), code="range_required"
            )
        if start > end:
            raise forms.ValidationError(
                _("The start date must not be after the end date."), code="range_order"
            )
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise forms.ValidationError(
                _("Choose a range of at most %(days)d days.") % {"days": MAX_RANGE_DAYS},
                code="range_length",
            )
        return cleaned


@dataclass(frozen=True)
class AssetFilters:
    """The validated filter: a currency and the half-open window [since, until)."""

    form: AssetFilterForm
    valid: bool
    currency: str
    period: str
    since: datetime | None
    until: datetime | None


def asset_filters(query: QueryDict, *, today: date | None = None) -> AssetFilters:
    """Read the currency and time window of a 我的资产 page from its query string.

    Invalid input keeps the currency when it was valid and gives ``valid=False``, so the
    page shows the form's errors and no rows rather than some other period's rows.
    """
    form = AssetFilterForm(query)
    today = today or local_today()
    if not form.is_valid():
        currency = form.cleaned_data.get("currency") or DEFAULT_CURRENCY
        period = form.cleaned_data.get("period") or DEFAULT_PERIOD
        return AssetFilters(form, False, currency, period, None, None)
    data = form.cleaned_data
    if data["period"] == CUSTOM:
        since = local_midnight(data["start"])
        until = local_midnight(data["end"] + timedelta(days=1))
    else:
        since = local_midnight(months_before(today, PERIOD_MONTHS[data["period"]]))
        until = None
    return AssetFilters(form, True, data["currency"], data["period"], since, until)


class OfflineRepaymentForm(BankTransferForm):
    """请输入您的付款信息. The amount is not a field: it is the chosen bills' total."""
