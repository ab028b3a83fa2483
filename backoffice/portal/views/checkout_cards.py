"""The checkout page's coupon cards (views.checkout)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.money import format_money


def coupon_card(coupon) -> dict:
    """A coupon as the checkout page shows it (name, face value, validity)."""
    campaign = coupon.campaign
    if campaign.valid_from or campaign.valid_until:
        start = timezone.localtime(campaign.valid_from) if campaign.valid_from else None
        end = timezone.localtime(campaign.valid_until) if campaign.valid_until else None
        validity = " ~ ".join(
            [
                start.strftime("%Y-%m-%d %H:%M") if start else "",
                end.strftime("%Y-%m-%d %H:%M") if end else "",
            ]
        )
    else:
        validity = _("Valid permanently")
    return {
        "pk": coupon.pk,
        "code": coupon.code,
        "name": campaign.name,
        "face_value": format_money(campaign.face_value, campaign.currency),
        "validity": validity,
    }
