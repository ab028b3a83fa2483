from django.core.exceptions import ValidationError


class BillingError(ValidationError):
    """A money rule refused the posting; nothing was written. The message is user-facing."""
