"""The published schema: generated without errors, readable operation ids, conditional GET
declared, so typed clients generated from it name and expose what the server does."""

from __future__ import annotations

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def spec():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return schema, GENERATOR_STATS._error_cache.copy()


def test_the_schema_is_generated_without_errors(spec):
    _, errors = spec
    assert not errors


@pytest.mark.parametrize(
    ("method", "path", "operation_id"),
    [
        ("post", "/api/v1/threads/{id}/read/", "threads_mark_read"),
        ("post", "/api/v1/threads/{id}/posts/", "posts_reply"),
        ("patch", "/api/v1/threads/{id}/", "threads_rename"),
        ("patch", "/api/v1/posts/{id}/", "posts_edit"),
        ("post", "/api/v1/notifications/read/", "notifications_mark_read"),
        ("get", "/api/v1/changes/", "changes"),
    ],
)
def test_operations_have_readable_ids(spec, method, path, operation_id):
    schema, _ = spec
    assert schema["paths"][path][method]["operationId"] == operation_id


def test_operation_ids_are_unique(spec):
    schema, _ = spec
    ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_every_get_declares_etag_and_if_none_match(spec):
    schema, _ = spec
    for path, item in schema["paths"].items():
        if "get" not in item:
            continue
        operation = item["get"]
        names = {p["name"] for p in operation.get("parameters", [])}
        assert "If-None-Match" in names, path
        assert "ETag" in operation["responses"]["200"]["headers"], path
        assert "304" in operation["responses"], path
