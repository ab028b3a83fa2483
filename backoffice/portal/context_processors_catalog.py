from django.http import HttpRequest


def catalog_menu(request: HttpRequest) -> dict:
    """Data for the 解决方案 mega-menu (filled by the storefront work)."""
    return {}
