"""RFC 9457 problem details (``application/problem+json``) for every API error.

Each problem has a stable ``code`` (also the last part of its ``type`` URI) and a
``title``/``detail`` in the request's language (``Accept-Language``, zh-hans or en).
Domain refusals keep the domain error's code; validation errors list their fields in
``errors``.
"""

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "urn:aggresmart:api:problem:"

TITLES = {
    400: gettext_lazy("Bad request"),
    401: gettext_lazy("Not authenticated"),
    403: gettext_lazy("Forbidden"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    409: gettext_lazy("Conflict"),
    422: gettext_lazy("Request refused"),
    429: gettext_lazy("Too many requests"),
    500: gettext_lazy("Server error"),
}


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(self, status: int, code: str, detail: str = "", *, headers=None, errors=None):
        super().__init__(detail or code)
        self.status, self.code, self.detail = status, code, detail
        self.headers = headers or {}
        self.errors = errors


def problem_response(
    status: int, code: str, detail: str = "", *, headers=None, errors=None
) -> HttpResponse:
    body = {
        "type": TYPE_BASE + code,
        "title": str(TITLES.get(status, TITLES[400])),
        "status": status,
        "detail": detail or str(TITLES.get(status, "")),
        "code": code,
    }
    if errors:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _domain_errors(exc: DjangoValidationError) -> tuple[str, list[dict] | None, str]:
    """(code, field errors, detail) of a domain refusal."""
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": field, "message": str(message), "code": getattr(error, "code", "") or ""}
            for field, error_list in exc.error_dict.items()
            for error in error_list
            for message in error.messages
        ]
        codes = [e["code"] for e in errors if e["code"]]
        return (codes[0] if codes else "invalid"), errors, " ".join(e["message"] for e in errors)
    code = getattr(exc, "code", None) or "refused"
    return code, None, " ".join(str(m) for m in exc.messages)


# Domain refusals that mean "the state does not allow it" rather than "bad input".
CONFLICT_CODES = {"idempotency_conflict"}


def install(api) -> None:
    """Register the problem handlers on the NinjaAPI ``api``."""

    @api.exception_handler(Problem)
    def _problem(request: HttpRequest, exc: Problem):
        return problem_response(
            exc.status, exc.code, exc.detail, headers=exc.headers, errors=exc.errors
        )

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc):
        return problem_response(404, "not_found", _("No such resource, or not yours."))

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc):
        return problem_response(
            401,
            "not_authenticated",
            _("Send a valid API key: Authorization: Bearer <key>."),
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )

    @api.exception_handler(NinjaValidationError)
    def _invalid(request: HttpRequest, exc: NinjaValidationError):
        errors = [
            {
                "field": ".".join(str(p) for p in error.get("loc", ())[1:]) or "body",
                "message": str(error.get("msg", "")),
                "code": str(error.get("type", "")),
            }
            for error in exc.errors
        ]
        return problem_response(
            422, "validation_error", _("The request has invalid fields."), errors=errors
        )

    @api.exception_handler(DjangoValidationError)
    def _refused(request: HttpRequest, exc: DjangoValidationError):
        code, errors, detail = _domain_errors(exc)
        status = 409 if code in CONFLICT_CODES else 422
        return problem_response(status, code, detail, errors=errors)

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError):
        code = {405: "method_not_allowed", 404: "not_found"}.get(exc.status_code, "error")
        return problem_response(exc.status_code, code, str(exc))
