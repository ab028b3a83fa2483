"""The shared ModelAdmin: history + import-export + unfold, wired once.

Every console ModelAdmin inherits ``BaseAdmin`` (or ``ReadOnlyAdmin``) and declares
``nav_group``/``nav_icon`` so the sidebar groups it by domain.
"""

from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin
from unfold.contrib.import_export.forms import ExportForm, ImportForm, SelectableFieldsExportForm

from .navigation import NavGroup


class BaseAdmin(SimpleHistoryAdmin, ImportExportModelAdmin, ModelAdmin):
    nav_group: NavGroup = NavGroup.SYSTEM
    nav_icon: str = "table_rows"
    nav_order: int = 100

    import_form_class = ImportForm
    export_form_class = SelectableFieldsExportForm
    # Large tables: never run a full COUNT(*) for the "N total" link.
    show_full_result_count = False
    list_per_page = 50
    list_filter_submit = True
    warn_unsaved_form = True
    compressed_fields = True


class ReadOnlyAdmin(BaseAdmin):
    """For records that are locked by nature (ledger entries, agreed contracts, task logs)."""

    export_form_class = ExportForm

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_import_permission(self, request) -> bool:
        return False
