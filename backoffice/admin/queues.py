"""The console's review queues, written once: ``ReviewQueueAdmin``.

Offline payments, repayments, invoice requests, four-eyes postings and registration
applications are each a queue of rows waiting for staff to confirm or reject them. A
queue admin names, on the class:

* ``review_statuses`` and ``pending_status``: the changelist opens on the pending rows
  (``ReviewStatusFilter``, "All" shows every row);
* ``review_permissions``: any one of them lets a user review;
* ``confirm_service`` / ``reject_service``: the pair of domain services a decision goes
  through, with ``service_object_arg``/``service_actor_arg`` naming their arguments;

and gets the status cache (``is_pending``: one query per row and request), the detail
action flow (``review_action``) and the per-row bulk loop (``apply_to_selected``).

The usual pair of detail actions is written here too: ``confirm_detail`` ("Confirm") and
``reject_detail`` ("Reject"), each a page named by ``confirm_page``/``reject_page`` (its
title, description, form and success message, formatted with ``decision_params(obj)``).
An admin lists the ones it uses in ``actions_detail``.

Every queue also has the row actions 确认 / 拒绝 on its list (``QueueRowActionsMixin``):
confirming a row that needs no input is one POST from the list, after the browser's
confirmation dialog (``console/row-actions.js``); a row that needs input (an invoice number,
a rejection reason) opens its detail page. A GET never decides anything.
"""

from collections.abc import Callable, Iterable

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RadioFilter
from unfold.decorators import action
from unfold.enums import ActionVariant

from .base import ActionPageMixin, guarded_action, posted

ALREADY = "already"  # a row some earlier decision already settled: said, not counted


class DefaultingRadioFilter(RadioFilter):
    """A radio filter with a default value, so the changelist opens as a work queue."""

    all_option = None
    ALL = "all"
    default = ""
    options: list = []

    def lookups(self, request, model_admin):
        return [*self.options, (self.ALL, _("All"))]

    def value(self):
        return super().value() or self.default

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.ALL:
            return queryset
        if value not in dict(self.options):
            return queryset.none()
        return queryset.filter(**{self.parameter_name: value})


class ReviewStatusFilter(DefaultingRadioFilter):
    """The queue's status filter: the admin's ``review_statuses``, on its ``pending_status``."""

    title = _("status")
    parameter_name = "status"

    def __init__(self, request, params, model, model_admin):
        self.options = model_admin.review_statuses.choices
        self.default = model_admin.pending_status
        super().__init__(request, params, model, model_admin)


def object_pk(object_id) -> int | None:
    """The integer pk in a console URL's object id, or None."""
    try:
        return int(unquote(str(object_id)))
    except (TypeError, ValueError):
        return None


def decision_page(page: dict, *, reject: bool) -> dict:
    """What a confirm (or reject) page named by a page dict shows: its title, its
    description if any, and the "Confirm" (or red "Reject") button."""
    shown = {
        "title": str(page["title"]),
        "submit_label": gettext("Reject") if reject else gettext("Confirm"),
    }
    if reject:
        shown["variant"] = "danger"
    if "description" in page:
        shown["description"] = str(page["description"])
    return shown


