from __future__ import annotations

import pytest
from django.urls import reverse

from forum import services
from forum.models import Post
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_index_lists_categories_and_threads(client, thread):
    response = client.get(reverse("forum:index"))
    assert response.status_code == 200
    assert thread.title.encode() in response.content
    assert thread.category.name.encode() in response.content


def test_thread_page_shows_posts_and_redirects_wrong_slug(client, thread):
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    assert b"First post." in response.content
    response = client.get(reverse("forum:thread", kwargs={"pk": thread.pk, "slug": "wrong"}))
    assert response.status_code == 301
    assert response["Location"] == thread.get_absolute_url()


def test_thread_page_costs_the_same_queries_whatever_its_size(
    client, member, make_thread, django_assert_num_queries
):
    small = make_thread(member, replies=1)
    big = make_thread(member, replies=15)
    client.force_login(member)
    client.get(small.get_absolute_url())  # warm the session and last-seen write

    def count(url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    assert count(small.get_absolute_url()) == count(big.get_absolute_url())


def test_reply_through_the_form(client, member, thread):
    client.force_login(member)
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "Web reply"})
    assert response.status_code == 302
    assert thread.posts.filter(number=2, source="Web reply").exists()


def test_reply_form_errors_are_shown_not_500(client, member, thread):
    client.force_login(member)
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "   "})
    assert response.status_code == 200
    assert thread.posts.count() == 1


def test_anonymous_reply_redirects_to_login(client, thread):
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "hi"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert thread.posts.count() == 1


def test_post_without_csrf_token_is_refused(member, thread):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "forged"})
    assert response.status_code == 403
    assert thread.posts.count() == 1


def test_login_is_csrf_protected(member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": member.username, "password": PASSWORD})
    assert response.status_code == 403


def test_editing_another_members_post_is_forbidden(client, other_member, thread):
    post = thread.posts.get()
    client.force_login(other_member)
    assert client.get(reverse("forum:post_edit", args=[post.pk])).status_code == 403
    response = client.post(reverse("forum:post_edit", args=[post.pk]), {"body": "Hijack"})
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.source == "First post."


def test_delete_requires_post_method(client, member, thread):
    post = thread.posts.get()
    client.force_login(member)
    assert client.get(reverse("forum:post_delete", args=[post.pk])).status_code == 405
    post.refresh_from_db()
    assert post.state == Post.State.VISIBLE


def test_hidden_post_text_is_not_shown_to_members(client, member, moderator, thread):
    reply = services.post_reply(author=member, thread=thread, body="secret words here")
    services.post_hide(actor=moderator, post=reply)
    response = client.get(thread.get_absolute_url())
    assert b"secret words here" not in response.content
    assert b"hidden by a moderator" in response.content
    client.force_login(moderator)
    assert b"secret words here" in client.get(thread.get_absolute_url()).content


def test_search_finds_visible_posts_only(client, member, moderator, thread):
    reply = services.post_reply(author=member, thread=thread, body="kettlebell secret")
    services.post_reply(author=member, thread=thread, body="kettlebell swings")
    services.post_hide(actor=moderator, post=reply)
    response = client.get(reverse("forum:search"), {"q": "kettlebell"})
    assert b"<mark>kettlebell</mark> swings" in response.content
    assert b"secret" not in response.content


def test_script_in_title_and_body_is_escaped(client, member, make_thread):
    thread = make_thread(
        member, title="<script>alert(1)</script>", body="<img src=x onerror=alert(1)>"
    )
    content = client.get(thread.get_absolute_url()).content
    assert b"<script>alert(1)</script>" not in content
    assert b"<img src=x onerror" not in content


def test_search_snippet_does_not_show_text_quoted_from_a_hidden_post(
    client, member, other_member, moderator, thread
):
    source = services.post_reply(author=other_member, thread=thread, body="private phrase zebra")
    services.post_reply(
        author=member,
        thread=thread,
        body=f'[quote="{other_member.username}" post={source.pk}]private phrase zebra[/quote]\n\n'
        "searchable kettlebell answer",
    )
    services.post_hide(actor=moderator, post=source)
    response = client.get(reverse("forum:search"), {"q": "kettlebell"})
    assert b"searchable <mark>kettlebell</mark> answer" in response.content
    assert b"zebra" not in response.content


def test_reply_flood_through_the_pages_is_throttled(client, member, thread, monkeypatch):
    from django.core.cache import cache

    from core import throttles

    cache.clear()
    monkeypatch.setattr(throttles.PostUserThrottle, "rate", "5/min", raising=False)
    client.force_login(member)
    codes = [
        client.post(reverse("forum:reply", args=[thread.pk]), {"body": f"flood {i}"}).status_code
        for i in range(8)
    ]
    assert codes == [302] * 5 + [429] * 3
    thread.refresh_from_db()
    assert thread.post_count == 6 == thread.posts.count()
    cache.clear()


@pytest.mark.parametrize("per_page", [5, 20])
def test_thread_pages_are_ranges_of_post_numbers(
    client, member, moderator, make_thread, settings, per_page
):
    """Any page of a thread, the last of a long one too, costs the queries of page 1: no COUNT
    (the thread's last number says how many) and no OFFSET (a range of post numbers)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.STOA = {**settings.STOA, "POSTS_PER_PAGE": per_page}
    thread = make_thread(member, replies=44)  # 45 posts
    services.post_hide(actor=moderator, post=thread.posts.get(number=44))
    last = -(-45 // per_page)
    captured = []
    for page in (1, last):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{thread.get_absolute_url()}?page={page}")
        assert response.status_code == 200
        captured.append(ctx.captured_queries)
    # thread, posts, their notices (none quotes: no quotes are read)
    assert len(captured[0]) == len(captured[1]) == 3
    sql = " ".join(q["sql"] for q in captured[1]).upper()
    assert "COUNT(" not in sql and "OFFSET" not in sql
    numbers = [post.number for post in response.context["page"]]
    assert numbers == list(range((last - 1) * per_page + 1, 46))
    assert response.context["page"].paginator.num_pages == last
    # The hidden post keeps its place as a placeholder: the numbering stays exact.
    assert 'id="post-44"' in response.content.decode()


@pytest.mark.parametrize("charset", ["rot13", "base64", "punycode", "idna", "", "no-such-charset"])
def test_a_form_posted_in_an_unreadable_charset_is_400_not_500(client, member, thread, charset):
    client.force_login(member)
    # Raw bytes: the test client would encode the form in the charset it names.
    response = client.generic(
        "POST",
        reverse("forum:reply", args=[thread.pk]),
        b"body=Caf%C3%A9+reply",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 400, response.content
    assert b"charset" in response.content
    assert not thread.posts.filter(number=2).exists()


def test_a_form_posted_in_utf_8_is_read_and_another_real_charset_refused(client, member, thread):
    client.force_login(member)
    url = reverse("forum:reply", args=[thread.pk])
    form = "application/x-www-form-urlencoded; charset="
    # URL-encoded forms are UTF-8 (Django refuses any other charset with a 400).
    response = client.generic("POST", url, b"body=Caf%E9+reply", content_type=form + "latin-1")
    assert response.status_code == 400
    response = client.generic("POST", url, b"body=Caf%C3%A9+reply", content_type=form + "UTF-8")
    assert response.status_code == 302, response.content
    assert thread.posts.filter(number=2, source="Café reply").exists()
