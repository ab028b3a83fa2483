"""The checkout's bare baseline: the rows of one 同意, written with precomputed values.

``POST /bench/bare-checkout/`` (``idempotency_key`` in the form) is served by the same
gunicorn as the real checkout and driven by the same closed-loop clients
(``bench.checkout``). In one transaction it takes the real checkout's row locks in the
order of ``billing.locks`` and inserts what a real offline checkout with a rebate spend
inserts (read from the SQL of a real 同意):

0. the idempotency key (``CheckoutSubmission``, the transaction's first statement);
4. the rebate wallet under ``FOR UPDATE``, its spend entry (numbered from the ledger
   sequence) with the running ``balance_after``, the wallet's new balance and its
   history row;
   the contract template under ``FOR SHARE`` (as ``contract_agree``), the contract with
   its snapshot and digest;
1. the order (and its history row), its lines and its first event.

The order and contract numbers are taken before the transaction from the same counter
rows as the real checkout (numbers cannot be precomputed for concurrent clients). An
offline checkout writes no payment row (the partner's transfer does, later), so the
baseline writes none either.

What it leaves out is what the real checkout spends its time on besides the rows: no
form, no re-pricing (the quote, the contract document and the order's values come
precomputed from the runner through the file named by ``BENCH_BARE_SPEC``), no
template rendering, no PDF task, a plain-text answer instead of a redirect.

The rows are kept, like the real checkout's: the wallet's running balance is updated
under its lock exactly as a real spend does, so ``check_ledgers`` stays 0 and the
runner counts the orders by their idempotency keys.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.http import require_POST

SPEC_ENV = "BENCH_BARE_SPEC"
ORDER_NUMBER_FORMAT = "%Y%m%d%H%M%S"  # billing's order number: yyyyMMddHHmmss + sequence

_specs: dict[str, dict[str, Any]] | None = None


# --------------------------------------------------------------------------
# Runner side: the precomputed values, one set per buying company
# --------------------------------------------------------------------------


def bare_spec(*, user, end_customer_id: int, sku, rebate: Decimal, payment_method: str) -> dict:
    """What the bare view writes for ``user``'s company: the quote, the order's and lines'
    values, the contract document (number and time left blank) and the fingerprint."""
    from django.utils.translation import gettext

    from billing.models import OrderStatus, PaymentStatus
    from billing.services.checkout import (
        LineInput,
        _customer_snapshot,
        checkout_contract_data,
        checkout_quote,
    )
    from billing.services.submissions import submission_fingerprint
    from contracts.models import ContractTemplate
    from contracts.rendering import document_build
    from partners.models import EndCustomer

    lines = [LineInput(sku.pk, 1)]
    quote = checkout_quote(
        company_id=user.company_id, lines=lines, rebate_amount=rebate, require_parameters=False
    )
    customer = EndCustomer.objects.get(pk=end_customer_id, company_id=user.company_id)
    data = checkout_contract_data(
        user=user, quote=quote, customer=customer, payment_method=payment_method
    )
    template = ContractTemplate.objects.filter(is_active=True).order_by().first()
    document = document_build(
        data={**data, "contract_number": "", "agreed_at": ""}, template=template
    )
    return {
        "company_id": user.company_id,
        "currency": quote.currency,
        "rebate": str(quote.rebate_amount),
        "template_id": template.pk,
        "contract_total": str(document["grand_total"]),
        "snapshot": json.loads(json.dumps(document, cls=DjangoJSONEncoder)),
        "fingerprint": submission_fingerprint(
            lines=lines,
            end_customer_id=end_customer_id,
            payment_method=payment_method,
            coupon_id=None,
            rebate_amount=rebate,
            use_credit=False,
            remarks="",
            expected_close_date=None,
        ),
        "event_note": gettext("Order placed"),
        "order": {
            "end_customer_id": end_customer_id,
            **_customer_snapshot(customer),
            "region": quote.region,
            "currency": quote.currency,
            "status": OrderStatus.PENDING_PAYMENT.value,
            "payment_status": PaymentStatus.UNPAID.value,
            "payment_method": payment_method,
            "goods_total": str(quote.goods_total),
            "coupon_discount": str(quote.coupon_discount),
            "rebate_amount": str(quote.rebate_amount),
            "credit_amount": str(quote.credit_amount),
            "payable_total": str(quote.payable_total),
            "remarks": "",
        },
        "lines": [
            {
                "sku_id": p.sku.pk,
                "solution_id": p.sku.solution_id,
                "solution_name": p.sku.solution.name,
                "sku_code": p.sku.code,
                "plan_name": p.sku.plan_name,
                "kind": p.sku.kind,
                "unit_price": str(p.sku.unit_price),
                "tax_rate": str(p.sku.tax_rate),
                "quantity": p.quantity,
                "line_total": str(p.line_total),
                "parameters": p.parameters,
            }
            for p in quote.lines
        ],
    }


# --------------------------------------------------------------------------
# Server side: the view
# --------------------------------------------------------------------------


def _spec_of(company_id: int) -> dict | None:
    global _specs
    if _specs is None:
        # Loaded whole, then published: gunicorn's threads share this module, and a
        # thread must never see an empty dict while another is still reading the file
        # (two 403s in the 2026-12-05 full-scale run).
        path = os.environ.get(SPEC_ENV, "")
        specs = {}
        if path:
            with open(path, encoding="utf-8") as handle:
                specs = json.load(handle)
        _specs = specs
    return _specs.get(str(company_id))


def _template_share_lock(template_id: int) -> None:
    """The contract template row under ``FOR SHARE``, as ``contract_agree`` holds it."""
    from django.db import connection

    from contracts.models import ContractTemplate

    table = connection.ops.quote_name(ContractTemplate._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR SHARE", [template_id])  # noqa: S608
        if cursor.fetchone() is None:
            raise LookupError("the contract template is gone")


@require_POST
def bare_checkout(request: HttpRequest) -> HttpResponse:
    """One checkout's rows with precomputed values; answers the order number (200)."""
    from zoneinfo import ZoneInfo

    from django.db import transaction
    from django.utils import timezone

    from backoffice.core.numbering import NUMBER_TIMEZONE, next_number
    from billing import locks
    from billing.models import Order, OrderEvent, OrderLine, RebateEntry, RebateEntryType
    from billing.numbering import rebate_entry_number
    from contracts.models import Contract, snapshot_digest
    from contracts.services import contract_number_next

    user = request.user
    spec = _spec_of(user.company_id) if user.is_authenticated and user.company_id else None
    key = request.POST.get("idempotency_key", "")
    if spec is None or not key:
        return HttpResponseForbidden(b"no bare checkout for this user")
    company_id, currency = spec["company_id"], spec["currency"]
    rebate = Decimal(spec["rebate"])
    now = timezone.now()
    number = next_number(key="order", prefix_format=ORDER_NUMBER_FORMAT, now=now)
    contract_number = contract_number_next(now=now)
    agreed_at = timezone.localtime(now, ZoneInfo(NUMBER_TIMEZONE)).strftime("%Y-%m-%d %H:%M:%S")
    snapshot = {**spec["snapshot"], "contract_number": contract_number, "agreed_at": agreed_at}
    with transaction.atomic():
        locks.claim_checkout_key(company_id=company_id, key=key, fingerprint=spec["fingerprint"])
        wallet = locks.lock_wallet(company_id=company_id, currency=currency)
        wallet.balance -= rebate
        RebateEntry.objects.create(
            number=rebate_entry_number(now),
            entry_type=RebateEntryType.SPEND,
            amount=-rebate,
            reason="",
            idempotency_key=f"order:{company_id}:{key}:rebate",
            wallet=wallet,
            balance_after=wallet.balance,
            order_number=number,
            actor=user,
        )
        wallet.save(update_fields=["balance", "updated_at"])
        _template_share_lock(spec["template_id"])
        contract = Contract.objects.create(
            number=contract_number,
            template_id=spec["template_id"],
            company_id=company_id,
            agreed_by=user,
            agreed_at=now,
            currency=currency,
            total=Decimal(spec["contract_total"]),
            snapshot=snapshot,
            snapshot_sha256=snapshot_digest(snapshot),
            order_number=number,
        )
        order = Order.objects.create(
            number=number,
            company_id=company_id,
            placed_by=user,
            idempotency_key=key,
            contract=contract,
            **spec["order"],
        )
        OrderLine.objects.bulk_create([OrderLine(order=order, **line) for line in spec["lines"]])
        OrderEvent.objects.create(
            order=order,
            from_status="",
            to_status=order.status,
            payment_status=order.payment_status,
            actor=user,
            note=spec["event_note"][:200],
        )
    return HttpResponse(number.encode(), content_type="text/plain")
