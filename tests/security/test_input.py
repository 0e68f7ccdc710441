"""Input no column can hold: NUL characters anywhere, and time-zone offsets PostgreSQL
refuses. Each used to reach the database and come back as a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/search/?q=a%00b",
        "/api/v1/search/?q=a%00b",
        "/accounts/u/ali%00ce/",
        "/api/v1/users/ali%00ce/",
        "/api/v1/threads/?author=%00",
        "/?page=1%00",
    ],
)
def test_a_nul_in_a_url_or_query_is_a_400_not_a_500(client, member, url):
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert error["fields"]
        assert all(m == ["Null characters are not allowed."] for m in error["fields"].values())
    else:
        assert b"Null characters are not allowed." in response.content


def test_a_nul_in_a_page_form_is_refused_before_the_view(client, member, thread):
    client.force_login(member)
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "hi\x00there"})
    assert response.status_code == 400
    thread.refresh_from_db()
    assert thread.post_count == 1


def test_a_nul_anywhere_in_a_json_body_is_a_field_error(member, other_member, thread):
    client = bearer(member)
    response = client.post(
        f"/api/v1/threads/{thread.pk}/posts/", {"body": "fine", "extra": {"deep": ["x\x00"]}}
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "extra.deep.0": ["Null characters are not allowed."]
    }
    # Choice fields and the like too, not only text fields.
    post = thread.posts.get()
    response = bearer(other_member).post(
        f"/api/v1/posts/{post.pk}/report/", {"reason": "spam\x00", "comment": "x"}
    )
    assert response.status_code == 400
    thread.refresh_from_db()
    assert thread.post_count == 1


@pytest.mark.parametrize("param", ["updated_since", "since"])
@pytest.mark.parametrize("offset", ["%2B16:00", "-18:30", "%2B23:59"])
def test_a_date_filter_with_an_impossible_offset_is_a_400(client, thread, param, offset):
    base = "/api/v1/threads/" if param == "updated_since" else f"/api/v1/threads/{thread.pk}/posts/"
    response = client.get(f"{base}?{param}=2026-01-01T00:00:00{offset}")
    assert response.status_code == 400
    assert param in response.json()["error"]["fields"]


@pytest.mark.parametrize("offset", ["%2B15:59", "-15:59", "Z"])
def test_a_date_filter_with_a_real_offset_works(client, thread, offset):
    response = client.get(f"/api/v1/threads/?updated_since=2000-01-01T00:00:00{offset}")
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["results"]] == [thread.pk]
