"""A domain error (a service's ``ValidationError``) as form errors or as messages.

The one pair of mappers of the portal's views and forms.
"""

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest


def errors_to_form(
    form: Form,
    exc: ValidationError,
    *,
    fields: Mapping[str, str] | None = None,
    unkeyed: str | None = None,
) -> None:
    """Put a service's errors on the matching fields (``fields`` renames error keys to
    form fields); errors of unknown fields go on top of the form, and so do unkeyed errors
    unless ``unkeyed`` names their field (a password validator's, say)."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            field = fields.get(key, key) if fields else key
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(unkeyed, exc.messages if unkeyed else exc)


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


def service_call(
    request: HttpRequest,
    action: Callable[[], Any],
    success: str,
    *,
    refusals: type[ValidationError] | tuple[type[ValidationError], ...] = ValidationError,
    joined: bool = False,
) -> bool:
    """A page's action step without a form: run ``action()`` (the service call); a domain
    refusal (``refusals``) becomes error messages (``errors_to_messages``, with ``joined``),
    else ``success`` a success message. Returns whether the service accepted."""
    try:
        action()
    except refusals as exc:
        errors_to_messages(request, exc, joined=joined)
        return False
    messages.success(request, success)
    return True


class Submitted(NamedTuple):
    """A form the service accepted: ``value`` is what it returned (always true)."""

    value: Any


def form_submit(
    request: HttpRequest,
    form: Form,
    action: Callable[[dict], Any],
    *,
    refusals: type[ValidationError] | tuple[type[ValidationError], ...] = ValidationError,
    unkeyed: str | None = None,
) -> Submitted | None:
    """The posted-form step of a page: when ``request`` POSTs a valid ``form``, run
    ``action(form.cleaned_data)`` (the service call). A domain refusal (``refusals``) goes on
    the form (``errors_to_form``, with ``unkeyed``); then, as for a GET or an invalid form,
    None."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return Submitted(action(form.cleaned_data))
    except refusals as exc:
        errors_to_form(form, exc, unkeyed=unkeyed)
        return None
