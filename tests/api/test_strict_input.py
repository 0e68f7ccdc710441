"""Input is what the schema says: a wrong or empty query parameter is a 400 naming it (never an
unfiltered list), text fields take strings only, and PATCH is partial."""

from __future__ import annotations

import pytest

from forum.models import Post
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/threads/?pinned=maybe", "pinned"),
        ("/api/v1/threads/?locked=yes%20please", "locked"),
        ("/api/v1/threads/?updated_since=", "updated_since"),
        ("/api/v1/threads/?category=", "category"),
        ("/api/v1/notifications/?unread=null", "unread"),
        ("/api/v1/notifications/?unread=", "unread"),
        ("/api/v1/notifications/?page_size=null", "page_size"),
    ],
)
def test_bad_query_parameters_are_a_400_naming_the_parameter(as_member, thread, url, field):
    response = as_member.get(url)
    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]


def test_posts_since_empty_is_a_400(as_member, thread):
    response = as_member.get(f"/api/v1/threads/{thread.pk}/posts/?since=")
    assert response.status_code == 400
    assert "since" in error_of(response)["fields"]


@pytest.mark.parametrize(("value", "expected"), [("true", 1), ("false", 1), ("1", 1), ("0", 1)])
def test_booleans_still_filter(as_member, thread, value, expected):
    response = as_member.get(f"/api/v1/threads/?pinned={value}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == (0 if value in ("true", "1") else expected)


@pytest.mark.parametrize("body", [0, 12.5, True, ["text"], {"text": "x"}])
def test_a_body_that_is_not_a_string_is_a_400(as_member, thread, body):
    before = Post.objects.count()
    response = as_member.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": body}, format="json")
    assert response.status_code == 400
    assert "body" in error_of(response)["fields"]
    assert Post.objects.count() == before


def test_a_title_that_is_not_a_string_is_a_400(as_member, thread, category):
    response = as_member.post(
        "/api/v1/threads/",
        {"category": category.slug, "title": 7, "body": "Some text"},
        format="json",
    )
    assert response.status_code == 400
    assert "title" in error_of(response)["fields"]


def test_an_empty_post_patch_changes_nothing_and_answers_200(as_member, thread):
    post = thread.posts.get(number=1)
    response = as_member.patch(f"/api/v1/posts/{post.pk}/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["html"] == "<p>First post.</p>\n"
    post.refresh_from_db()
    assert post.edit_count == 0


def test_an_empty_thread_patch_changes_nothing_and_answers_200(as_member, thread):
    response = as_member.patch(f"/api/v1/threads/{thread.pk}/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == thread.title


def test_an_empty_patch_by_someone_else_is_still_refused(as_other, thread):
    post = thread.posts.get(number=1)
    assert as_other.patch(f"/api/v1/posts/{post.pk}/", {}, format="json").status_code == 403
    assert as_other.patch(f"/api/v1/threads/{thread.pk}/", {}, format="json").status_code == 403


def test_anonymous_revisions_are_a_401(anon, thread):
    post = thread.posts.get(number=1)
    response = anon.get(f"/api/v1/posts/{post.pk}/revisions/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


# JSON bodies take JSON's types as the schema gives them (core.api.fields): no "0" for false,
# no "7" for 7, no 0 for "0".
@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("post", "/api/v1/notifications/read/", {"all": 0}, "all"),
        ("post", "/api/v1/notifications/read/", {"all": "true"}, "all"),
        ("post", "/api/v1/notifications/read/", {"ids": ["7"]}, "ids"),
        ("patch", "/api/v1/me/", {"signature": 0}, "signature"),
        ("patch", "/api/v1/me/", {"bio": True}, "bio"),
        ("post", "/api/v1/me/bookmarks/", {"post": "1"}, "post"),
        ("post", "/api/v1/me/bookmarks/", {"thread": True}, "thread"),
        (
            "post",
            "/api/v1/me/devices/",
            {"platform": "ios", "app_id": "a", "push_token": 5},
            "push_token",
        ),
        ("post", "/api/v1/threads/{thread}/read/", {"number": "1"}, "number"),
    ],
)
def test_json_bodies_take_the_schemas_types_only(as_member, thread, method, url, body, field):
    response = getattr(as_member, method)(url.format(thread=thread.pk), body)
    assert response.status_code == 400, response.content
    # A list's item is named by its index: ids.0
    assert any(name.split(".")[0] == field for name in error_of(response)["fields"])


def test_sign_in_refuses_a_number_for_replace_oldest(anon, member):
    response = anon.post(
        "/api/v1/auth/token/",
        {"username": member.username, "password": "x", "replace_oldest": 1},
    )
    assert response.status_code == 400
    assert "replace_oldest" in error_of(response)["fields"]


@pytest.mark.parametrize("body", [{"locked": 1}, {"locked": "true"}])
def test_a_lock_takes_a_json_boolean(as_moderator, thread, body):
    response = as_moderator.post(f"/api/v1/threads/{thread.pk}/lock/", body)
    assert response.status_code == 400
    thread.refresh_from_db()
    assert not thread.is_locked
    assert (
        as_moderator.post(f"/api/v1/threads/{thread.pk}/lock/", {"locked": True}).status_code == 200
    )
    thread.refresh_from_db()
    assert thread.is_locked


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/moderation/queue/?page_size=null", "page_size"),
        ("/api/v1/moderation/queue/?page_size=0", "page_size"),
        ("/api/v1/moderation/reports/?resolved=maybe", "resolved"),
        ("/api/v1/moderation/reports/?reason=", "reason"),
    ],
)
def test_moderation_lists_are_as_strict_as_the_others(as_moderator, url, field):
    response = as_moderator.get(url)
    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]