def row_action(*, reject: bool) -> Callable:
    """The row action 确认 (``<pk>/row-confirm/``) or 驳回 (``<pk>/row-reject/``)."""

    @action(
        description=_("Reject") if reject else _("Confirm"),
        url_path="row-reject" if reject else "row-confirm",
        permissions=["row_reject" if reject else "row_confirm"],
        icon="block" if reject else "check_circle",
        variant=ActionVariant.DANGER if reject else ActionVariant.SUCCESS,
        extra_options={"display_in_dropdown": False},
    )
    def decide(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.row_decision(request, object_id, reject=reject)

    return decide


class QueueRowActionsMixin:
    """The row actions 确认 / 拒绝 of a review queue's list (unfold ``actions_row``).

    确认 POSTs to ``<pk>/row-confirm/`` (``console/row-actions.js`` asks the browser's
    confirm first and sends the page's CSRF token) and goes through ``confirm`` (the
    queue's service) with ``row_confirm_data(obj)``; the list shows what happened. When
    confirming needs input (``row_confirm_needs_input``), and always for 拒绝 (a reason is
    required), the row's link opens the detail action page named by
    ``row_confirm_detail``/``row_reject_detail``. A GET only ever redirects to that page.
    """

    actions_row = ("confirm_row", "reject_row")
    row_confirm_detail = "confirm_detail"
    row_reject_detail = "reject_detail"
    row_confirm_needs_input = False

    class Media:
        js = ("console/row-actions.js",)

    def has_row_confirm_permission(self, request: HttpRequest, object_id=None) -> bool:
        return self.may_review_row(request, object_id)

    def has_row_reject_permission(self, request: HttpRequest, object_id=None) -> bool:
        return self.may_review_row(request, object_id)

    def row_confirm_data(self, obj) -> dict | None:
        """What ``confirm`` gets from a row (the registration's default tier)."""
        return None

    def row_confirmed_message(self, obj, result) -> str:
        if "message" in self.confirm_page:
            return str(self.confirm_page["message"]) % self.decision_params(obj)
        return gettext("Confirmed: %(item)s.") % {"item": obj}

    def _detail_action_url(self, name: str, object_id) -> str:
        opts = self.opts
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{name}", args=[object_id]
        )

    def _queue_url(self, request: HttpRequest) -> str:
        """Back to the list the row was on (its filters and page), else the queue."""
        referer = request.headers.get("referer", "")
        changelist = self._changelist_url()
        if (
            url_has_allowed_host_and_scheme(
                referer, {request.get_host()}, require_https=request.is_secure()
            )
            and changelist in referer
        ):
            return referer
        return changelist

    def row_decision(self, request: HttpRequest, object_id: str, *, reject: bool) -> HttpResponse:
        if reject or self.row_confirm_needs_input or request.method != "POST":
            detail = self.row_reject_detail if reject else self.row_confirm_detail
            return HttpResponseRedirect(self._detail_action_url(detail, object_id))
        obj = self._object_or_404(request, object_id)
        back = self._queue_url(request)
        if not self.is_pending(request, object_id):
            self.message_user(
                request,
                gettext("“%(item)s” no longer waits for a decision; nothing was changed.")
                % {"item": obj},
                messages.INFO,
            )
            return HttpResponseRedirect(back)
        try:
            with transaction.atomic():
                result = self.confirm(request, obj, self.row_confirm_data(obj))
        except self.action_errors as exc:
            self.message_user(
                request,
                gettext("“%(item)s” was not confirmed: %(reason)s")
                % {"item": obj, "reason": " ".join(exc.messages)},
                messages.ERROR,
            )
        else:
            self.message_user(request, self.row_confirmed_message(obj, result), messages.SUCCESS)
        return HttpResponseRedirect(back)

    confirm_row = row_action(reject=False)
    reject_row = row_action(reject=True)


