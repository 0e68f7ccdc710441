"""OpenAPI schema adjustments shared by every API operation."""

from __future__ import annotations

from core.api.blank import NOT_BLANK_PATTERN
from core.api.exceptions import FIELD_CODES

ERROR_STATUSES = {
    "400": "Invalid input: `error.fields` maps each field to its messages, `error.field_codes` "
    "to a code per message (`required`, `max_length`, `duplicate`, `invalid_choice`...).",
    "401": "Not authenticated: send `Authorization: Bearer <token>`.",
    "403": "Not allowed for this account.",
    "404": "Not found, or not visible to this account.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "413": "Request body too large.",
    "415": "Unsupported media type.",
    "429": "Too many requests: wait for the number of seconds in `Retry-After`.",
}


def add_error_responses(result, generator, request, public):
    """Document the one error shape on every operation, so clients (and schema-driven tests)
    know every status the API can answer with, and 304 on reads (conditional GET)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {
                            "type": "object",
                            "description": "With a 400: each field's messages.",
                            "additionalProperties": {
                                "type": "array",
                                "items": {"type": "string"},
                            },
                        },
                        "field_codes": {
                            "type": "object",
                            "description": "With a 400: each field's codes, one per message in "
                            "`fields`, in the same order. Usual codes: "
                            + ", ".join(f"`{code}`" for code in FIELD_CODES)
                            + "; others may appear.",
                            "additionalProperties": {
                                "type": "array",
                                "items": {"type": "string"},
                            },
                        },
                    },
                    "required": ["code", "message"],
                }
            },
            "required": ["error"],
        },
    )
    ref = {"$ref": "#/components/schemas/Error"}
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
            for status, response in responses.items():
                # An operation's own error statuses (a 409...) in the one error shape too.
                if str(status)[0] in "45" and "content" not in response:
                    response["content"] = {"application/json": {"schema": ref}}
            if status_429 := responses.get("429"):
                status_429.setdefault(
                    "headers",
                    {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}},
                )
            for status, response in responses.items():
                if str(status).startswith("2") or str(status) == "429":
                    response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
            if any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])):
                responses.setdefault(
                    "422",
                    {
                        "description": "This Idempotency-Key was used for another request.",
                        "content": {"application/json": {"schema": ref}},
                    },
                )
            if method == "get":
                responses.setdefault("304", {"description": "Not modified (If-None-Match)."})
                _declare_conditional_get(operation)
            _declare_strict_query(operation, path=path)
            # Sign-in and other open operations: say explicitly that no credentials are needed.
            operation.setdefault("security", [{}])
    _type_nullable_references(schemas)
    return result


# Sent by core.middleware.RateLimitHeadersMiddleware when a limit counted the request.
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {
        "schema": {"type": "integer"},
        "description": "Requests the tightest limit that counted this one allows per window "
        "(sent by limited operations only).",
    },
    "RateLimit-Remaining": {
        "schema": {"type": "integer"},
        "description": "Requests left in that window.",
    },
    "RateLimit-Reset": {
        "schema": {"type": "integer"},
        "description": "Seconds until that window ends.",
    },
}

ETAG_HEADER = {
    "schema": {"type": "string"},
    "description": "Strong validator of this answer for this viewer; send it back as "
    "If-None-Match.",
}


def _declare_conditional_get(operation: dict) -> None:
    """Every successful GET carries an ETag and honours If-None-Match (core.api.conditional):
    say so, so generated clients expose both."""
    parameters = operation.setdefault("parameters", [])
    if not any(p.get("name") == "If-None-Match" for p in parameters):
        parameters.append(
            {
                "in": "header",
                "name": "If-None-Match",
                "schema": {"type": "string"},
                "description": "The ETag of a copy the client holds: 304 when it is current.",
            }
        )
    for status in ("200", "304"):
        if status in operation["responses"]:
            operation["responses"][status].setdefault("headers", {})["ETag"] = ETAG_HEADER


# Query parameters where an empty value means "absent": the first page, the whole post.
EMPTY_MEANS_ABSENT = {"cursor", "excerpt"}
# Search reads its parameters with the search page's form, which sends its empty fields: there
# an empty text parameter means "any".
FORM_QUERIES = {"/api/v1/search/"}


def _declare_strict_query(operation: dict, *, path: str) -> None:
    """A query parameter that is present must be valid (README, "Input is strict"): an empty or
    blank one is a 400, and so is a number below 1 (page sizes, pages and ids all start at 1).
    Say so, so that clients and schema-driven tests do not take `?category=` or `?page_size=0`
    for valid input."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") != "query" or parameter.get("name") in EMPTY_MEANS_ABSENT:
            continue
        if schema.get("type") == "integer" and "minimum" not in schema:
            schema["minimum"] = 1
        if schema.get("type") == "string" and "enum" not in schema and path not in FORM_QUERIES:
            schema.setdefault("minLength", 1)
            if "format" not in schema:
                schema.setdefault("pattern", NOT_BLANK_PATTERN)


def _type_nullable_references(schemas: dict) -> None:
    """A nullable nested object (`Post.author`, a feed entry's `post`) is published as
    `allOf: [$ref], nullable: true`; OpenAPI 3.0 wants a `type` beside `nullable`, and strict
    generators drop or crash on it without one."""
    for schema in schemas.values():
        for prop in schema.get("properties", {}).values():
            if prop.get("nullable") and "type" not in prop and ("allOf" in prop or "$ref" in prop):
                prop["type"] = "object"
