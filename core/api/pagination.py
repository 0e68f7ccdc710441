"""Cursor pagination: pages stay stable while posts arrive, and page sizes are capped."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist, ValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound


class CursorPagination(pagination.CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    # Larger or malformed values fall back to this cap or the default, never a 500.
    max_page_size = 100
    ordering = ("-created", "-id")

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
