"""Four-eyes on finance postings (staff-console issue).

Services: billing/services/approvals.py. A posting above FOUR_EYES_THRESHOLD is
stored here by its maker and reaches the ledger only when a second user approves.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import in_range, not_negative
from backoffice.core.fields import NEWEST_FIRST, optional_time, status_field
from backoffice.core.links import acting_user, optional_link, optional_user
from backoffice.core.money import MONEY_DIGITS, MONEY_PLACES, currency_field, format_money
from partners.fields import company_fk


class PendingPostingKind(models.TextChoices):
    WALLET_GRANT = "wallet_grant", _("Manual rebate grant")
    CREDIT_LIMIT = "credit_limit", _("Credit limit change")
    OFFLINE_CHARGE = "offline_charge", _("Offline consumption")
    COMPANY_TERMS = "company_terms", _("Tier / revenue-share change")
    RECEIPT = "receipt", _("Receipt (bank transfer)")


class PendingPostingStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PendingPosting(models.Model):
    """A finance posting entered by a maker, waiting for a second user (the checker)."""

    kind = models.CharField(_("kind"), max_length=20, choices=PendingPostingKind.choices)
    company = company_fk("pending_postings")
    # Empty for a tier / revenue-share change, which moves no money.
    currency = currency_field(blank=True)
    # The grant or consumption amount; for a credit-limit change the new limit; 0 for a
    # tier / revenue-share change.
    amount = models.DecimalField(_("amount"), max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    # A tier / revenue-share change: the company's new terms (an empty rate: the tier's).
    tier = optional_link("partners.Tier", _("new tier"))
    revenue_share_rate = models.DecimalField(
        _("new revenue-share rate"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    term_days = models.PositiveSmallIntegerField(
        _("term (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    reason = models.CharField(_("reason"), max_length=200)
    maker = acting_user(_("entered by"))
    checker = optional_user(_("decided by"))
    status = status_field(PendingPostingStatus.PENDING, max_length=10)
    decided_at = optional_time(_("decided"))
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True)
    result_reference = models.CharField(
        _("result"),
        max_length=40,
        blank=True,
        help_text=_("The ledger transaction no. or the credit limit change id."),
    )
    request_key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    # What the approval runs beyond the columns above (a receipt: its allocations).
    payload = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("posting awaiting approval")
        verbose_name_plural = _("postings awaiting approval")
        ordering = NEWEST_FIRST
        indexes = [models.Index(fields=["status", "created_at"], name="billing_pending_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="pending")
                | (models.Q(checker__isnull=False) & ~models.Q(checker=models.F("maker"))),
                name="billing_pending_checker_not_maker",
            ),
            not_negative("billing_pending_amount_not_negative", "amount"),
            models.CheckConstraint(
                condition=~models.Q(kind="credit_limit") | models.Q(term_days__isnull=False),
                name="billing_pending_limit_has_term",
            ),
            # Terms come with a tier; money postings with a currency and no terms.
            models.CheckConstraint(
                condition=(
                    models.Q(kind="company_terms", tier__isnull=False, currency="")
                    | (
                        ~models.Q(kind="company_terms")
                        & models.Q(tier__isnull=True, revenue_share_rate__isnull=True)
                        & ~models.Q(currency="")
                    )
                ),
                name="billing_pending_terms_or_money",
            ),
            in_range("billing_pending_share_rate_range", "revenue_share_rate", 0, 1, nullable=True),
        ]

    def __str__(self) -> str:
        if self.kind == PendingPostingKind.COMPANY_TERMS:
            what = str(self.tier)
        else:
            what = format_money(self.amount, self.currency)
        return gettext("%(kind)s · %(company)s %(what)s · %(status)s") % {
            "kind": self.get_kind_display(),
            "company": self.company.name,
            "what": what,
            "status": self.get_status_display(),
        }
