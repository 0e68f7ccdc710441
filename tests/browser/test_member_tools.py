"""Avatars, renaming, edit history, watch/mute and the report form, in a real browser."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from forum import services
from forum.models import Notification
from tests.browser.conftest import PHONE, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # The live server serves MEDIA_ROOT at MEDIA_URL, as the proxy does in production.
    settings.MEDIA_ROOT = tmp_path


def png(size=(400, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def loaded_width(page, selector: str) -> int:
    locator = page.locator(selector).first
    locator.scroll_into_view_if_needed()
    page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=locator.element_handle())
    return locator.evaluate("el => el.naturalWidth")


def test_a_member_uploads_an_avatar_that_shows_on_profile_and_posts(
    new_page, axe_scan, member, make_thread
):
    thread = make_thread(member, title="Rowing technique")
    page = new_page(user=member)
    page.goto("/accounts/profile/")
    assert page.locator(".avatar-default.avatar-large").is_visible()
    axe_scan(page)
    page.get_by_label("Picture").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": png()}
    )
    page.get_by_role("button", name="Upload picture").click()
    page.wait_for_load_state()
    assert page.get_by_text("Picture saved.").is_visible()
    assert loaded_width(page, "img.avatar-large") == 192
    page.goto(member.get_absolute_url())
    assert loaded_width(page, "img.avatar-large") == 192
    axe_scan(page)
    page.goto(thread.get_absolute_url())
    assert loaded_width(page, "#post-1 img.avatar-small") == 64
    screenshot(page, "thread-with-avatar-desktop")


def test_a_picture_that_is_not_an_image_is_refused_with_the_reason(new_page, page_problems, member):
    page_problems.allow(r"status of 400 .*/accounts/profile/avatar/")
    page = new_page(user=member, viewport=PHONE)
    page.goto("/accounts/profile/")
    page.get_by_label("Picture").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": b"not an image at all"}
    )
    page.get_by_role("button", name="Upload picture").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").inner_text().strip() == (
        "Upload a valid PNG, JPEG, WebP or GIF image."
    )
    assert page.locator(".avatar-default.avatar-large").is_visible()


def test_the_author_renames_the_thread_and_reads_the_edit_history(
    new_page, axe_scan, member, make_thread
):
    thread = make_thread(member, title="Bench pres", body="Arch or flat back?\nAsking for a PR.")
    post = thread.posts.get()
    services.post_edit(editor=member, post=post, body="Arch or flat back?\nAsking for a meet.")
    page = new_page(user=member)
    page.goto(thread.get_absolute_url())
    page.get_by_role("link", name="Rename thread").click()
    page.get_by_label("Title").fill("Bench press: arch or flat?")
    page.get_by_role("button", name="Save title").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Bench press: arch or flat?"
    assert page.get_by_text("The thread is renamed.").is_visible()

    page.get_by_role("link", name="edited 1 time").click()
    page.wait_for_url(f"**/p/{post.pk}/history/")
    assert page.locator("del.diff-removed").inner_text().endswith("Asking for a PR.")
    assert page.locator("ins.diff-added").inner_text().endswith("Asking for a meet.")
    axe_scan(page)
    screenshot(page, "post-history-desktop")


def test_a_member_watches_then_mutes_a_thread(
    new_page, axe_scan, member, other_member, make_thread
):
    thread = make_thread(member, title="Marathon taper")
    page = new_page(user=other_member, viewport=PHONE)
    page.goto(thread.get_absolute_url())
    assert page.get_by_text("only when quoted or mentioned").is_visible()
    page.get_by_role("button", name="Watch this thread").click()
    page.wait_for_load_state()
    assert page.get_by_text("You are watching this thread", exact=False).first.is_visible()
    services.post_reply(author=member, thread=thread, body="Two weeks is plenty.")
    assert Notification.objects.filter(recipient=other_member, kind="reply").count() == 1

    page.get_by_role("button", name="Mute this thread").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Unmute").is_visible()
    axe_scan(page)
    services.post_reply(author=member, thread=thread, body=f"@{other_member.username} agreed?")
    assert Notification.objects.filter(recipient=other_member).count() == 1


def test_report_reasons_are_one_labelled_group(new_page, axe_scan, member, other_member, thread):
    page = new_page(user=other_member)
    page.goto(thread.get_absolute_url())
    page.get_by_role("link", name="Report post #1").click()
    group = page.get_by_role("group", name="Reason")
    assert group.get_by_role("radio").count() >= 3
    axe_scan(page)
