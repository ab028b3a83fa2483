from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _menu():
    from catalog.selectors import menu_tree

    return menu_tree()


def catalog_menu(request: HttpRequest) -> dict:
    """Data for the 解决方案 mega-menu, loaded (from the cache) only when a template uses it."""
    return {"catalog_menu": SimpleLazyObject(_menu)}
