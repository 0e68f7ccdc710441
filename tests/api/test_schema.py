"""The published schema: generated without errors, readable operation ids, conditional GET
declared, so typed clients generated from it name and expose what the server does."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.api.blank import NOT_BLANK_PATTERN

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


# --- a post is one of two shapes ------------------------------------------------------------


def _json_schema(node):
    """OpenAPI 3.0's `nullable` as JSON Schema, so jsonschema can validate answers."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        k: _json_schema(v) for k, v in node.items() if k not in ("nullable", "discriminator")
    }
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _validator(schema, component):
    from jsonschema import Draft7Validator

    root = {
        "components": _json_schema(schema["components"]),
        "$ref": f"#/components/schemas/{component}",
    }
    return Draft7Validator(root)


def test_a_post_is_a_readable_post_or_a_placeholder_told_apart_by_view(spec):
    schema, _ = spec
    components = schema["components"]["schemas"]
    assert components["Post"]["oneOf"] == [
        {"$ref": "#/components/schemas/ReadablePost"},
        {"$ref": "#/components/schemas/PlaceholderPost"},
    ]
    assert components["Post"]["discriminator"]["propertyName"] == "view"
    readable = components["ReadablePost"]
    for field in ("author", "html", "created", "quotes", "reactions"):
        assert field in readable["required"]
        assert not readable["properties"][field].get("nullable"), field
    # What a placeholder may not show is not in its schema at all.
    placeholder = components["PlaceholderPost"]["properties"]
    assert {"id", "number", "state", "view"} <= set(placeholder)
    assert not {"author", "html", "body", "created"} & set(placeholder)


def test_real_answers_validate_against_their_branch_only(
    spec, as_member, as_moderator, member, moderator, thread
):
    from forum import services

    schema, _ = spec
    hidden = services.post_reply(author=member, thread=thread, body="Soon hidden")
    services.post_hide(actor=moderator, post=hidden)
    url = f"/api/v1/threads/{thread.pk}/posts/"
    placeholder = as_member.get(url).json()["results"][1]
    as_moderator_sees = as_moderator.get(url).json()["results"][1]
    assert placeholder["view"] == "placeholder" and placeholder["author"] is None
    assert as_moderator_sees["view"] == "readable" and as_moderator_sees["state"] == "hidden"

    post, readable_branch, placeholder_branch = (
        _validator(schema, name) for name in ("Post", "ReadablePost", "PlaceholderPost")
    )
    post.validate(placeholder)
    placeholder_branch.validate(placeholder)
    assert not readable_branch.is_valid(placeholder)
    post.validate(as_moderator_sees)
    readable_branch.validate(as_moderator_sees)
    assert not placeholder_branch.is_valid(as_moderator_sees)
    # The sync feed's tombstone is the same placeholder.
    tombstones = [
        item["post"]
        for item in as_member.get("/api/v1/changes/").json()["results"]
        if item["kind"] == "post" and item["id"] == hidden.pk
    ]
    assert tombstones == [placeholder]


def test_query_parameters_declare_what_the_api_refuses(spec):
    schema, _ = spec

    def parameter(path, name):
        found = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
        return found[0]["schema"]

    assert parameter("/api/v1/threads/", "page_size")["minimum"] == 1
    assert parameter("/api/v1/moderation/queue/", "page")["minimum"] == 1
    assert parameter("/api/v1/search/", "thread")["minimum"] == 1
    category = parameter("/api/v1/threads/", "category")
    assert category["minLength"] == 1 and category["pattern"] == NOT_BLANK_PATTERN
    # An empty cursor is the first page, as DRF reads it.
    assert "minLength" not in parameter("/api/v1/threads/", "cursor")
    assert parameter("/api/v1/changes/", "after")["pattern"] == r"^[0-9]{1,18}\.[0-2]\.[0-9]{1,18}$"


def test_the_not_blank_pattern_is_pythons_white_space_in_every_reading():
    # str.strip() decides what is blank; the schema's pattern must match exactly the strings
    # with a character it keeps, in Python's `re` and in the Rust engine schemathesis validates
    # with (`\\S` read U+001F as a character there, so `?author=%1F` was valid and a 400).
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    validator = jsonschema_rs.validator_for({"type": "string", "pattern": NOT_BLANK_PATTERN})
    python, ascii_python = re.compile(NOT_BLANK_PATTERN), re.compile(NOT_BLANK_PATTERN, re.ASCII)
    wrong = []
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000:
            continue  # lone surrogates are not text a request can carry
        char = chr(code)
        readings = {bool(python.search(char)), bool(ascii_python.search(char))}
        readings.add(validator.is_valid(char))
        if readings != {not char.isspace()}:
            wrong.append(hex(code))
    assert not wrong


