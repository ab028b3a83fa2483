from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "backoffice.api"
    label = "backoffice_api"
    verbose_name = "Partner API"

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from .audit import mark_api_history

        pre_create_historical_record.connect(mark_api_history, dispatch_uid="api-history-reason")
