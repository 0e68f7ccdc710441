"""Notifications and unread markers, in a real browser."""

from __future__ import annotations

import pytest

from forum import services
from tests.browser.conftest import PHONE, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_member_sees_the_count_opens_the_list_and_marks_all_read(
    new_page, axe_scan, member, other_member, make_thread
):
    thread = make_thread(member, title="Deadlift grip")
    services.post_reply(
        author=other_member, thread=thread, body=f"Try hook grip @{member.username}"
    )
    services.post_reply(author=other_member, thread=thread, body="Or straps for heavy sets.")
    page = new_page(user=member)
    page.goto("/")
    link = page.get_by_role("link", name="Notifications 2 unread")
    assert link.is_visible()
    axe_scan(page)
    link.click()
    page.wait_for_url("**/notifications/")
    entries = page.locator("ol.notifications > li.unread")
    assert entries.count() == 2
    assert "Or straps for heavy sets." in entries.first.inner_text()
    axe_scan(page)
    screenshot(page, "notifications-desktop")
    page.get_by_role("button", name="Mark all 2 read").click()
    page.wait_for_load_state()
    assert page.locator("ol.notifications > li.unread").count() == 0
    assert page.get_by_role("link", name="Notifications", exact=True).is_visible()


def test_opening_a_notification_goes_to_the_post_and_settles_it(
    new_page, member, other_member, make_thread
):
    thread = make_thread(member, title="Squat depth")
    reply = services.post_reply(author=other_member, thread=thread, body="Below parallel is fine.")
    page = new_page(user=member, viewport=PHONE)
    page.goto("/notifications/")
    page.get_by_role("link", name=f"{other_member.name} replied in “Squat depth”").click()
    page.wait_for_url(f"**{thread.get_absolute_url()}#post-{reply.number}")
    assert page.locator(f"#post-{reply.number}").is_visible()
    page.goto("/")
    assert page.get_by_role("link", name="Notifications", exact=True).is_visible()
    # The unread marker on the index is gone too: the page was read through its last post.
    assert page.locator(".thread-row .badge-new").count() == 0
