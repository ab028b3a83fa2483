from django.urls import include, path

from .views import home

app_name = "portal"

# Included modules have no app_name of their own: their names live in "portal:".
urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("", include("backoffice.portal.urls_auth")),
    path("account/assets/", include("backoffice.portal.urls_assets")),
    path("account/orders/", include("backoffice.portal.urls_fulfilment")),
    path("account/statements/", include("backoffice.portal.urls_statements")),
    path("account/webhooks/", include("backoffice.portal.urls_webhooks")),
    path("account/", include("backoffice.portal.urls_account")),
    path("contracts/", include("backoffice.portal.urls_contracts")),
    path("", include("backoffice.portal.urls_orders")),
    path("", include("backoffice.portal.urls_catalog")),
]
