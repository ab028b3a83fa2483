"""我的资产 (/account/assets/): 零钱, 优惠券, 账期余额 and the offline repayment form."""

from django.urls import path, register_converter

from .converters import ReferenceConverter
from .views import assets


class RepaymentReferenceConverter(ReferenceConverter):
    """An online repayment's reference: ``HK`` + ``yyMMddHHmmss`` + 4 digits."""

    regex = "HK[0-9]{16}"


register_converter(RepaymentReferenceConverter, "repay_ref")

urlpatterns = [
    path("rebate/", assets.rebate, name="assets_rebate"),
    path("coupons/", assets.coupons, name="assets_coupons"),
    path("credit/", assets.credit, name="assets_credit"),
    path("credit/repay/offline/", assets.repay_offline, name="assets_repay_offline"),
    path("credit/repay/online/", assets.repay_online, name="assets_repay_online"),
    path(
        "credit/repay/online/<repay_ref:reference>/",
        assets.repay_online_pay,
        name="assets_repay_online_pay",
    ),
    path(
        "credit/repay/online/<repay_ref:reference>/complete/",
        assets.repay_online_complete,
        name="assets_repay_online_complete",
    ),
]
