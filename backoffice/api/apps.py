from django.apps import AppConfig
from django.core import checks


class ApiConfig(AppConfig):
    name = "backoffice.api"
    label = "backoffice_api"
    verbose_name = "Partner API"

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from .audit import mark_api_history

        pre_create_historical_record.connect(mark_api_history, dispatch_uid="api-history-reason")
        checks.register(check_api_rate_limit)


def check_api_rate_limit(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A bad ``API_RATE_LIMIT`` fails at start-up, not on the first API request."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from backoffice.throttle import Rate

    try:
        Rate.parse(settings.API_RATE_LIMIT)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="backoffice_api.E001")]
    return []
