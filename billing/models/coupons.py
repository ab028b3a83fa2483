"""Coupons and their campaigns."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import filled_when, not_negative
from backoffice.core.fields import NEWEST_FIRST, optional_time, status_field
from backoffice.core.links import acting_user, optional_link, required_link
from backoffice.core.money import Currency, currency_field, money_field
from catalog.models import Region
from partners.fields import company_fk


class CouponCampaign(models.Model):
    name = models.CharField(_("name"), max_length=100)
    currency = currency_field(default=Currency.CNY)
    face_value = money_field(_("face value"), default=None)
    threshold_amount = money_field(
        _("minimum order amount"), help_text=_("满X: usable when the order amount ≥ X.")
    )
    min_quantity = models.PositiveIntegerField(_("minimum quantity"), default=0)
    solutions = models.ManyToManyField(
        "catalog.Solution",
        related_name="coupon_campaigns",
        blank=True,
        verbose_name=_("applicable solutions"),
        help_text=_("Empty: every solution."),
    )
    region = models.CharField(
        _("region"),
        max_length=10,
        blank=True,
        choices=Region.choices,
        help_text=_("Empty: every region."),
    )
    valid_from = optional_time(_("valid from"))
    valid_until = optional_time(_("valid until"), help_text=_("Both empty: never expires."))
    quantity = models.PositiveIntegerField(
        _("quantity"), help_text=_("How many coupons this campaign may issue.")
    )
    created_by = acting_user(_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("coupon campaign")
        verbose_name_plural = _("coupon campaigns")
        ordering = NEWEST_FIRST
        constraints = [
            models.CheckConstraint(
                condition=models.Q(face_value__gt=0), name="billing_campaign_face_value_positive"
            ),
            not_negative("billing_campaign_threshold_ok", "threshold_amount"),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gt=models.F("valid_from")),
                name="billing_campaign_validity_ok",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CouponQuota(models.Model):
    """A campaign's coupons Blue Cloud issued to a distributor (分销商) in one go.

    Its coupons are created with it, owned by the distributor; the distributor hands
    them to its sub-resellers and reclaims unused ones (``CouponMove``). ``handed_out``
    counts those held by a sub-reseller now, under the quota's row lock; the database
    keeps it within ``quantity``. Face value, currency and validity are the campaign's.
    """

    campaign = required_link(CouponCampaign, _("campaign"), related_name="quotas")
    distributor = company_fk(
        "coupon_quotas", _("distributor"), limit_choices_to={"company_type": "distributor"}
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    handed_out = models.PositiveIntegerField(_("handed out"), default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    issued_by = acting_user(_("issued by"))
    issued_at = models.DateTimeField(_("issued"), default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("coupon quota")
        verbose_name_plural = _("coupon quotas")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="billing_coupon_quota_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(handed_out__gte=0)
                & models.Q(handed_out__lte=models.F("quantity")),
                name="billing_coupon_quota_within_quantity",
            ),
        ]
        indexes = [
            models.Index(fields=["distributor", "-issued_at"], name="billing_cquota_distrib_idx")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} × {self.quantity}"


class CouponStatus(models.TextChoices):
    UNUSED = "unused", _("Unused")
    USED = "used", _("Used")
    EXPIRED = "expired", _("Expired")


class Coupon(models.Model):
    campaign = required_link(CouponCampaign, _("campaign"), related_name="coupons")
    company = company_fk("coupons")
    quota = optional_link(CouponQuota, _("coupon quota"), related_name="coupons")
    code = models.CharField(_("coupon code"), max_length=8, unique=True)
    status = status_field(CouponStatus.UNUSED, max_length=10)
    order_number = models.CharField(_("order no."), max_length=30, blank=True)
    used_at = optional_time(_("used"))
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            filled_when("billing_coupon_used_has_order", "used", "order_number"),
        ]
        indexes = [
            models.Index(
                fields=["company", "status", "-issued_at"], name="billing_coupon_company_idx"
            ),
            models.Index(fields=["quota", "company", "status"], name="billing_coupon_quota_idx"),
        ]

    def __str__(self) -> str:
        return self.code


class CouponMoveKind(models.TextChoices):
    ISSUE = "issue", _("Quota issued")
    HAND_OUT = "hand_out", _("Handed out")
    RECLAIM = "reclaim", _("Reclaimed")


class CouponMove(models.Model):
    """One coupon of a quota changing owner: append-only, the coupon's whole history.

    ``issue``: Blue Cloud gave it to the distributor (no ``from_company``);
    ``hand_out``: distributor → sub-reseller; ``reclaim``: sub-reseller → distributor.
    """

    quota = required_link(CouponQuota, _("coupon quota"), related_name="moves")
    coupon = required_link(Coupon, _("coupon"), related_name="moves")
    kind = models.CharField(_("type"), max_length=10, choices=CouponMoveKind.choices)
    from_company = optional_link("partners.Company", _("from company"))
    to_company = company_fk("+", _("to company"))
    handed_out_after = models.PositiveIntegerField(
        _("handed out after"), help_text=_("The quota's coupons held by sub-resellers after.")
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = acting_user(_("by"))
    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("coupon move")
        verbose_name_plural = _("coupon moves")
        ordering = NEWEST_FIRST
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="issue", from_company__isnull=True)
                | (
                    models.Q(kind__in=["hand_out", "reclaim"], from_company__isnull=False)
                    & ~models.Q(from_company=models.F("to_company"))
                ),
                name="billing_coupon_move_parties_ok",
            ),
        ]
        indexes = [
            models.Index(fields=["quota", "-created_at"], name="billing_cmove_quota_idx"),
            models.Index(fields=["to_company", "-created_at"], name="billing_cmove_to_idx"),
            models.Index(fields=["from_company", "-created_at"], name="billing_cmove_from_idx"),
            models.Index(fields=["coupon", "-created_at"], name="billing_cmove_coupon_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.coupon_id}"