class ReviewQueueAdmin(QueueRowActionsMixin, ActionPageMixin):
    """A confirm/reject work queue; combine with ``ReadOnlyAdmin`` or ``BaseAdmin``."""

    review_statuses: type  # the model's status TextChoices
    pending_status: str
    # Further conditions a reviewable row meets (offline payments: ``kind``).
    pending_filter: dict = {}
    review_permissions: tuple[str, ...] = ()
    # The services a decision goes through (``staticmethod(...)``), called with the row
    # (its pk unless ``service_passes_object``) and the reviewer under these names.
    confirm_service: Callable
    reject_service: Callable
    service_object_arg: str = "pk"
    service_actor_arg: str = "actor"
    service_passes_object: bool = False
    # Form fields the confirm service takes as keyword arguments.
    confirm_fields: tuple[str, ...] = ()

    # --- who may review, and which rows are waiting ---

    def may_review(self, request: HttpRequest) -> bool:
        return any(request.user.has_perm(permission) for permission in self.review_permissions)

    def pending_rows(self, request: HttpRequest) -> QuerySet:
        return self.model.objects.filter(status=self.pending_status, **self.pending_filter)

    def is_pending(self, request: HttpRequest, object_id) -> bool:
        """Whether the row still waits for a decision: one query per row and request."""
        cache = request.__dict__.setdefault(f"_review_pending_{self.opts.label_lower}", {})
        pk = object_pk(object_id)
        if pk not in cache:
            cache[pk] = pk is not None and self.pending_rows(request).filter(pk=pk).exists()
        return cache[pk]

    def may_review_row(self, request: HttpRequest, object_id=None) -> bool:
        """A reviewer, and (on a detail page) a row that is still pending."""
        return self.may_review(request) and (
            object_id is None or self.is_pending(request, object_id)
        )

    # --- the decisions: through the pair of services ---

    def service_target(self, request: HttpRequest, obj) -> dict:
        return {
            self.service_object_arg: obj if self.service_passes_object else obj.pk,
            self.service_actor_arg: request.user,
        }

    def confirm(self, request: HttpRequest, obj, data: dict | None = None):
        extra = {name: data[name] for name in self.confirm_fields} if data else {}
        return self.confirm_service(**self.service_target(request, obj), **extra)

    def reject(self, request: HttpRequest, obj, data: dict):
        return self.reject_service(**self.service_target(request, obj), reason=data["reason"])

    # --- detail actions ---

    def reviewed_response(self, request: HttpRequest, obj) -> HttpResponse | None:
        """The answer for a row that is no longer pending, or None to show the page."""
        return None

    def review_action(
        self,
        request: HttpRequest,
        object_id: str,
        *,
        decide: Callable,
        form: Callable[[], forms.Form],
        message: Callable,
        **page,
    ) -> HttpResponse:
        """A confirm or reject page: ``decide(request, obj, data)`` is ``self.confirm`` or
        ``self.reject``; ``message(obj, result, data)`` is the success message; ``form()``
        builds the bound or unbound form. Back to the queue after a decision."""
        obj = self._object_or_404(request, object_id)
        if (answer := self.reviewed_response(request, obj)) is not None:
            return answer

        def perform(data) -> str:
            return message(obj, decide(request, obj, data), data)

        return self._form_action(
            request,
            obj,
            form(),
            perform=perform,
            success_url=self._changelist_url(),
            summary=self._summary,
            **page,
        )

    # --- the usual pair of detail actions: "Confirm" and "Reject" ---

    # Each page: ``title``, ``message`` (formatted with ``decision_params(obj)``) and
    # optionally ``description`` and ``form`` (a form class; a plain form unless given).
    confirm_page: dict = {}
    reject_page: dict = {}

    def decision_params(self, obj) -> dict:
        """What a confirm or reject success message is formatted with."""
        return {}

    def decision_action(
        self, request: HttpRequest, object_id: str, *, reject: bool
    ) -> HttpResponse:
        """The confirm (or reject) page named by ``confirm_page`` (or ``reject_page``)."""
        page = self.reject_page if reject else self.confirm_page
        return self.review_action(
            request,
            object_id,
            decide=self.reject if reject else self.confirm,
            form=lambda: page.get("form", forms.Form)(posted(request)),
            message=lambda obj, _result, _data: str(page["message"]) % self.decision_params(obj),
            **decision_page(page, reject=reject),
        )

    @guarded_action("confirm", _("Confirm"), icon="check_circle", variant=ActionVariant.SUCCESS)
    def confirm_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.decision_action(request, object_id, reject=False)

    @guarded_action("reject", _("Reject"), icon="block", variant=ActionVariant.DANGER)
    def reject_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.decision_action(request, object_id, reject=True)

    # --- bulk actions: one service call per selected row ---

    def apply_to_selected(
        self,
        request: HttpRequest,
        rows: Iterable,
        apply: Callable,
        *,
        label: Callable[[object], str],
        done_text,
        failed_text,
        already_text=None,
        check: Callable[[object], str | None] | None = None,
        outcome: Callable[[object], str | None] | None = None,
        items_key: str = "items",
    ) -> None:
        """Apply ``apply(row)`` to each row in its own transaction, then say what happened.

        ``check(row)`` runs first: ``ALREADY`` skips the row as settled, a text skips it as
        refused. A domain refusal (``action_errors``) is collected with the row's label;
        ``outcome(result)`` may call a done row ``ALREADY`` (a concurrent decision won).
        """
        done, already, failed = [], [], []
        for row in rows:
            text = label(row)
            verdict = check(row) if check else None
            if verdict == ALREADY:
                already.append(text)
                continue
            if verdict:
                failed.append(f"{text}: {verdict}")
                continue
            try:
                with transaction.atomic():
                    result = apply(row)
            except self.action_errors as exc:
                failed.append(f"{text}: {' '.join(exc.messages)}")
            else:
                (already if outcome and outcome(result) == ALREADY else done).append(text)
        if done:
            self.message_user(
                request,
                done_text % {"count": len(done), items_key: "、".join(done)},
                messages.SUCCESS,
            )
        if already:
            self.message_user(
                request,
                already_text % {"count": len(already), "items": "、".join(already)},
                messages.INFO,
            )
        if failed:
            self.message_user(
                request,
                failed_text % {"count": len(failed), "details": "；".join(failed)},
                messages.ERROR,
            )
