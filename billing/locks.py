"""The one lock order of every money path (Saleor's ``lock_objects.py`` is the model).

Two transactions that lock the same rows in different orders deadlock under load (the
payment callback used to lock payment → order while a cancellation locked order →
payment). Every service that changes money takes its row locks in this order, and only
in this order, inside its ``transaction.atomic``:

0. **checkout key** (``claim_checkout_key``): checkout's first statement inserts its
   idempotency key; a concurrent twin of the same company and key waits on the unique
   index until the first transaction ends (then replays its order). Checkout validates
   its prices after this claim and before any lock below.
   **receipt** (``lock_receipt``), at the same level (no path holds both): a bank
   receipt finance posts or allocates (``billing.services.receipts``). Posting inserts
   it first (its unique (bank account, bank reference) index makes a concurrent twin
   wait, then fail); allocating a remainder locks it first. Its allocations then take
   the levels below: every order they pay (``lock_orders``, primary-key order), the
   payments and repayments they confirm (``lock_repayments``), the credit account and
   bills. A four-eyes approval holds its ``PendingPosting`` row above all of this.
   **bank statement line** (``billing.services.bankstatements``), above the receipt:
   confirming a line locks it, then posts its receipt; the line is never locked by a
   path that holds anything below it.
1. **order** (``lock_order``): the order a payment, cancellation, delivery or refund
   is about. When the caller starts from something else (a payment reference, a
   payment id), it first reads the order id *without* a lock (``order_id_of_payment``),
   locks the order, and then re-reads what it started from under lock.
2. **payments** of that order (``lock_payment``, ``lock_order_payments``), or the
   repayment being settled: online (``lock_online_repayment``) or an offline transfer
   under review (``lock_repayment``); several rows in primary-key order. The order's
   delivery and payment milestones stand here too (``lock_order_and_milestone``: the
   order first, then the milestone).
3. **credit-pay code** (``lock_pay_code``): the user's code a credit payment consumes
   (``credit_code_verify``), checked before any ledger is touched.
4. **ledgers**: coupon, rebate wallet, credit account, then the credit account's bills
   in primary-key order (``lock_coupon``, ``lock_wallet``, ``lock_credit_account``,
   ``lock_bills``; the wallet and credit services' ``_lock_*`` helpers go through
   ``lock_wallet`` and ``lock_credit_account``; a cancellation gives its coupon back
   through ``lock_coupon_to_restore``, a staff issue of coupons locks their campaign
   (``lock_campaign``) and a reversed credit charge reaches its bill through ``lock_bills``).
   A distributor's coupon quota (``lock_coupon_quota``) comes before its coupons
   (``lock_quota_coupons``, primary-key order): hand-out and reclaim lock the quota, then
   the coupons they move; a quota issue locks the campaign, then creates the quota.
   Checkout's lock phase takes the coupon,
   the wallet and the account here, in this order, before it posts to any of them.
5. **counters**: the numbering rows (``billing.numbering``), always last and held only
   for the insert they number. The statements' per-month rollup rows
   (``billing.statements.rollup``) stand here too: a statement service locks its
   statement(s) first, then adds to the rollup in one upsert with its keys sorted.

A path may skip a level, never go back up one: nothing that holds a ledger lock then
locks an order or a payment. The PostgreSQL race tests (``tests/billing/
test_payment_locks.py``, ``tests/billing/test_concurrency.py``) prove it under load.
"""

from collections.abc import Iterable

from django.db.models import Model

from billing.models import (
    Bill,
    CheckoutSubmission,
    Coupon,
    CouponCampaign,
    CouponQuota,
    CreditAccount,
    CreditPayCode,
    DelegatedCreditLine,
    OnlineRepayment,
    Order,
    Payment,
    RebateWallet,
    Receipt,
    Repayment,
)


def claim_checkout_key(*, company_id: int, key: str, fingerprint: str) -> CheckoutSubmission:
    """Level 0: insert checkout's idempotency key (IntegrityError when it is taken)."""
    return CheckoutSubmission.objects.create(
        key=key, company_id=company_id, fingerprint=fingerprint
    )


def lock_receipt(receipt_id: int, **filters) -> Receipt:
    """Level 0 for a receipt being allocated; DoesNotExist else."""
    return Receipt.objects.select_for_update().get(pk=receipt_id, **filters)


def lock_orders(order_ids: Iterable[int], **filters) -> list[Order]:
    """Level 1, several orders (a receipt paying more than one) in primary-key order."""
    return list(
        Order.objects.select_for_update().filter(pk__in=list(order_ids), **filters).order_by("pk")
    )


def lock_order(order_id: int, **filters) -> Order:
    """Level 1. ``filters`` narrow the lookup (e.g. ``company_id=``); DoesNotExist else."""
    return Order.objects.select_for_update().get(pk=order_id, **filters)


