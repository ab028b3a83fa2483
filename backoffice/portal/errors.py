"""A domain error (a service's ``ValidationError``) as form errors or as messages.

The one pair of mappers of the portal's views and forms.
"""

from collections.abc import Mapping

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest


def errors_to_form(
    form: Form, exc: ValidationError, *, fields: Mapping[str, str] | None = None
) -> None:
    """Put a service's errors on the matching fields (``fields`` renames error keys to
    form fields); errors of unknown fields, and unkeyed errors, go on top of the form."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            field = fields.get(key, key) if fields else key
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def errors_to_messages(
    request: HttpRequest, source: Form | ValidationError, *, joined: bool = False
) -> None:
    """Each error of a service (or of an invalid form) as an error message; ``joined``
    puts a service's errors in one message."""
    if isinstance(source, ValidationError):
        if joined:
            messages.error(request, " ".join(source.messages))
            return
        for message in source.messages:
            messages.error(request, message)
        return
    for errors in source.errors.values():
        for error in errors:
            messages.error(request, error)
