"""Coupons and their campaigns."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.money import Currency, money_field


class CouponCampaign(models.Model):
    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
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
        _("region"), max_length=10, blank=True, help_text=_("Empty: every region.")
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(
        _("valid until"), null=True, blank=True, help_text=_("Both empty: never expires.")
    )
    quantity = models.PositiveIntegerField(
        _("quantity"), help_text=_("How many coupons this campaign may issue.")
    )
    created_by = models.ForeignKey(
        "partners.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("coupon campaign")
        verbose_name_plural = _("coupon campaigns")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(face_value__gt=0), name="billing_campaign_face_value_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(threshold_amount__gte=0), name="billing_campaign_threshold_ok"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gt=models.F("valid_from")),
                name="billing_campaign_validity_ok",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CouponStatus(models.TextChoices):
    UNUSED = "unused", _("Unused")
    USED = "used", _("Used")
    EXPIRED = "expired", _("Expired")


class Coupon(models.Model):
    campaign = models.ForeignKey(
        CouponCampaign, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("campaign")
    )
    company = models.ForeignKey(
        "partners.Company",
        on_delete=models.PROTECT,
        related_name="coupons",
        verbose_name=_("company"),
    )
    code = models.CharField(_("coupon code"), max_length=8, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CouponStatus.choices, default=CouponStatus.UNUSED
    )
    order_number = models.CharField(_("order no."), max_length=30, blank=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="used") | ~models.Q(order_number=""),
                name="billing_coupon_used_has_order",
            ),
        ]
        indexes = [
            models.Index(
                fields=["company", "status", "-issued_at"], name="billing_coupon_company_idx"
            )
        ]

    def __str__(self) -> str:
        return self.code
