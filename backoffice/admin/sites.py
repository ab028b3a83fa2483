from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite


class BackofficeAdminSite(UnfoldAdminSite):
    site_header = "云睐 AggreSmart 运营后台"
    site_title = "云睐 AggreSmart 运营后台"
    index_title = _("Dashboard")

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        # unfold's login form posts to the current URL; without ?next= Django would
        # send staff to LOGIN_REDIRECT_URL (the portal) instead of the dashboard.
        if request.method == "GET" and REDIRECT_FIELD_NAME not in request.GET:
            query = urlencode({REDIRECT_FIELD_NAME: reverse(f"{self.name}:index")})
            return HttpResponseRedirect(f"{request.path}?{query}")
        return super().login(request, extra_context)
