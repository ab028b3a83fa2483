from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp import DEVICE_ID_SESSION_KEY
from unfold.sites import UnfoldAdminSite

from backoffice.twofactor import otp_pending


class BackofficeAdminSite(UnfoldAdminSite):
    site_header = _("云睐 AggreSmart staff console")
    site_title = _("云睐 AggreSmart staff console")
    index_title = _("Dashboard")

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff whose second login step is done (or not due): every console view
        (``admin_view``) asks this. Staff with a confirmed device need an OTP-verified
        session; staff whose role requires two-factor login need a device first."""
        if not super().has_permission(request):
            return False
        pending = getattr(request, "_twofactor_pending", False)
        if pending is False:
            pending = request._twofactor_pending = otp_pending(request.user)
        return pending is None

    def each_context(self, request: HttpRequest) -> dict:
        from .exports import announce_ready_exports

        announce_ready_exports(request)  # "your export is ready", on the next page
        return super().each_context(request)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        # unfold's login form posts to the current URL; without ?next= Django would
        # send staff to LOGIN_REDIRECT_URL (the portal) instead of the dashboard.
        if request.method == "GET" and REDIRECT_FIELD_NAME not in request.GET:
            query = urlencode({REDIRECT_FIELD_NAME: reverse(f"{self.name}:index")})
            return HttpResponseRedirect(f"{request.path}?{query}")
        if request.method == "GET":
            # Password done, second step due: straight to it instead of the password form.
            step = self._second_step(request, request.GET[REDIRECT_FIELD_NAME])
            if step is not None:
                return step
        response = super().login(request, extra_context)
        if request.method == "POST" and isinstance(response, HttpResponseRedirect):
            # A password login starts unverified, whatever the session held before.
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            step = self._second_step(request, response.url)
            if step is not None:
                return step
        return response

    def _second_step(self, request: HttpRequest, next_url: str) -> HttpResponse | None:
        user = request.user
        if not (user.is_active and user.is_staff):
            return None
        step = otp_pending(user)
        if step is None:
            return None
        from .twofactor import step_url  # the views module imports admin.site: not at load

        return HttpResponseRedirect(step_url(step, next_url))

    def get_urls(self):
        # Django's "view on site" redirect resolves any object of any model by its
        # content type; ours goes through the model's console admin and its role scope.
        urls = super().get_urls()
        for index, pattern in enumerate(urls):
            if isinstance(pattern, URLPattern) and pattern.name == "view_on_site":
                urls[index] = path(
                    "r/<path:content_type_id>/<path:object_id>/",
                    self.admin_view(self.view_on_site),
                    name="view_on_site",
                )
            elif isinstance(pattern, URLPattern) and pattern.name == "logout":
                # Logging out must work while the second step is still due, so not through
                # admin_view (it would send such a session to the dashboard).
                urls[index] = path("logout/", never_cache(self.logout), name="logout")
        from . import twofactor

        return twofactor.urls(self) + urls

    def view_on_site(
        self, request: HttpRequest, content_type_id: str, object_id: str
    ) -> HttpResponse:
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except (ContentType.DoesNotExist, ValueError):
            raise Http404 from None
        model_admin = self._registry.get(model)
        if model_admin is None:
            raise Http404
        obj = model_admin.scoped_object(request, object_id)
        if callable(model_admin.view_on_site):
            url = model_admin.view_on_site(obj)
        elif model_admin.view_on_site and hasattr(obj, "get_absolute_url"):
            url = obj.get_absolute_url()
        else:
            url = None
        if not url:
            raise Http404
        return HttpResponseRedirect(url)
