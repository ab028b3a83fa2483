from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from backoffice.api.api import api
from backoffice.metrics.views import metrics
from backoffice.portal.views.home import language_switch

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Before Django's own: the language a signed-in user picks is also their mails'.
    path("i18n/setlang/", language_switch, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Prometheus scrape endpoint: token / network protected (README "Metrics").
    path("metrics", metrics, name="metrics"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("backoffice.portal.urls")),
]
# Media is never served wholesale: uploaded partner files are private and go
# through permission-checked views added by the domains that own them.

# 404 / 403 / 500 in the front door's own layout and the user's language (DEBUG off).
handler403 = "backoffice.error_pages.permission_denied"
handler404 = "backoffice.error_pages.page_not_found"
handler500 = "backoffice.error_pages.server_error"
