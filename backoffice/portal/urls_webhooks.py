"""个人中心 › Webhooks (/account/webhooks/): the company's 管理员 only."""

from django.urls import path

from .views import webhooks

urlpatterns = [
    path("", webhooks.endpoints, name="account_webhooks"),
    path("add/", webhooks.endpoint_add, name="account_webhook_add"),
    path("<int:pk>/", webhooks.endpoint_detail, name="account_webhook"),
    path("<int:pk>/rotate-secret/", webhooks.endpoint_rotate, name="account_webhook_rotate"),
    path("<int:pk>/active/", webhooks.endpoint_set_active, name="account_webhook_active"),
    path(
        "<int:pk>/deliveries/<int:delivery_pk>/resend/",
        webhooks.delivery_resend,
        name="account_webhook_resend",
    ),
]
