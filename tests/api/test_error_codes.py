"""Every 400 carries a machine-readable code per field message (`error.field_codes`), so an
app reacts to "duplicate" or "required" without reading the English."""

from __future__ import annotations

import pytest

from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


def codes_of(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    error = error_of(response)
    # One code per message, field by field.
    assert {k: len(v) for k, v in error["field_codes"].items()} == {
        k: len(v) for k, v in error["fields"].items()
    }
    return error["field_codes"]


def test_a_missing_field_is_required(as_member, thread):
    response = as_member.post(f"/api/v1/threads/{thread.pk}/posts/", {}, format="json")
    assert codes_of(response) == {"body": ["required"]}


def test_a_number_for_text_is_not_a_string(as_member, thread):
    response = as_member.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": 0}, format="json")
    assert codes_of(response) == {"body": ["not_a_string"]}


def test_an_empty_body_is_blank(as_member, thread):
    response = as_member.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "   "})
    assert codes_of(response)["body"] == ["blank"]


def test_a_post_over_the_service_limit_is_max_length(as_member, thread, settings):
    too_long = "word " * (settings.STOA["POST_MAX_LENGTH"] // 5 + 10)
    response = as_member.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": too_long})
    assert codes_of(response) == {"body": ["max_length"]}


def test_a_repeated_reply_is_a_duplicate(as_member, thread):
    url = f"/api/v1/threads/{thread.pk}/posts/"
    assert as_member.post(url, {"body": "Same words twice"}).status_code == 201
    response = as_member.post(url, {"body": "Same  words twice"})
    assert codes_of(response) == {"body": ["duplicate"]}
    assert thread.posts.count() == 2


def test_an_unknown_category_and_bad_choices_have_their_codes(as_member, as_moderator, thread):
    response = as_member.post(
        "/api/v1/threads/", {"category": "no-such", "title": "T", "body": "B"}, format="json"
    )
    assert codes_of(response) == {"category": ["does_not_exist"]}
    response = as_member.post(
        f"/api/v1/threads/{thread.pk}/subscription/", {"level": "loud"}, format="json"
    )
    assert codes_of(response) == {"level": ["invalid_choice"]}
    response = as_member.get("/api/v1/threads/?pinned=maybe")
    assert codes_of(response) == {"pinned": ["invalid_choice"]}


def test_an_invalid_cursor_and_a_blank_parameter_have_their_codes(as_member):
    assert codes_of(as_member.get("/api/v1/changes/?after=nonsense")) == {
        "after": ["invalid_cursor"]
    }
    assert codes_of(as_member.get("/api/v1/threads/?updated_since=")) == {
        "updated_since": ["blank"]
    }


def test_a_search_form_error_keeps_its_code(anon):
    response = anon.get("/api/v1/search/?q=")
    codes = codes_of(response)
    assert codes["q"]
    assert all(code for code in codes["q"])


def test_reporting_a_post_twice_is_a_duplicate(as_other, thread):
    post = thread.posts.get()
    url = f"/api/v1/posts/{post.pk}/report/"
    first = as_other.post(url, {"reason": "spam"}, format="json")
    assert first.status_code == 201, first.content
    assert codes_of(as_other.post(url, {"reason": "spam"}, format="json")) == {
        "post": ["duplicate"]
    }


def test_the_schema_declares_field_codes(client):
    spec = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["properties"]["field_codes"]["additionalProperties"]["items"] == {"type": "string"}
    assert "duplicate" in error["properties"]["field_codes"]["description"]
