"""The cart (购物车)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.core.links import acting_user, required_link


class CartLine(models.Model):
    """购物车 line, per user. Prices are never stored here: checkout reads the SKU."""

    user = acting_user(_("user"), related_name="cart_lines", on_delete=models.CASCADE)
    sku = required_link("catalog.Sku", _("SKU"), on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    parameters = models.JSONField(_("purchase parameters"), default=dict, blank=True)
    selected = models.BooleanField(_("selected"), default=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "sku"], name="billing_cart_one_line_per_sku"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1, quantity__lte=9999),
                name="billing_cart_quantity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} × {self.quantity}"
