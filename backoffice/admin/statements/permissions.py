"""Who may do what to a statement: generated rows, read-only once confirmed."""

from billing.models import Statement

from .common import S


class StatementPermissionsMixin:
    """Statements are generated, never added or deleted; each detail action is allowed
    by the model permission and the statement's status, read once per request."""

    # --- permissions: generated rows, read-only once confirmed ---

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_locked:
            return False
        return super().has_change_permission(request, obj)

    def has_import_permission(self, request) -> bool:
        return False

    def has_export_permission(self, request) -> bool:
        # The Excel export below (escaped, typed cells) replaces the generic one.
        return False

    def _may_change(self, request) -> bool:
        return request.user.has_perm("billing.change_statement")

    def _status_of(self, request, object_id) -> str | None:
        cache = request.__dict__.setdefault("_statement_status", {})
        if object_id not in cache:
            try:
                pk = int(object_id)
            except (TypeError, ValueError):
                cache[object_id] = None
            else:
                cache[object_id] = (
                    Statement.objects.filter(pk=pk).values_list("status", flat=True).first()
                )
        return cache[object_id]

    def _may_when(self, request, object_id, *statuses) -> bool:
        if not self._may_change(request):
            return False
        return object_id is None or self._status_of(request, object_id) in statuses

    def has_generate_permission(self, request) -> bool:
        return request.user.has_perm("billing.add_statement")

    def has_confirm_permission(self, request, object_id=None) -> bool:
        return self._may_when(request, object_id, S.DRAFT, S.DISPUTED)

    def has_resolve_permission(self, request, object_id=None) -> bool:
        return self._may_when(request, object_id, S.DISPUTED)

    def has_adjust_permission(self, request, object_id=None) -> bool:
        return self._may_when(request, object_id, S.DRAFT)

    def has_voucher_permission(self, request, object_id=None) -> bool:
        return self._may_when(request, object_id, S.CONFIRMED)

    def has_complete_permission(self, request, object_id=None) -> bool:
        return self._may_when(request, object_id, S.PAID)

    def has_download_permission(self, request, object_id=None) -> bool:
        return self.has_view_permission(request)

    def has_export_excel_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is generated: there is nothing to save, changes are detail actions.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)
