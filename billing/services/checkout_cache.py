"""The quote of the 生成电子订单 step, kept for 同意 (issue 19).

``checkout_quote_remember`` stores what the e-order step computed — the quote (priced
lines, coupon and its discount, rebate, credit), the e-order's merge data and the end
customer — in the Django cache under the company and the submission's idempotency key,
bound to the payload's fingerprint (``submissions.submission_fingerprint``).
``checkout_place_order`` recalls it for the same key and payload and re-validates only
what can change meanwhile: the catalog prices (``prices_unchanged``, one query), the
coupon's state on the row it locks anyway, and the rebate and credit balances on the rows
it locks anyway. Anything else, or a cache miss, takes the full quote.
"""

from dataclasses import dataclass

from django.core.cache import cache

from .quote import Quote
from .submissions import submission_fingerprint

QUOTE_TTL = 30 * 60  # seconds: longer than anyone reads an e-order


@dataclass
class CachedQuote:
    fingerprint: str
    quote: Quote
    contract_data: dict
    customer: object


def _key(company_id: int, idempotency_key: str) -> str:
    return f"checkout-quote:{company_id}:{idempotency_key}"


def checkout_quote_remember(
    *,
    company_id: int,
    idempotency_key: str,
    quote: Quote,
    contract_data: dict,
    customer,
    lines,
    payment_method: str,
    coupon_id=None,
    rebate_amount=None,
    use_credit: bool = False,
    remarks: str = "",
    expected_close_date=None,
) -> None:
    """Keep the e-order step's quote for 同意 with the same key and payload."""
    fingerprint = submission_fingerprint(
        lines=lines,
        end_customer_id=customer.pk,
        payment_method=payment_method,
        coupon_id=coupon_id,
        rebate_amount=rebate_amount,
        use_credit=use_credit,
        remarks=remarks,
        expected_close_date=expected_close_date,
    )
    cache.set(
        _key(company_id, idempotency_key),
        CachedQuote(fingerprint, quote, contract_data, customer),
        QUOTE_TTL,
    )


def checkout_quote_recall(
    *, company_id: int, idempotency_key: str, fingerprint: str
) -> CachedQuote | None:
    """The remembered quote of this key, if its payload is this one."""
    cached = cache.get(_key(company_id, idempotency_key))
    if not isinstance(cached, CachedQuote) or cached.fingerprint != fingerprint:
        return None
    return cached


def checkout_quote_forget(*, company_id: int, idempotency_key: str) -> None:
    cache.delete(_key(company_id, idempotency_key))


def prices_unchanged(quote: Quote) -> bool:
    """Whether every line's plan is still on sale with the data the quote priced (price,
    tax rate, currency, region, code, name, kind, parameters, solution name): one query."""
    from catalog.models import Sku

    fields = (
        "unit_price",
        "tax_rate",
        "currency",
        "region",
        "code",
        "plan_name",
        "kind",
        "parameters",
    )
    rows = Sku.objects.filter(
        pk__in=[p.sku.pk for p in quote.lines], is_active=True, solution__is_published=True
    ).values_list("pk", *fields, "solution__name")
    current = {row[0]: row[1:] for row in rows}
    return all(
        current.get(p.sku.pk) == (*(getattr(p.sku, name) for name in fields), p.sku.solution.name)
        for p in quote.lines
    )
