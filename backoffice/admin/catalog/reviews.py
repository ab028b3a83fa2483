"""Reviews: hide and unhide."""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from catalog.models import Review
from catalog.services import review_set_hidden, reviews_set_hidden

from .common import CatalogAdmin, _back_to_change, confirm_dialog, confirmed_action

HIDE_DIALOG = confirm_dialog(
    _("Hide this review?"), _("It no longer counts towards the solution's rating."), _("Hide")
)
SHOW_DIALOG = confirm_dialog(
    _("Show this review again?"), _("It counts towards the solution's rating again."), _("Show")
)


@admin.register(Review)
class ReviewAdmin(CatalogAdmin):
    list_display = ("solution", "company", "stars", "short_text", "is_hidden", "created_at")
    list_select_related = ("solution", "company")
    list_filter = ("is_hidden", "rating")
    search_fields = ("solution__name", "company__name", "order_number", "text")
    search_help_text = _("Search by solution, company, order number or text")
    readonly_fields = (
        "solution",
        "company",
        "author",
        "order_number",
        "rating",
        "text",
        "is_hidden",
        "created_at",
    )
    fields = readonly_fields
    actions = ("hide_selected", "unhide_selected")
    actions_detail = ("hide_detail", "unhide_detail")

    def has_add_permission(self, request, obj=None) -> bool:
        # Reviews are written by buyers of completed orders, never by staff.
        return False

    @display(description=_("stars"), ordering="rating")
    def stars(self, obj: Review) -> str:
        return "★" * obj.rating + "☆" * (5 - obj.rating)

    @display(description=_("review"))
    def short_text(self, obj: Review) -> str:
        return obj.text if len(obj.text) <= 40 else f"{obj.text[:40]}…"

    def _report(self, request: HttpRequest, changed: int, *, hidden: bool) -> None:
        message = (
            _("Reviews hidden: %(count)d.") if hidden else _("Reviews shown again: %(count)d.")
        )
        self.message_user(request, message % {"count": changed}, messages.SUCCESS)

    @action(
        description=_("Hide from the storefront"), permissions=["change"], icon="visibility_off"
    )
    def hide_selected(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        changed = reviews_set_hidden(reviews=list(queryset), hidden=True, actor=request.user)
        self._report(request, changed, hidden=True)

    @action(description=_("Show on the storefront"), permissions=["change"], icon="visibility")
    def unhide_selected(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        changed = reviews_set_hidden(reviews=list(queryset), hidden=False, actor=request.user)
        self._report(request, changed, hidden=False)

    def _set_hidden_detail(self, request: HttpRequest, object_id, *, hidden: bool) -> HttpResponse:
        review = get_object_or_404(Review, pk=object_id)
        with transaction.atomic():
            before = review.is_hidden
            review = review_set_hidden(review=review, hidden=hidden, actor=request.user)
        self._report(request, int(review.is_hidden != before), hidden=hidden)
        return _back_to_change(request, self, object_id)

    @confirmed_action(_("Hide from the storefront"), "visibility_off", HIDE_DIALOG)
    def hide_detail(self, request: HttpRequest, form, object_id) -> HttpResponse:
        return self._set_hidden_detail(request, object_id, hidden=True)

    @confirmed_action(_("Show on the storefront"), "visibility", SHOW_DIALOG)
    def unhide_detail(self, request: HttpRequest, form, object_id) -> HttpResponse:
        return self._set_hidden_detail(request, object_id, hidden=False)
