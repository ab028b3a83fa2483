from django.contrib.admin.apps import AdminConfig


class BackofficeAdminConfig(AdminConfig):
    """Makes ``django.contrib.admin.site`` the branded unfold console site."""

    default_site = "backoffice.admin.sites.BackofficeAdminSite"
