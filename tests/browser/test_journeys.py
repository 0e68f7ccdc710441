"""The journeys a member takes, in a real Chromium against the live server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.middleware import LAST_SEEN_RESOLUTION
from accounts.models import User
from forum import services
from forum.models import Post, Thread
from moderation.models import Review
from tests.browser.conftest import PHONE, screenshot
from tests.factories import CategoryFactory, UserFactory, restore_moderators_group

pytestmark = pytest.mark.django_db(transaction=True)

ADVICE = (
    "I have had a sharp pain in my mid back for three days and it hurts when I breathe. "
    "Any ideas what it could be? Should I be worried?"
)
TECHNIQUE = "What is the best grip width for bench press to build chest? I use shoulder width."


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_sign_up_activate_start_a_thread_get_quoted_and_mentioned(new_page, axe_scan):
    category = CategoryFactory(name="Training", slug="training")
    bruno = UserFactory(username="bruno")
    established = timezone.now() - timedelta(days=30)
    User.objects.filter(pk=bruno.pk).update(date_joined=established, post_count=50)

    # Sign up, activate from the e-mail, sign in.
    page = new_page()
    page.goto("/accounts/signup/")
    axe_scan(page)
    page.get_by_label("Username").fill("kim")
    page.get_by_label("Email").fill("kim@example.org")
    page.locator("#id_password1").fill("a long and quiet passphrase")
    page.locator("#id_password2").fill("a long and quiet passphrase")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/activate/\S+", mail.outbox[0].body).group(0)
    # The link only opens a confirmation page; activating is a POST that signs nobody in.
    page.goto(link)
    page.get_by_role("button", name="Activate kim").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your account is active").is_visible()
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("kim")
    page.get_by_label("Password").fill("a long and quiet passphrase")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="kim").is_visible()

    # Start a thread.
    page.goto(category.get_absolute_url())
    page.get_by_role("link", name="New thread").click()
    page.get_by_label("Title").fill("Deadlift lockout")
    page.get_by_label("Your post").fill("My hips shoot up before the bar leaves the floor.")
    page.get_by_role("button", name="Post thread").click()
    page.wait_for_url(re.compile(r"/t/\d+/deadlift-lockout/"))
    thread = Thread.objects.get(title="Deadlift lockout")

    # A second member quotes a selection and mentions the first.
    other = new_page(user=bruno)
    other.goto(thread.get_absolute_url())
    axe_scan(other)
    other.evaluate(
        """() => {
            const body = document.querySelector('#post-1 .body p');
            const text = body.firstChild;
            const start = text.textContent.indexOf('hips shoot up');
            const range = document.createRange();
            range.setStart(text, start);
            range.setEnd(text, start + 'hips shoot up'.length);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }"""
    )
    other.locator("#post-1").get_by_role("link", name=re.compile("^Quote")).click()
    composer = other.get_by_label("Your post")
    first = Post.objects.get(thread=thread, number=1)
    assert composer.input_value().strip() == f'[quote="kim" post={first.pk}]hips shoot up[/quote]'
    composer.press("End")
    composer.type("Brace harder first, @kim.")

    # Preview shows the rendered text and saves nothing.
    other.get_by_role("button", name="Preview").click()
    other.wait_for_load_state()
    preview = other.locator("section.preview")
    assert "Brace harder first" in preview.inner_text()
    assert preview.locator("a.mention").inner_text() == "@kim"
    assert Post.objects.filter(thread=thread).count() == 1
    assert "Brace harder first, @kim." in other.get_by_label("Your post").input_value()
    axe_scan(other)
    other.get_by_role("button", name="Post reply").click()
    other.wait_for_url(re.compile(r"#post-2$"))
    assert Post.objects.filter(thread=thread).count() == 2

    # The first member sees the count in the header and the entry on /notifications/.
    page.goto("/")
    page.get_by_role("link", name="Notifications 1 unread").click()
    entry = page.locator("ol.notifications > li.unread")
    assert entry.count() == 1
    assert "bruno quoted you in “Deadlift lockout”" in entry.inner_text()
    axe_scan(page)

    # The profile.
    page.goto("/accounts/u/kim/")
    axe_scan(page)


def test_the_notice_shows_on_a_medical_question_and_a_moderator_dismisses_it(
    new_page, member, moderator, category
):
    # The Moderators group's admin permissions come from a data migration, which the flush
    # between live-server tests removes.
    restore_moderators_group()
    asks = services.thread_create(author=member, category=category, title="Back", body=ADVICE)
    technique = services.thread_create(
        author=member, category=category, title="Bench", body=TECHNIQUE
    )
    page = new_page(user=member)
    page.goto(asks.get_absolute_url())
    assert page.locator("#post-1 aside.notice").count() == 1
    page.goto(technique.get_absolute_url())
    assert page.locator("#post-1 aside.notice").count() == 0

    review = Review.objects.get(post__thread=asks)
    admin = new_page(user=moderator)
    admin.set_default_timeout(30_000)  # the admin loads many files; the machine may be busy
    admin.goto("/admin/moderation/review/")
    admin.locator(f'input[name="_selected_action"][value="{review.pk}"]').check()
    admin.locator('select[name="action"]').select_option("dismiss")
    admin.get_by_role("button", name="Go").click()
    # A bulk decision is previewed first: confirm it.
    admin.get_by_role("button", name=re.compile(r"^Yes, ")).click()
    admin.wait_for_load_state()
    page.goto(asks.get_absolute_url())
    assert page.locator("#post-1 aside.notice").count() == 0


def test_search_finds_a_post(new_page, member, make_thread):
    make_thread(member, title="Grip", body="Chalk helps a hook grip on heavy pulls.")
    page = new_page()
    page.goto("/")
    page.get_by_role("searchbox", name="Search").fill("hook grip")
    page.get_by_role("searchbox", name="Search").press("Enter")
    page.wait_for_url("**/search/?q=hook+grip")
    assert "Chalk helps a hook grip" in page.locator("main").inner_text()


def test_a_session_older_than_the_last_seen_resolution_still_gets_pages(new_page, member):
    page = new_page(user=member)
    assert page.goto("/").status == 200
    User.objects.filter(pk=member.pk).update(
        last_seen=timezone.now() - LAST_SEEN_RESOLUTION - timedelta(minutes=1)
    )
    response = page.goto("/")
    assert response.status == 200
    assert page.get_by_role("button", name="Log out").is_visible()
    member.refresh_from_db()
    assert timezone.now() - member.last_seen < timedelta(minutes=1)


def test_a_thread_with_a_long_url_and_code_line_does_not_scroll_sideways_on_a_phone(
    new_page, axe_scan, member, other_member, make_thread
):
    url = "https://example.org/" + "a" * 280
    code = "x = " + "1 + " * 49
    body = (
        f"Programme notes: {url}\n\n```\n{code}\n```\n\n"
        "| lift | sets | reps |\n|---|---:|---:|\n| squat | 5 | 5 |\n\n"
        "# A heading that must not outrank the page\n\n~~old plan~~"
    )
    thread = make_thread(member, title="Programme review", body=body)
    services.post_reply(author=other_member, thread=thread, body="Looks solid. Add rows?")
    for viewport, name in ((PHONE, "phone"), (None, "desktop")):
        page = new_page(user=other_member, viewport=viewport)
        page.goto(thread.get_absolute_url())
        assert no_horizontal_scroll(page), page.evaluate(
            "() => document.documentElement.scrollWidth"
        )
        assert page.locator("#post-1 .body table").is_visible()
        assert page.locator("#post-1 .body h3").inner_text().startswith("A heading")
        axe_scan(page)
        screenshot(page, f"thread-{name}")
    assert len(code) >= 200 and len(url) >= 300


def test_replying_to_a_thread_locked_while_typing_keeps_the_text(
    new_page, page_problems, member, moderator, make_thread
):
    page_problems.allow(r"status of 403")  # the refusal itself, shown with the text kept
    thread = make_thread(moderator, title="Locked soon")
    page = new_page(user=member)
    page.goto(thread.get_absolute_url())
    page.get_by_label("Your post").fill("A long reply I do not want to lose.")
    services.thread_lock(actor=moderator, thread=thread)
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_load_state()
    assert "locked" in page.locator(".errors").inner_text().lower()
    assert page.get_by_label("Your post").input_value() == "A long reply I do not want to lose."
    assert Post.objects.filter(thread=thread).count() == 1


def test_error_pages_are_in_the_layout_with_a_way_home(new_page, page_problems):
    page_problems.allow(r"status of 404")
    page = new_page()
    response = page.goto("/t/999999/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    page.get_by_role("link", name="Back to the front page").click()
    page.wait_for_url("**/")
