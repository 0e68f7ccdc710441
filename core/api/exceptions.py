"""One JSON shape for every API error:

    {"error": {"code": "invalid", "message": "...", "fields": {"body": ["..."]},
               "field_codes": {"body": ["max_length"]}}}

`fields` and `field_codes` are present for validation errors (400) only: `field_codes` holds,
for each field, a machine-readable code per message, in the same order (FIELD_CODES lists the
usual ones), so an app can react to `duplicate` or `required` without parsing English.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.views import exception_handler as drf_exception_handler


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


# The codes clients meet most; any other DRF or Django validator code may appear too.
FIELD_CODES = (
    "required",
    "blank",
    "null",
    "invalid",
    "not_a_string",
    "max_length",
    "min_length",
    "min_value",
    "max_value",
    "invalid_choice",
    "does_not_exist",
    "duplicate",
    "throttled",
    "invalid_cursor",
    "not_allowed",
)


def _details(errors: list[DjangoValidationError]) -> list[ErrorDetail]:
    # Each message keeps its validator's code ("invalid" when the raiser gave none).
    return [
        ErrorDetail(message, code=error.code or "invalid")
        for error in errors
        for message in error.messages
    ]


def django_validation_detail(exc: DjangoValidationError) -> dict[str, list[ErrorDetail]]:
    """A Django ValidationError as DRF detail: messages per field, each with its code."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): _details(errors)
            for field, errors in exc.error_dict.items()
        }
    return {"non_field_errors": _details(exc.error_list)}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors become dotted field names: {"a.b": ["..."]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        messages = []
        for i, item in enumerate(detail):
            if isinstance(item, dict | list):
                out.update(_flatten(item, f"{prefix}.{i}" if prefix else str(i)))
            else:
                messages.append(str(item))
        if messages:
            out[prefix or "non_field_errors"] = messages
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _code(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, TooManyFieldsSent):
        exc = exceptions.ParseError("Too many fields in the request.")
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=django_validation_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*(exc.args[:1] or ()))

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    error: dict = {"code": _code(exc), "message": ""}
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        error["fields"] = fields
        error["field_codes"] = _flatten(exc.get_codes())
        first = next(iter(fields.values()), ["Invalid input."])
        error["message"] = first[0] if first else "Invalid input."
    else:
        detail = exc.detail
        error["message"] = str(detail) if not isinstance(detail, dict | list) else str(exc)
    response.data = {"error": error}
    return response


@csrf_exempt  # Nothing to protect: it changes nothing, and a CSRF 403 here would be HTML.
def not_found(request, *args, **kwargs):
    """Any /api/ URL that matches no endpoint (ids that are not numbers...): the JSON 404
    rather than Django's HTML page, in development as in production."""
    return JsonResponse({"error": {"code": "not_found", "message": "Not found."}}, status=404)
