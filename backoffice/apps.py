from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The project package: staff console registrations, portal templates and commands."""

    name = "backoffice"
    verbose_name = _("Back office")

    def ready(self) -> None:
        # The staff-session clock starts at login (StaffSessionMiddleware.start), and every
        # domain's ModelAdmin registers on the console site (one module per domain).
        from backoffice import middleware  # noqa: F401
        from backoffice.admin import registry  # noqa: F401
