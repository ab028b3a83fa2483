"""我的资产 (/account/assets/): 零钱, 优惠券, 账期余额 and the offline repayment form."""

from django.urls import path

from .views import assets

urlpatterns = [
    path("rebate/", assets.rebate, name="assets_rebate"),
    path("coupons/", assets.coupons, name="assets_coupons"),
    path("credit/", assets.credit, name="assets_credit"),
    path("credit/repay/offline/", assets.repay_offline, name="assets_repay_offline"),
    path("credit/repay/online/", assets.repay_online, name="assets_repay_online"),
]
