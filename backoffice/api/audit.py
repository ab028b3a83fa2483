"""Writes through the API land in the same simple-history as the portal's: the history
user is the key's creator (``request.user``, set by the key check) and the change reason
names the key ("API key <name>")."""

from simple_history.models import HistoricalRecords


def mark_api_history(sender, instance, history_instance, **kwargs) -> None:
    request = getattr(HistoricalRecords.context, "request", None)
    key = getattr(request, "api_key", None)
    if key is not None and not history_instance.history_change_reason:
        history_instance.history_change_reason = f"API key {key.name}"[:100]
