"""The change list of simple-history's 历史 page in the user's language.

The library prints a change's old and new values as Python writes them: ``True``,
``False``, ``None``, ``cn`` for a choice. Here a yes/no field reads 是 / 否, an empty value
—, and a choice its label, like the rest of the console.
"""

from django.utils.translation import gettext
from simple_history.template_utils import HistoricalRecordContextHelper

EMPTY = "—"


class ReadableHistoryHelper(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        if value is None or value == "":
            return EMPTY
        if isinstance(value, bool):
            return gettext("Yes") if value else gettext("No")
        field = self.model._meta.get_field(change.field)
        if getattr(field, "flatchoices", None) and isinstance(value, (str, int)):
            return dict(field.flatchoices).get(value, value)
        return value


class ReadableHistoryMixin:
    """For ``BaseAdmin``: the history page's values in words (see the module)."""

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableHistoryHelper(self.model, historical_record)
