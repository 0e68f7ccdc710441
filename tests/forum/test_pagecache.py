"""The anonymous page cache (forum.pagecache): served from the cache, and never stale after
any kind of write, on the pages and through the API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from accounts import services as account_services
from forum import pagecache, services
from forum.models import Post
from moderation import services as moderation_services
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.STOA = {**settings.STOA, "PAGE_CACHE_SECONDS": 300}
    cache.clear()
    yield
    cache.clear()


def pages(thread) -> list[str]:
    return [
        thread.get_absolute_url(),
        thread.category.get_absolute_url(),
        "/",
        f"/api/v1/threads/{thread.pk}/posts/",
        f"/api/v1/threads/{thread.pk}/",
    ]


def read(url: str, client: Client | None = None):
    response = (client or Client()).get(url)
    assert response.status_code == 200, url
    return response


def test_an_anonymous_page_is_served_from_the_cache_the_second_time(thread):
    url = thread.get_absolute_url()
    first, second = read(url), read(url)
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert first.content == second.content
    assert second["Content-Type"].startswith("text/html")
    assert "Content-Security-Policy" in second and second["X-Frame-Options"] == "DENY"


def test_an_unchanged_page_is_a_304_before_the_view_runs(thread, django_assert_num_queries):
    url = thread.get_absolute_url()
    etag = read(url)["ETag"]
    with django_assert_num_queries(0):
        response = Client().get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    services.post_reply(author=thread.author, thread=thread, body="A new answer")
    assert Client().get(url, headers={"If-None-Match": etag}).status_code == 200


def test_members_and_api_tokens_are_never_served_from_the_cache(thread, member):
    url = thread.get_absolute_url()
    read(url), read(url)
    signed_in = Client()
    signed_in.force_login(member)
    response = read(url, signed_in)
    assert "X-Page-Cache" not in response
    assert b"Log out" in response.content
    api = Client(headers={"Authorization": "Bearer not-a-real-token"})
    assert "X-Page-Cache" not in api.get(f"/api/v1/threads/{thread.pk}/posts/")


def _reply(thread, moderator, member):
    services.post_reply(author=member, thread=thread, body="Zucchini smoothie after runs")
    return "Zucchini smoothie"


def _edit(thread, moderator, member):
    post = thread.posts.get(number=1)
    services.post_edit(editor=post.author, post=post, body="Edited: quinoa bowls instead")
    return "quinoa bowls"


def _hide(thread, moderator, member):
    reply = services.post_reply(author=member, thread=thread, body="Spam about xylophones")
    read(thread.get_absolute_url())  # cached with the reply in it
    services.post_hide(actor=moderator, post=reply)
    return "!xylophones"


def _restore(thread, moderator, member):
    reply = services.post_reply(author=member, thread=thread, body="Kettlebell juggling tips")
    services.post_hide(actor=moderator, post=reply)
    read(thread.get_absolute_url())
    services.post_restore(actor=moderator, post=Post.objects.get(pk=reply.pk))
    return "Kettlebell juggling"


def _delete(thread, moderator, member):
    reply = services.post_reply(author=member, thread=thread, body="Oops wrong thread, yodel")
    read(thread.get_absolute_url())
    services.post_delete(actor=member, post=reply)
    return "!yodel"


def _rename(thread, moderator, member):
    services.thread_edit_title(actor=moderator, thread=thread, title="Renamed: rowing drills")
    return "Renamed: rowing drills"


def _move(thread, moderator, member):
    target = CategoryFactory(name="Rowing corner")
    services.thread_move(actor=moderator, thread=thread, category=target)
    return "Rowing corner"


def _lock(thread, moderator, member):
    services.thread_lock(actor=moderator, thread=thread)
    return "locked"


def _notice(thread, moderator, member):
    moderation_services.notice_add(
        moderator=moderator,
        post=thread.posts.get(number=1),
        severity="advice",
        text="Please see a physiotherapist about persistent ankle pain.",
    )
    return "see a physiotherapist"


def _display_name(thread, moderator, member):
    account_services.profile_update(user=thread.author, changes={"display_name": "Wanda Lifts"})
    return "Wanda Lifts"


WRITES: dict[str, Callable] = {
    "reply": _reply,
    "edit": _edit,
    "hide": _hide,
    "restore": _restore,
    "delete": _delete,
    "rename": _rename,
    "move": _move,
    "lock": _lock,
    "notice": _notice,
    "display name": _display_name,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_kind_of_write_is_seen_by_the_next_anonymous_read(write, thread, moderator, member):
    urls = pages(thread)
    for url in urls:
        read(url), read(url)  # the second one comes from the cache
    expected = write(thread, moderator, member)
    thread.refresh_from_db()
    thread_page = read(thread.get_absolute_url()).content.decode()
    api_posts = read(f"/api/v1/threads/{thread.pk}/posts/").content.decode()
    api_thread = read(f"/api/v1/threads/{thread.pk}/").content.decode()
    if expected.startswith("!"):
        assert expected[1:] not in thread_page and expected[1:] not in api_posts
    elif expected == "locked":
        assert "locked" in thread_page.lower() and '"is_locked":true' in api_thread
    elif expected == "Rowing corner":
        assert expected in thread_page and expected in api_thread
    elif expected == "Renamed: rowing drills":
        assert expected in thread_page and expected in api_thread
        assert expected in read("/").content.decode()
    else:
        assert expected in thread_page and expected in api_posts


def test_a_write_inside_a_transaction_is_seen_after_its_commit(thread, member):
    """The commit bumps the version again: a page stored from the old rows between the write
    and its commit is not served after the commit."""
    url = thread.get_absolute_url()
    read(url)
    before = pagecache.version()
    from tests.commit import committed

    committed(services.post_reply)(author=member, thread=thread, body="Committed muesli")
    assert pagecache.version() >= before + 2  # at the write and at the commit
    assert "Committed muesli" in read(url).content.decode()


def test_last_seen_updates_do_not_empty_the_cache(thread, member):
    before = pagecache.version()
    member.save(update_fields=["last_seen"])
    assert pagecache.version() == before
