"""Personal center (/account/): profile, benefits, messages, users, resellers, customers."""

from django.urls import path

from .views import account, api_keys, coupon_quotas, messages, tiers

urlpatterns = [
    path("", account.profile, name="account_profile"),
    path("benefits/", account.benefits, name="account_benefits"),
    path("files/<int:pk>/", account.file_download, name="account_file"),
    # 消息中心
    path("messages/", messages.message_list, name="account_messages"),
    path("messages/<int:pk>/", messages.message_detail, name="account_message"),
    path("messages/read-all/", messages.messages_read_all, name="account_messages_read_all"),
    # 分销商用户 (the company's 管理员)
    path("users/", account.users, name="account_users"),
    path("users/invite/", account.user_invite, name="account_user_invite"),
    path("users/<int:pk>/edit/", account.user_edit, name="account_user_edit"),
    path(
        "users/<int:pk>/transfer-admin/",
        account.user_transfer_admin,
        name="account_user_transfer_admin",
    ),
    # API 密钥 (the company's 管理员)
    path("api-keys/", api_keys.api_keys, name="account_api_keys"),
    path("api-keys/<int:pk>/revoke/", api_keys.api_key_revoke, name="account_api_key_revoke"),
    # 经销商管理 (a distributor's 管理员)
    path("resellers/", account.resellers, name="account_resellers"),
    path("resellers/add/", account.reseller_add, name="account_reseller_add"),
    path("resellers/<int:pk>/", account.reseller_edit, name="account_reseller_edit"),
    path("resellers/<int:pk>/users/", account.reseller_users, name="account_reseller_users"),
    path(
        "resellers/<int:pk>/users/invite/",
        account.reseller_user_invite,
        name="account_reseller_user_invite",
    ),
    # 额度管理 (a distributor's 管理员 and 协同管理员)
    path("tiers/", tiers.tiers, name="account_tiers"),
    path("tiers/log/", tiers.tiers_log, name="account_tiers_log"),
    path("tiers/grant/", tiers.tiers_grant, name="account_tiers_grant"),
    path("tiers/<int:pk>/", tiers.tier_reseller, name="account_tier_reseller"),
    # 优惠券额度 (经销商管理: a distributor's 管理员 and 协同管理员)
    path("resellers/coupons/", coupon_quotas.quotas, name="account_coupon_quotas"),
    path("resellers/coupons/<int:pk>/", coupon_quotas.quota_detail, name="account_coupon_quota"),
    # 我的客户 (every partner user)
    path("customers/", account.customers, name="account_customers"),
    path("customers/add/", account.customer_add, name="account_customer_add"),
    path("customers/<int:pk>/edit/", account.customer_edit, name="account_customer_edit"),
    path("customers/<int:pk>/delete/", account.customer_delete, name="account_customer_delete"),
]
