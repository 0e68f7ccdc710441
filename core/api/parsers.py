"""Request body parsing with the same size limit as the rest of Django."""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from core.api.exceptions import RequestTooLarge
from core.charsets import readable_charset
from core.middleware import NUL, NUL_MESSAGE


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON.")


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser reads the request stream itself, which skips Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE check: enforce it here (413), before parsing. Deeply nested
    documents make `json` raise RecursionError, which is bad input (400), not a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = parser_context.get("request")
        if limit is not None and request is not None:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > limit:
                raise RequestTooLarge()
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()
        # The charset the client declared, even one Django ignored as unknown (it would fall back
        # to UTF-8): an unknown or non-text codec ("rot13", "base64") is bad input, not a 500.
        # An empty one ("charset=") is refused too, not read as UTF-8. Codecs raise more than
        # UnicodeDecodeError: punycode a bare UnicodeError, others ValueError or TypeError.
        params = getattr(request, "content_params", None) or {}
        if "charset" in params:
            encoding = params["charset"]
        else:
            encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            if not readable_charset(encoding):
                raise LookupError(encoding)
            text = raw.decode(encoding)
        except (LookupError, ValueError, TypeError) as exc:
            raise ParseError(f"The request body is not text in the charset {encoding!r}.") from exc
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError("The request body is not valid JSON.") from exc
        bad = _nul_paths(data)
        if bad:
            raise ValidationError({path: [NUL_MESSAGE] for path in bad})
        return data


def _nul_paths(data, prefix: str = "") -> list[str]:
    """Dotted paths of the strings (keys too) in a parsed document that hold a NUL, which no
    text column can store: refused here for every endpoint, whatever its fields' types.
    Iterative: the document may be nested as deep as the parser allowed."""
    bad: list[str] = []
    stack = [(prefix, data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                bad.append(path or "non_field_errors")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if NUL in key:
                    bad.append(name.replace(NUL, "\\0"))
                else:
                    stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return sorted(bad)
