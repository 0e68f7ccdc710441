"""Refusing input no field of Stoa can hold, before any view sees it.

A NUL character fits in no PostgreSQL text column ("A string literal cannot contain NUL"), so
one reaching a query is a 500 wherever it came from: a URL segment (`/accounts/u/<name>/`),
a query parameter (`?q=`) or a form field. This middleware answers 400 for all of them, on
the pages and the API alike; JSON bodies are checked by the API's parser
(core.api.parsers), which sees their decoded strings.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import format_html

from core import throttles
from core.charsets import readable_charset

NUL = "\x00"
NUL_MESSAGE = "Null characters are not allowed."
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def nul_fields(request: HttpRequest) -> list[str]:
    """Names of the inputs of `request` that hold a NUL: "path", query and form fields."""
    bad: list[str] = []
    if NUL in request.path_info:
        bad.append("path")
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in value for value in values):
            bad.append(name.replace(NUL, "\\0"))
    # The API reads its own bodies (its parsers enforce size limits first); pages post forms.
    if (
        request.method == "POST"
        and not request.path_info.startswith("/api/")
        and request.content_type in FORM_TYPES
    ):
        for name, values in request.POST.lists():
            if NUL in name or any(NUL in value for value in values):
                bad.append(name.replace(NUL, "\\0"))
    return bad


def nul_error_response(request: HttpRequest, fields: list[str]) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            {
                "error": {
                    "code": "invalid",
                    "message": NUL_MESSAGE,
                    "fields": {name: [NUL_MESSAGE] for name in fields},
                }
            },
            status=400,
        )
    return HttpResponse(
        format_html(
            "<!doctype html><title>Bad request</title><h1>Bad request</h1><p>{} ({})</p>",
            NUL_MESSAGE,
            ", ".join(fields),
        ),
        status=400,
    )


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        fields = nul_fields(request)
        if fields:
            return nul_error_response(request, fields)
        return self.get_response(request)


def bad_charset_response(request: HttpRequest, charset: str) -> HttpResponse:
    message = f"The request declares a charset this server cannot read ({charset!r})."
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": {"code": "parse_error", "message": message}}, status=400)
    return HttpResponse(
        format_html(
            "<!doctype html><title>Bad request</title><h1>Bad request</h1><p>{}</p>", message
        ),
        status=400,
    )


class RefuseUnreadableCharsetMiddleware:
    """A 400 for a request whose Content-Type names a charset that is not a text encoding
    (``charset=rot13``, ``charset=base64``, ``charset=``) or whose query or form fields do not
    decode in it (``charset=punycode``, ``charset=idna``). Django accepts any name its codec
    registry knows and then decodes the query string and form fields with it, which raises
    (LookupError, UnicodeError...) wherever request.GET or request.POST is first read: a 500.
    First in the chain, before anything reads them. The API's JSON bodies are decoded by its
    parser (core.api.parsers), which refuses the same charsets."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        params = getattr(request, "content_params", None) or {}
        if "charset" in params:
            charset = params["charset"]
            if not readable_charset(charset):
                return bad_charset_response(request, charset)
            try:
                request.GET  # noqa: B018 - decoded now, in the declared charset
                if request.method == "POST" and request.content_type in FORM_TYPES:
                    request.POST  # noqa: B018
            except (LookupError, ValueError, TypeError):
                return bad_charset_response(request, charset)
        return self.get_response(request)


class RateLimitHeadersMiddleware:
    """`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) on every API
    answer that a limit counted (core.throttles.record_budget: the DRF throttles, the sign-in
    limiter, the sign-up and reset limits), from the tightest of them, on 429 too: an app
    can slow down before it is refused, whichever endpoint it calls."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        budgets = getattr(request, throttles.BUDGETS_ATTR, None)
        if budgets and request.path_info.startswith("/api/") and "RateLimit-Limit" not in response:
            limit, remaining, reset = min(budgets, key=lambda b: (b[1], -b[2]))
            response["RateLimit-Limit"] = str(limit)
            response["RateLimit-Remaining"] = str(remaining)
            response["RateLimit-Reset"] = str(reset)
        return response
