"""Cursor pagination: pages stay stable while posts arrive, and page sizes are capped."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model, Q
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.utils.urls import remove_query_param


def cursor_of(url: str | None) -> str | None:
    """The `cursor` parameter of a page link, for clients that keep a token, not a URL."""
    if not url:
        return None
    return parse_qs(urlsplit(url).query).get("cursor", [None])[0]


class StrictPageSize:
    """`page_size` as a page size: absent, the default; above the cap, the cap; malformed
    ("null", "0", ""), a 400 naming it (DRF's would silently use the default)."""

    page_size: int
    page_size_query_param: str
    max_page_size: int

    def get_page_size(self, request):
        param = self.page_size_query_param
        value = request.query_params.get(param)
        if value is None:
            return self.page_size
        if not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise ApiValidationError({param: ["A whole number from 1 up."]}, code="invalid")
        return min(int(value), self.max_page_size)


class CursorPagination(StrictPageSize, pagination.CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    # Larger values fall back to this cap; malformed ones ("null", "0", "") are a 400.
    max_page_size = 100
    ordering: tuple[str, ...] = ("-created", "-id")

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


class KeysetPagination(CursorPagination):
    """Forward pages by a composite key: the cursor holds every ordering field of the last
    row, and the next page is the rows after it in that order (a row comparison, no OFFSET).
    DRF's cursor keeps only the first field and counts the rest as an offset, which breaks on
    a leading field with few values (pinned or not) and on rows moving between pages.
    `ordering` must end with a unique field. The token has DRF's shape (base64 of
    `p=<key>`), so a forged one is the same 404 as for the other lists."""

    ordering: tuple[str, ...] = ("-id",)

    def paginate_queryset(self, queryset, request, view=None):
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self._model = queryset.model
        key = self._decode_key(request)
        queryset = queryset.order_by(*self.ordering)
        if key is not None:
            queryset = queryset.filter(self._after(key))
        rows = list(queryset[: self.page_size + 1])
        self.page = rows[: self.page_size]
        self._next_key = self._key_of(self.page[-1]) if len(rows) > self.page_size else None
        return self.page

    def get_next_link(self):
        if self._next_key is None:
            return None
        position = "|".join(self._encode_value(v) for v in self._next_key)
        return self.encode_cursor(pagination.Cursor(offset=0, reverse=False, position=position))

    def get_previous_link(self):
        # Forward only: an app scrolls on, and starts again from the top to refresh.
        return None

    def _fields(self) -> list[tuple[str, bool]]:
        return [(name.lstrip("-"), name.startswith("-")) for name in self.ordering]

    def _key_of(self, row: Model) -> tuple:
        return tuple(getattr(row, name) for name, _ in self._fields())

    @staticmethod
    def _encode_value(value) -> str:
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)

    def _decode_key(self, request) -> tuple | None:
        cursor = pagination.CursorPagination.decode_cursor(self, request)
        if cursor is None:
            return None
        parts = str(cursor.position or "").split("|")
        fields = self._fields()
        if cursor.reverse or len(parts) != len(fields):
            raise NotFound(self.invalid_cursor_message)
        try:
            key = tuple(
                self._model._meta.get_field(name).to_python(part)
                for (name, _), part in zip(fields, parts, strict=True)
            )
        except (FieldDoesNotExist, ValidationError, ValueError, TypeError, OverflowError):
            raise NotFound(self.invalid_cursor_message) from None
        if not all(self._storable(value) for value in key):
            raise NotFound(self.invalid_cursor_message)
        return key

    @staticmethod
    def _storable(value) -> bool:
        # What PostgreSQL can compare with the column: no null, an aware time, a 64-bit id.
        if value is None:
            return False
        if isinstance(value, datetime):
            return value.tzinfo is not None
        if isinstance(value, int) and not isinstance(value, bool):
            return abs(value) < 2**63
        return True

    def _after(self, key: tuple) -> Q:
        """Rows strictly after `key` in `ordering`: (a, b, c) > (x, y, z) spelled out per
        field, each in its own direction."""
        after = Q(pk__in=[])
        equal = Q()
        for (name, descending), value in zip(self._fields(), key, strict=True):
            after |= equal & Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
            equal &= Q(**{name: value})
        return after


class ThreadPagination(KeysetPagination):
    # The web's order: pinned threads first, then by latest activity.
    ordering = ("-is_pinned", "-last_activity", "-id")


class ActivityPagination(KeysetPagination):
    # Latest activity first, pinned or not: a member's list of the threads they follow.
    ordering = ("-last_activity", "-id")


class PostPagination(CursorPagination):
    # Numbers only grow, so a reader paging forward never skips or repeats a post.
    ordering = ("number",)


class ThreadPostPagination(PostPagination):
    """A thread's posts; a page opened at a post (`around`, `first_unread`) also says which
    post it was opened at (`target_number`) and links the page before it (`previous`), and
    its `next` continues from the page's last post."""

    target_number: int | None = None
    previous_url: str | None = None
    # Parameters that choose where a page starts: the `next` link continues by cursor alone.
    position_params = ("around", "first_unread")

    def get_next_link(self):
        url = super().get_next_link()
        for name in self.position_params if url else ():
            url = remove_query_param(url, name)
        return url

    def get_previous_link(self):
        if self.previous_url is not None:
            return self.previous_url
        return super().get_previous_link()

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["target_number"] = self.target_number
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["target_number"] = {
            "type": "integer",
            "nullable": True,
            "description": "With `around` or `first_unread`: the number of the post the page "
            "was opened at (scroll to it). Null otherwise.",
        }
        return schema


class SearchPagination(CursorPagination):
    """Search pages by (score, post) position: forum.search makes and checks the cursor; this
    class gives the page size and the documented shape of a page."""

    ordering = ("-created", "-id")