@pytest.mark.parametrize(
    ("method", "url", "body", "field", "limit"),
    [
        ("post", "/api/v1/me/devices/", {"platform": "ios", "push_token": "t0ken"}, "app_id", 200),
        ("post", "/api/v1/me/devices/", {"platform": "ios", "app_id": "org.x"}, "push_token", 1000),
        ("patch", "/api/v1/me/", {}, "display_name", 60),
        ("post", "/api/v1/me/blocks/", {}, "username", 150),
    ],
)
@pytest.mark.parametrize("padding", [" ", "\n", "\u3000"])
def test_max_length_counts_the_text_as_sent_white_space_included(
    as_member, method, url, body, field, limit, padding
):
    # The schema's maxLength counts what is sent; DRF trims first and took 200 characters and a
    # space for an app_id of at most 200.
    response = getattr(as_member, method)(
        url, {**body, field: "a" * limit + padding}, format="json"
    )
    assert response.status_code == 400
    assert error_of(response)["field_codes"][field] == ["max_length"]


def _format_validator(fmt: str):
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    return jsonschema_rs.validator_for({"type": "string", "format": fmt}, validate_formats=True)


NOT_RFC3339 = [
    "2024-01-01",
    "2024-01-01T00:00",
    "2024-01-01T00:00:00",
    "2024-01-01 00:00:00Z",
    "20240101T000000Z",
    "2024-W01",
    "2024-01-01T00",
    "2024-01-01T00:00:00+01",
    "2024-01-01T00:00:00,5Z",
    " 2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00Z\n",
    "\u0662\u0660\u0662\u0664-01-01T00:00:00Z",
]
RFC3339 = ["2024-01-01T00:00:00Z", "2024-01-01t00:00:00z", "2024-01-01T00:00:00.5+02:00"]


@pytest.mark.parametrize("value", NOT_RFC3339 + RFC3339)
def test_date_time_filters_take_rfc_3339_as_the_schema_says(as_member, thread, value):
    # django-filter's parser read a date alone, no offset, ISO week dates and more as a time,
    # all schema-invalid values answered 200.
    valid = _format_validator("date-time").is_valid(value)
    assert valid == (value in RFC3339)
    for url, name in [
        ("/api/v1/threads/", "updated_since"),
        (f"/api/v1/threads/{thread.pk}/posts/", "since"),
    ]:
        response = as_member.get(url, {name: value})
        assert response.status_code == (200 if valid else 400), (url, value)
        if not valid:
            assert error_of(response)["field_codes"][name] == ["invalid"]


NOT_A_DATE = [
    "01/02/2024",
    "2024-1-1",
    " 2024-01-01",
    "2024-01-01 ",
    "20240101",
    "\u0662\u0660\u0662\u0664-01-01",
]


@pytest.mark.parametrize("value", [*NOT_A_DATE, "2024-01-01"])
def test_search_dates_are_yyyy_mm_dd_as_the_schema_says(anon, value):
    valid = _format_validator("date").is_valid(value)
    assert valid == (value == "2024-01-01")
    for name in ("since", "until"):
        response = anon.get("/api/v1/search/", {"q": "squat", name: value})
        assert response.status_code == (200 if valid else 400), (name, value)
        if not valid:
            assert name in error_of(response)["fields"]


@pytest.mark.parametrize("value", [" 5", "5 ", "5.0", "\u0665", "+5"])
def test_integer_parameters_are_ascii_digits_as_the_schema_says(anon, thread, value):
    # int() reads white space, a fraction of zeros and every script's digits; the schema's
    # integer does not, and `?thread=%D9%A5` answered 200.
    for url, name in [
        ("/api/v1/changes/", "thread"),
        ("/api/v1/changes/", "page_size"),
        (f"/api/v1/threads/{thread.pk}/posts/", "around"),
        ("/api/v1/search/?q=squat", "thread"),
        ("/api/v1/threads/", "page_size"),
    ]:
        response = anon.get(url, {name: value})
        assert response.status_code == 400, (url, name, value)
        assert name in error_of(response)["fields"]
    assert anon.get("/api/v1/changes/", {"thread": str(thread.pk)}).status_code == 200


@pytest.mark.parametrize(
    ("path", "name", "limit"),
    [
        ("/api/v1/threads/", "author", 150),
        ("/api/v1/threads/", "category", 100),
        ("posts", "author", 150),
    ],
)
def test_text_filters_declare_their_max_length_and_count_it_as_sent(
    spec, anon, thread, path, name, limit
):
    url = f"/api/v1/threads/{thread.pk}/posts/" if path == "posts" else path
    template = "/api/v1/threads/{id}/posts/" if path == "posts" else path
    parameters = spec["paths"][template]["get"]["parameters"]
    assert next(p for p in parameters if p["name"] == name)["schema"]["maxLength"] == limit
    assert anon.get(url, {name: "a" * limit}).status_code == 200
    for value in ("a" * (limit + 1), "a" * limit + " "):
        response = anon.get(url, {name: value})
        assert response.status_code == 400, value
        assert error_of(response)["field_codes"][name] == ["max_length"]


@pytest.fixture(scope="module")
def spec():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)
