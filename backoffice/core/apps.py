from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The kernel app. Its label stays ``backoffice`` (the outbox's tables, migrations,
    permissions and console URLs were made under it), so moving it here changed no data."""

    name = "backoffice.core"
    label = "backoffice"
    verbose_name = _("Back office")