# Blank to str.strip() but not to `\s` in some reading (U+001F, U+0085), blank in every reading,
# and kept by str.strip() though ECMA-262's `\s` takes it (U+FEFF) or nobody's does (U+200B).
BLANK_OR_NOT = ["\x1f", "\x85", " \u3000", "\ufeff", "\u200b"]


def _accepts(schema: dict, value: str) -> bool:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    return jsonschema_rs.validator_for(schema).is_valid(value)


@pytest.mark.parametrize("value", BLANK_OR_NOT)
def test_a_query_filter_refuses_what_its_schema_calls_blank_and_only_that(spec, as_member, value):
    schema, _ = spec
    parameters = schema["paths"]["/api/v1/threads/"]["get"]["parameters"]
    declared = next(p for p in parameters if p["name"] == "author")["schema"]
    response = as_member.get("/api/v1/threads/", {"author": value})
    assert response.status_code == (200 if _accepts(declared, value) else 400)


@pytest.mark.parametrize("value", BLANK_OR_NOT)
def test_sign_in_refuses_a_username_its_schema_calls_blank_and_only_that(spec, anon, member, value):
    schema, _ = spec
    declared = schema["components"]["schemas"]["LoginRequest"]["properties"]["username"]
    response = anon.post(
        "/api/v1/auth/token/", {"username": value, "password": "wrong"}, format="json"
    )
    # A username that is not blank is only wrong: 401, not a 400 for valid input.
    assert response.status_code == (401 if _accepts(declared, value) else 400)


@pytest.mark.parametrize("field", ["app_id", "push_token"])
@pytest.mark.parametrize("value", BLANK_OR_NOT)
def test_a_push_device_refuses_what_its_schema_calls_blank_and_only_that(
    spec, as_member, field, value
):
    # Seed 1306647952 sent a blank push_token, which `minLength: 1` alone called valid.
    schema, _ = spec
    declared = schema["components"]["schemas"]["PushDeviceRequest"]["properties"][field]
    body = {"platform": "ios", "app_id": "org.stoa.ios", "push_token": "t0ken", field: value}
    response = as_member.post("/api/v1/me/devices/", body, format="json")
    assert response.status_code == (201 if _accepts(declared, value) else 400)


def test_search_keeps_its_forms_empty_fields_optional(spec, anon):
    schema, _ = spec
    parameters = schema["paths"]["/api/v1/search/"]["get"]["parameters"]
    category = next(p for p in parameters if p["name"] == "category")["schema"]
    assert "minLength" not in category
    assert anon.get("/api/v1/search/", {"q": "squat", "category": ""}).status_code == 200


@pytest.mark.parametrize("name", ["thread", "since", "until"])
def test_search_refuses_an_empty_number_or_date_as_its_schema_says(spec, anon, name):
    schema, _ = spec
    parameters = schema["paths"]["/api/v1/search/"]["get"]["parameters"]
    declared = next(p for p in parameters if p["name"] == name)["schema"]
    assert declared.get("type") == "integer" or declared.get("format") == "date"
    response = anon.get("/api/v1/search/", {"q": "squat", name: ""})
    assert response.status_code == 400
    assert name in response.json()["error"]["fields"]


def test_the_search_query_pattern_reads_the_same_in_ecma_and_python(spec):
    # Schema regexes are ECMA-262's; Python's `re` (schemathesis, hypothesis-jsonschema) reads
    # the shorthand classes \\w, \\d and \\b differently for non-ASCII text. Seed 1700576675
    # sent q="\u00e6}" as a query `\\w` rules out; the API rightly searched for it.
    schema, _ = spec
    parameters = schema["paths"]["/api/v1/search/"]["get"]["parameters"]
    pattern = next(p for p in parameters if p["name"] == "q")["schema"]["pattern"]
    assert not re.search(r"\\[wWdDbB]", pattern)
    assert re.search(pattern, "\u00e6}") and re.search(pattern, "\U0001d7d8")


@pytest.fixture(scope="module")
def q_pattern():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/v1/search/"]["get"]["parameters"]
    return re.compile(next(p for p in parameters if p["name"] == "q")["schema"]["pattern"])


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=6))
def test_search_refuses_every_query_its_schema_rules_out(q_pattern, anon, q):
    cache.clear()  # the search throttle
    response = anon.get("/api/v1/search/", {"q": q})
    if not q_pattern.search(q):
        assert response.status_code == 400, q
    else:
        assert response.status_code in (200, 400), q
