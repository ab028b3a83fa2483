from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_staff_roles(sender, using="default", **kwargs) -> None:
    """Give the role groups their matrix permissions once every app has migrated.

    ``post_migrate`` is sent once per app, in INSTALLED_APPS order, and auth creates
    each app's permissions in its own handler; so the permissions of every app are
    created here first (idempotent), then the matrix is applied.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    from .services import staff_roles_sync

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=global_apps)
    staff_roles_sync()


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        from partners import checks  # noqa: F401  (registers the webhook checks)

        post_migrate.connect(
            _sync_staff_roles, sender=self, dispatch_uid="partners.sync_staff_roles"
        )
