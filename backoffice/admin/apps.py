from django.contrib.admin.apps import AdminConfig


class BackofficeAdminConfig(AdminConfig):
    """Makes ``django.contrib.admin.site`` the branded unfold console site."""

    default_site = "backoffice.admin.sites.BackofficeAdminSite"

    def ready(self):
        super().ready()
        from .readonly import install

        install()
