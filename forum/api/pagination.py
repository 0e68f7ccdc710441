"""Cursor pagination: pages stay stable while posts arrive, and page sizes are capped."""

from __future__ import annotations

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    # Larger or malformed values fall back to this cap or the default, never a 500.
    max_page_size = 100
    ordering = ("-created", "-id")


class ThreadPagination(CursorPagination):
    ordering = ("-last_activity", "-id")


class PostPagination(CursorPagination):
    # Numbers only grow, so a reader paging forward never skips or repeats a post.
    ordering = ("number",)


class SearchPagination(CursorPagination):
    ordering = ("-created", "-id")
