"""Cursor pagination: pages stay stable while posts arrive, and page sizes are capped."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import FieldDoesNotExist, ValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError


def cursor_of(url: str | None) -> str | None:
    """The `cursor` parameter of a page link, for clients that keep a token, not a URL."""
    if not url:
        return None
    return parse_qs(urlsplit(url).query).get("cursor", [None])[0]


class CursorPagination(pagination.CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    # Larger values fall back to this cap; malformed ones ("null", "0", "") are a 400.
    max_page_size = 100
    ordering = ("-created", "-id")

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise ApiValidationError(
                {self.page_size_query_param: ["A whole number from 1 up."]}, code="invalid"
            )
        return min(int(value), self.max_page_size)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["next_cursor"] = cursor_of(response.data.get("next"))
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["next_cursor"] = {
            "type": "string",
            "nullable": True,
            "description": "The next page's `cursor` parameter alone (null on the last page).",
        }
        return schema

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # A cursor is client input: its position must fit the ordering field, or the
        # database would be asked to compare a date with "abc".
        if cursor is not None and cursor.position is not None:
            try:
                field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
                field.to_python(cursor.position)
            except (FieldDoesNotExist, ValidationError, ValueError, TypeError, OverflowError):
                raise NotFound(self.invalid_cursor_message) from None
        return cursor


class ThreadPagination(CursorPagination):
    ordering = ("-last_activity", "-id")


class PostPagination(CursorPagination):
    # Numbers only grow, so a reader paging forward never skips or repeats a post.
    ordering = ("number",)


class SearchPagination(CursorPagination):
    """Search pages by (score, post) position: forum.search makes and checks the cursor; this
    class gives the page size and the documented shape of a page."""

    ordering = ("-created", "-id")
