"""A member reading with the page cache on (as in production with Redis): pages come back from
the cache on reload, yet every change they make or that reaches them shows on the next page,
and the forms of a page from the cache work."""

from __future__ import annotations

import pytest

from forum import services
from tests.commit import committed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def page_cache(settings):
    from django.core.cache import cache

    settings.STOA = {**settings.STOA, "PAGE_CACHE_SECONDS": 300, "READER_PAGE_CACHE": True}
    cache.clear()
    yield
    cache.clear()


def served(response) -> str:
    return response.headers.get("x-page-cache", "")


def test_a_member_reads_replies_and_watches_through_cached_pages(
    new_page, axe_scan, member, other_member, make_thread
):
    thread = make_thread(member, title="Tempo squats", body="How slow should the descent be?")
    page = new_page(user=other_member)
    page.goto("/")
    row = page.locator(".thread-row", has_text="Tempo squats")
    assert row.locator(".badge-new").is_visible()

    # Open it from the index, come back: the row no longer says New.
    row.get_by_role("link", name="Tempo squats").click()
    page.wait_for_load_state()
    page.go_back()
    page.reload()
    assert not page.locator(".thread-row", has_text="Tempo squats").locator(".badge-new").count()

    # Reloading an unchanged thread page is answered from the cache.
    page.goto(thread.get_absolute_url())
    responses = [page.reload() for _ in range(3)]
    assert served(responses[-1]) == "hit"
    axe_scan(page)

    # A reply by someone else shows on the next reload.
    committed(services.post_reply)(
        author=UserFactory(), thread=thread, body="Three seconds down, then drive up."
    )
    assert served(page.reload()) != "hit"
    assert page.get_by_text("Three seconds down, then drive up.").is_visible()

    # A form of a page that came from the cache works (its CSRF token is the member's), and
    # the page after it shows the change and the message once. (The view that read the new
    # reply moved the read position: the view after it is the one kept.)
    page.reload()
    assert served(page.reload()) == "hit"
    page.get_by_role("button", name="Watch this thread").click()
    page.wait_for_load_state()
    assert page.get_by_text(
        "You are watching this thread: every reply will notify you."
    ).is_visible()
    page.reload()
    assert page.get_by_text("You are watching this thread: every reply notifies you.").is_visible()
    assert not page.get_by_text("every reply will notify you.").count()

    # A reply in the watched thread: the header's count on the index, from a stored page.
    page.goto("/")
    page.reload()
    committed(services.post_reply)(author=member, thread=thread, body="Also pause at the bottom.")
    page.reload()
    assert page.locator("header .count").is_visible()
