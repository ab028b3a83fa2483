from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The reseller portal front door: views, templates and static assets only."""

    name = "backoffice.portal"
    label = "portal"
    verbose_name = _("Reseller portal")
