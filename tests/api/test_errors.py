from __future__ import annotations

import encodings.aliases
import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from forum.models import Post
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


def raw_post(client, url, body: bytes, content_type="application/json"):
    return client.generic("POST", url, body, content_type=content_type)


def test_malformed_json_is_400(as_member, thread):
    response = raw_post(as_member, f"/api/v1/threads/{thread.pk}/posts/", b'{"body": ')
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_deeply_nested_json_is_400_not_a_crash(as_member, thread):
    bomb = b'{"body": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = raw_post(as_member, f"/api/v1/threads/{thread.pk}/posts/", bomb)
    assert response.status_code in (400, 413)
    thread.refresh_from_db()
    assert thread.post_count == 1


def test_nan_and_huge_numbers_are_400(as_member, thread):
    url = f"/api/v1/threads/{thread.pk}/read/"
    assert raw_post(as_member, url, b'{"number": NaN}').status_code == 400
    assert raw_post(as_member, url, b'{"number": ' + b"9" * 5000 + b"}").status_code == 400
    assert raw_post(as_member, url, b'{"number": 1e400}').status_code == 400


def test_json_body_over_the_upload_limit_is_413_before_parsing(as_member, thread, settings):
    body = json.dumps({"body": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}).encode()
    response = raw_post(as_member, f"/api/v1/threads/{thread.pk}/posts/", body)
    assert response.status_code == 413
    assert error_of(response) == {
        "code": "request_too_large",
        "message": "The request body is too large.",
    }
    assert not Post.objects.filter(number=2).exists()


def test_wrong_types_are_400_with_field_messages(as_member, thread):
    for payload in ([1, 2], "just a string", 42, None):
        response = raw_post(
            as_member, f"/api/v1/threads/{thread.pk}/posts/", json.dumps(payload).encode()
        )
        assert response.status_code == 400, payload
        assert "fields" in error_of(response)


def test_unsupported_media_type_and_method(as_member, thread):
    response = raw_post(as_member, f"/api/v1/threads/{thread.pk}/posts/", b"body=x", "text/plain")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"
    response = as_member.put(f"/api/v1/threads/{thread.pk}/posts/", {"body": "x"})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_huge_ids_in_urls_are_404(as_member):
    for url in (
        f"/api/v1/posts/{10**30}/",
        f"/api/v1/threads/{2**63}/",
        f"/api/v1/threads/{10**20}/posts/",
    ):
        response = as_member.get(url)
        assert response.status_code == 404, url
        assert error_of(response)["code"] == "not_found"


def test_validation_error_shape(as_member, thread):
    response = as_member.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": ""})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["fields"]["body"]
    assert error["message"] == error["fields"]["body"][0]


def test_permission_error_shape(as_other, thread):
    post = thread.posts.get()
    response = as_other.patch(f"/api/v1/posts/{post.pk}/", {"body": "mine now"})
    assert response.status_code == 403
    assert error_of(response) == {
        "code": "permission_denied",
        "message": "You cannot edit this post.",
    }


def test_markdown_bomb_is_refused_or_bounded(as_member, thread):
    for body in (">" * 1000 + " deep", "[" * 13000, "> " * 5000 + "x"):
        response = as_member.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": body})
        assert response.status_code in (201, 400)


def test_schema_and_docs_are_served_without_outside_resources(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    spec = json.loads(schema.content)
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/threads/{id}/posts/" in spec["paths"]
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "<script>" not in html.replace(" ", "")  # no inline script: CSP script-src 'self'
    assert "https://" not in html
    assert "script-src 'self'" in docs["Content-Security-Policy"]
    init = client.get("/api/docs/?script=")
    assert init.status_code == 200


def test_unknown_api_urls_are_json_404_even_for_writes_with_a_session(member):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    for method, url in [
        ("get", "/api/v1/posts/null/"),
        ("delete", "/api/v1/posts/-1/"),
        ("post", "/api/v1/threads/abc/lock/"),
        ("get", "/api/v2/threads/"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json"
        assert error_of(response)["code"] == "not_found"


def test_options_requests_answer_the_allowed_methods(as_member):
    for url in ("/api/v1/me/avatar/", "/api/v1/me/", "/api/v1/threads/"):
        response = as_member.options(url)
        assert response.status_code == 200
        assert "OPTIONS" in response["Allow"]


@pytest.mark.parametrize("url", ["/api/v1/threads/", "/api/v1/categories/", "/api/v1/changes/"])
def test_options_answers_the_methods_allow_lists(anon, url):
    response = anon.options(url)
    assert response.status_code == 200
    allowed = {m.strip() for m in response["Allow"].split(",")}
    assert "OPTIONS" in allowed
    assert set(response.json()["allowed_methods"]) == allowed


def test_a_stale_token_on_a_public_read_is_a_clear_401(anon, thread):
    anon.credentials(HTTP_AUTHORIZATION="Bearer " + "0" * 64)
    response = anon.get("/api/v1/threads/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response["WWW-Authenticate"]


@pytest.mark.parametrize(
    "charset", ["rot13", "base64", "punycode", "idna", "", "no-such-charset", "hex", "uu"]
)
def test_a_json_body_in_an_unknown_charset_is_400(as_member, thread, charset):
    # Raw bytes through Django's client: the API client would encode the body in that charset.
    client = Client(HTTP_AUTHORIZATION=as_member._credentials["HTTP_AUTHORIZATION"])
    response = client.generic(
        "POST",
        f"/api/v1/threads/{thread.pk}/posts/",
        b'{"body": "Hello"}',
        content_type="application/json",
        CONTENT_TYPE=f"application/json; charset={charset}",
    )
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "parse_error"
    assert not thread.posts.filter(number=2).exists()


def _post_json_in(client, thread, charset: str, body: bytes):
    return client.generic(
        "POST",
        f"/api/v1/threads/{thread.pk}/posts/?page=1",
        body,
        content_type="application/json",
        CONTENT_TYPE=f"application/json; charset={charset}",
    )


def test_an_unreadable_charset_is_400_even_on_a_read(as_member, thread):
    # Django would decode the query string in the declared charset, wherever it is first read.
    client = Client(HTTP_AUTHORIZATION=as_member._credentials["HTTP_AUTHORIZATION"])
    for charset in ("rot13", "punycode", ""):
        response = client.get(
            "/api/v1/threads/?q=%C3%A9", CONTENT_TYPE=f"application/json; charset={charset}"
        )
        assert response.status_code == 400, (charset, response.content)
        assert error_of(response)["code"] == "parse_error"


_CODEC_NAMES = sorted(
    set(encodings.aliases.aliases)
    | set(encodings.aliases.aliases.values())
    | {"rot13", "punycode", "idna", "base64", "undefined", "unicode_escape", ""}
)


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(charset=st.sampled_from(_CODEC_NAMES), text=st.text(max_size=20))
def test_any_codec_name_as_charset_is_answered_never_a_500(as_member, thread, charset, text):
    client = Client(HTTP_AUTHORIZATION=as_member._credentials["HTTP_AUTHORIZATION"])
    document = json.dumps({"body": text or "x"})
    try:
        body = document.encode(charset)
    except Exception:  # a codec that cannot write it: the body goes as UTF-8 then
        body = document.encode()
    response = _post_json_in(client, thread, charset, body)
    # Read (a post, or a refusal of its text or of posting so fast) or refused as unreadable.
    assert response.status_code in (201, 400, 429), (charset, response.content)
    if response.status_code == 400:
        assert error_of(response)["code"] in ("parse_error", "invalid")
