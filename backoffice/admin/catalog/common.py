"""What the catalog admins share: thumbnails, the redirect back to a change page and
``CatalogAdmin``."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from unfold.decorators import action

from ..base import BaseAdmin

EMPTY = "—"


def _thumbnail(file_field, *, height: int = 32) -> str:  # 32, 48 or 64
    if not file_field:
        return EMPTY
    # Sizes are classes in console/console.css: no style="" in our markup (the CSP).
    return format_html(
        '<img src="{}" alt="" class="bo-thumb bo-thumb-{}" loading="lazy">', file_field.url, height
    )


def _back_to_change(request: HttpRequest, model_admin: admin.ModelAdmin, object_id) -> HttpResponse:
    """Leave a dialog action: htmx navigates on HX-Redirect, a plain POST on a 302."""
    opts = model_admin.model._meta
    url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change",
        args=[object_id],
        current_app=model_admin.admin_site.name,
    )
    if request.headers.get("HX-Request"):
        return HttpResponse(headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)


class CatalogAdmin(BaseAdmin):
    """Import needs add and change rights (a view-only role may still export).

    Only solutions and SKUs have Excel resources that validate like the services;
    the other catalog admins do not import at all (see ``importable``).
    """

    importable = False

    def has_import_permission(self, request) -> bool:
        return (
            self.importable
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )

    def has_export_permission(self, request) -> bool:
        return self.has_view_or_change_permission(request)


def confirm_dialog(title, description, submit_text) -> dict:
    """The confirmation dialog of a one-click detail action (unfold's ``dialog``)."""
    return {"title": title, "description": description, "form_submit_text": submit_text}


def confirmed_action(description, icon: str, dialog: dict, **options):
    """A one-click detail action for staff who may change the object, confirmed by
    ``dialog`` (a ``confirm_dialog``); ``options`` go to unfold's ``action``."""
    return action(
        description=description, permissions=["change"], icon=icon, dialog=dialog, **options
    )