def order_id_of_payment(**lookup) -> int | None:
    """The order of the payment matching ``lookup``, read without a lock (before level 1)."""
    return Payment.objects.filter(**lookup).values_list("order_id", flat=True).first()


def lock_payment(order: Order, **lookup) -> Payment | None:
    """Level 2: one payment of the already locked ``order`` (None if there is none)."""
    return Payment.objects.select_for_update().filter(order=order, **lookup).first()


def lock_order_payments(order: Order, **filters) -> list[Payment]:
    """Level 2: the payments of the already locked ``order``, in primary-key order."""
    return list(Payment.objects.select_for_update().filter(order=order, **filters).order_by("pk"))


def lock_order_and_milestone[M: Model](model: type[M], milestone_id: int) -> tuple[Order, M]:
    """Levels 1 and 2 for a delivery or payment milestone (``model``): its order id is read
    without a lock, the order is locked, then the milestone; DoesNotExist else."""
    order_id = model.objects.filter(pk=milestone_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise model.DoesNotExist
    order = lock_order(order_id)
    return order, model.objects.select_for_update().get(pk=milestone_id, order_id=order_id)


def lock_online_repayment(**lookup) -> OnlineRepayment | None:
    """Level 2 for a credit repayment (no order above it)."""
    return OnlineRepayment.objects.select_for_update().filter(**lookup).first()


def lock_repayment(repayment_id: int) -> Repayment:
    """Level 2 for an offline repayment finance confirms or rejects; DoesNotExist else."""
    return Repayment.objects.select_for_update().get(pk=repayment_id)


def lock_repayments(repayment_ids: Iterable[int], **filters) -> list[Repayment]:
    """Level 2, several offline repayments (a receipt confirming them) in primary-key order."""
    return list(
        Repayment.objects.select_for_update()
        .filter(pk__in=list(repayment_ids), **filters)
        .order_by("pk")
    )


def lock_pay_code(*, user, purpose: str, now) -> CreditPayCode | None:
    """Level 3: the user's latest unused, unexpired credit-pay code for ``purpose``."""
    return (
        CreditPayCode.objects.select_for_update()
        .filter(user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )


def lock_coupon(*, coupon_id: int, company_id: int) -> Coupon | None:
    """Level 4, first: the company's coupon with its campaign and the campaign's solutions
    (only the coupon row is locked, not the campaign that other coupons share)."""
    return (
        Coupon.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .prefetch_related("campaign__solutions")
        .filter(pk=coupon_id, company_id=company_id)
        .first()
    )


def lock_campaign(campaign_id: int) -> CouponCampaign:
    """Level 4, first: the campaign whose coupons a staff issue counts and creates (nothing
    else is locked on that path); DoesNotExist else."""
    return CouponCampaign.objects.select_for_update().get(pk=campaign_id)


def lock_coupon_quota(quota_id: int, **filters) -> CouponQuota:
    """Level 4, first: a distributor's coupon quota before any of its coupons (``filters``
    narrow the lookup, e.g. ``distributor_id=``); DoesNotExist else."""
    return (
        CouponQuota.objects.select_for_update(of=("self",))
        .select_related("campaign", "distributor")
        .get(pk=quota_id, **filters)
    )


def lock_quota_coupons(quota: CouponQuota, *, limit: int, **filters) -> list[Coupon]:
    """Level 4, after the quota: up to ``limit`` of its coupons matching ``filters``, in
    primary-key order (only the coupon rows are locked)."""
    return list(
        Coupon.objects.select_for_update(of=("self",))
        .filter(quota=quota, **filters)
        .order_by("pk")[:limit]
    )


def lock_coupon_to_restore(coupon_id: int) -> Coupon:
    """Level 4, first: a coupon a cancelled order gives back, with its campaign (only the
    coupon row is locked); DoesNotExist else."""
    return (
        Coupon.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=coupon_id)
    )


def lock_wallet(*, company_id: int, currency: str) -> RebateWallet:
    """Level 4, after the coupon; DoesNotExist else."""
    return RebateWallet.objects.select_for_update().get(company_id=company_id, currency=currency)


def lock_credit_account(*, company_id: int, currency: str) -> CreditAccount:
    """Level 4, after the wallet: the credit account before any of its bills; DoesNotExist else."""
    return CreditAccount.objects.select_for_update().get(company_id=company_id, currency=currency)


def lock_bills(account: CreditAccount, bill_ids: Iterable[int]) -> list[Bill]:
    """Level 4, after the account: its bills among ``bill_ids`` in primary-key order."""
    return list(
        Bill.objects.select_for_update()
        .filter(account=account, pk__in=list(bill_ids))
        .order_by("pk")
    )


def lock_delegated_line(*, reseller_id: int, currency: str, **filters) -> DelegatedCreditLine:
    """Level 4, after the distributor's credit account and its bills: a sub-reseller's
    delegated line; DoesNotExist else."""
    return DelegatedCreditLine.objects.select_for_update().get(
        reseller_id=reseller_id, currency=currency, **filters
    )
