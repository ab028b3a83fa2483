from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The project package: the console's templates, static files and project commands."""

    name = "backoffice"
    # "backoffice" is the kernel's label (backoffice.core keeps the outbox's tables).
    label = "backoffice_site"
    verbose_name = _("Back office")

    def ready(self) -> None:
        # The staff-session clock starts at login (StaffSessionMiddleware.start), and every
        # domain's ModelAdmin registers on the console site (one module per domain).
        from backoffice import middleware  # noqa: F401
        from backoffice.admin import registry  # noqa: F401
        from backoffice.metrics import checks  # noqa: F401  (deploy checks of /metrics)
