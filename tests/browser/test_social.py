"""Reactions, blocking, bookmarks and followed threads, as a member does them in a browser."""

from __future__ import annotations

import pytest

from forum import services
from forum.models import Block, Bookmark, Reaction
from tests.browser.conftest import PHONE, screenshot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scene(member, make_thread):
    pest = UserFactory(username="pest", display_name="Pest")
    thread = make_thread(member, title="Deadlift grip", body="Hook grip or mixed grip?")
    services.post_reply(author=pest, thread=thread, body="Mixed grip tears biceps, loser.")
    return thread, pest


def test_react_bookmark_block_and_follow(new_page, axe_scan, other_member, scene):
    thread, pest = scene
    page = new_page(user=other_member)
    page.goto(thread.get_absolute_url())
    axe_scan(page)

    # React: the script updates the button in place (no reload: the URL keeps no anchor).
    thanks = page.locator("#post-1 button.reaction[data-kind='thanks']")
    assert thanks.get_attribute("aria-pressed") == "false"
    thanks.click()
    page.wait_for_function(
        "() => document.querySelector(\"#post-1 button[data-kind='thanks']\")"
        ".getAttribute('aria-pressed') === 'true'"
    )
    assert thanks.locator(".reaction-count").inner_text() == "1"
    assert page.url.endswith(thread.get_absolute_url())
    assert Reaction.objects.filter(user=other_member, kind="thanks").count() == 1
    # And back off again.
    thanks.click()
    page.wait_for_function(
        "() => document.querySelector(\"#post-1 button[data-kind='thanks']\")"
        ".getAttribute('aria-pressed') === 'false'"
    )
    assert not Reaction.objects.exists()
    thanks.click()
    page.wait_for_function(
        '() => document.querySelector("#post-1 .reaction-count") !== null &&'
        " document.querySelector(\"#post-1 button[data-kind='thanks']\")"
        ".getAttribute('aria-pressed') === 'true'"
    )

    # Bookmark the first post, then find it on the Bookmarks page.
    page.locator("#post-1 .action-bookmark button").click()
    page.wait_for_load_state()
    assert page.get_by_text("Post #1 is in your bookmarks.").is_visible()
    page.get_by_role("link", name="Bookmarks", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="“Deadlift grip” #1").is_visible()
    axe_scan(page)
    assert Bookmark.objects.filter(user=other_member).count() == 1

    # Block the pest from their profile: their post is collapsed behind a disclosure.
    page.goto(pest.get_absolute_url())
    page.get_by_role("button", name="Block Pest").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Unblock Pest").is_visible()
    assert Block.objects.filter(user=other_member, blocked=pest).exists()
    page.goto(thread.get_absolute_url())
    insult = page.get_by_text("Mixed grip tears biceps")
    assert not insult.is_visible()
    disclosure = page.locator("#post-2 summary")
    assert disclosure.inner_text() == "Post by a member you blocked — show"
    axe_scan(page)
    disclosure.click()
    assert insult.is_visible()

    # Follow the thread, then find it with its state on the Followed threads page.
    page.get_by_role("button", name="Watch this thread").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Following", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Deadlift grip").is_visible()
    axe_scan(page)

    # The account's list of blocked members unblocks.
    page.goto("/blocked/")
    axe_scan(page)
    page.get_by_role("button", name="Unblock Pest").click()
    page.wait_for_load_state()
    assert page.get_by_text("You have not blocked anyone.").is_visible()
    assert not Block.objects.exists()


def test_the_reaction_buttons_fit_a_phone(new_page, axe_scan, other_member, scene):
    thread, _ = scene
    page = new_page(user=other_member, viewport=PHONE)
    page.goto(thread.get_absolute_url())
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    page.locator("#post-2 button.reaction[data-kind='helpful']").click()
    page.wait_for_function(
        "() => document.querySelector(\"#post-2 button[data-kind='helpful']\")"
        ".getAttribute('aria-pressed') === 'true'"
    )
    axe_scan(page)
    screenshot(page, "thread-reactions-phone")
