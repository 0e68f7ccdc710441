"""A moderator's day in Chromium at 1280 px: the queue puts urgent first, a confirmation can be
undone back to the automatic notice, a dismissal after a confirmation takes the notice off, a
hide that changes nothing says so and records nothing, and a suspension stops a member posting
on the page and through the API until it is lifted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken
from playwright.sync_api import expect
from rest_framework.test import APIClient

from forum import services as forum_services
from moderation import detector
from moderation.models import AuditLog, Notice, Review
from tests.factories import CategoryFactory, UserFactory, restore_moderators_group
from tests.moderation.conftest import stub_detect

pytestmark = pytest.mark.django_db(transaction=True)
# The admin loads many static files; on a busy two-core machine a page can take seconds.
expect.set_options(timeout=45_000)


@pytest.fixture(autouse=True)
def _stub_detector(monkeypatch):
    # The live server runs in this process: the same deterministic stand-in as the unit tests.
    monkeypatch.setattr(detector, "detect", stub_detect)


@pytest.fixture
def open_page(new_page):
    """A page with room for the admin's many static files on a busy two-core machine."""

    def make(**kwargs):
        page = new_page(**kwargs)
        page.set_default_timeout(45_000)
        return page

    return make


@pytest.fixture
def forum():
    restore_moderators_group()
    category = CategoryFactory(name="Injuries", slug="injuries")
    alice = UserFactory(username="alice")
    moderator = UserFactory(username="mod", moderator=True)
    advice = forum_services.thread_create(
        author=alice, category=category, title="Sore knee", body="[advice] my knee hurts, help?"
    )
    urgent = forum_services.thread_create(
        author=alice, category=category, title="On the bike", body="[urgent] chest pain on the bike"
    )
    # The advice post has waited longer; urgent still comes first.
    Review.objects.filter(post__thread=advice).update(queued=timezone.now() - timedelta(hours=3))
    return {
        "alice": alice,
        "moderator": moderator,
        "advice": advice.posts.get(),
        "urgent": urgent.posts.get(),
    }


def _review_page(page, post):
    page.goto(f"/admin/moderation/review/{post.review.pk}/change/")


def _decide(page, button: str):
    page.get_by_role("button", name=button).click()
    # Consequential decisions are previewed first.
    page.get_by_role("button", name=re.compile(r"^Yes, ")).click()
    # Back on the review page, with the outcome said.
    expect(page.locator("ul.messagelist")).to_be_visible()


def test_the_queue_puts_urgent_first(open_page, forum):
    page = open_page(user=forum["moderator"])
    page.goto("/admin/moderation/review/")
    rows = page.locator("#result_list tbody tr")
    assert "chest pain" in rows.nth(0).inner_text()
    assert "knee" in rows.nth(1).inner_text()
    # The marked cues fit on a 1280 px screen: no horizontal scrolling of the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def test_confirm_then_undo_restores_the_automatic_notice(open_page, forum):
    post = forum["advice"]
    page = open_page(user=forum["moderator"])
    _review_page(page, post)
    _decide(page, "Confirm: asks for medical advice")
    assert Notice.objects.get(post=post, removed__isnull=True).confirmed
    reader = open_page()
    reader.goto(post.get_absolute_url())
    expect(reader.get_by_text("Confirmed by the moderators.")).to_be_visible()
    page.get_by_role("button", name="Undo the confirmation").click()
    expect(page.get_by_text("Undone: the confirmation")).to_be_visible()
    notice = Notice.objects.get(post=post, removed__isnull=True)
    assert not notice.confirmed
    reader.reload()
    expect(reader.get_by_text("Added automatically")).to_be_visible()


def test_dismiss_after_confirm_removes_the_notice(open_page, forum):
    post = forum["advice"]
    page = open_page(user=forum["moderator"])
    _review_page(page, post)
    _decide(page, "Confirm: asks for medical advice")
    _decide(page, "Dismiss: no medical notice needed")
    assert not Notice.objects.filter(post=post, removed__isnull=True).exists()
    reader = open_page()
    reader.goto(post.get_absolute_url())
    expect(reader.locator("aside.notice")).to_have_count(0)


def test_a_no_op_hide_says_so_and_writes_no_audit_row(open_page, forum):
    post = forum["advice"]
    page = open_page(user=forum["moderator"])
    _review_page(page, post)
    _decide(page, "Hide the post")
    assert AuditLog.objects.filter(action="post.hide").count() == 1
    page.get_by_role("button", name="Hide the post").click()
    expect(page.get_by_text("nothing to change, so nothing was done or recorded")).to_be_visible()
    assert AuditLog.objects.filter(action="post.hide").count() == 1


def test_suspend_refuses_posting_on_the_page_and_the_api_then_lift(open_page, forum):
    alice = forum["alice"]
    thread = forum["urgent"].thread
    page = open_page(user=forum["moderator"])
    _review_page(page, forum["urgent"])
    page.get_by_role("link", name="Warn or suspend alice").click()
    page.get_by_label("Sanction").select_option("7d")
    page.get_by_label("Reason").fill("Selling supplements in every thread.")
    page.get_by_role("button", name="Save", exact=True).click()

    member = open_page(user=alice)
    member.goto(thread.get_absolute_url())
    expect(member.get_by_text("Your account is suspended until")).to_be_visible()
    expect(member.get_by_text("Selling supplements in every thread.")).to_be_visible()
    expect(member.locator("section.reply")).to_have_count(0)
    _, token = AuthToken.objects.create(user=alice)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/threads/{thread.pk}/posts/"
    assert api.post(url, {"body": "Still here"}, format="json").status_code == 403

    page.goto("/admin/accounts/sanction/")
    page.locator("#result_list tbody tr input.action-select").first.check()
    page.locator("select[name=action]").select_option("lift")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("Suspensions lifted: 1.")).to_be_visible()
    member.reload()
    expect(member.locator("section.reply")).to_have_count(1)
    assert api.post(url, {"body": "Back, and sorry"}, format="json").status_code == 201


def test_in_thread_tools_lock_pin_move_and_open_the_review(open_page, forum, axe_scan):
    thread = forum["urgent"].thread
    elsewhere = CategoryFactory(name="Cycling", slug="cycling")
    page = open_page(user=forum["moderator"])
    page.goto(thread.get_absolute_url())
    axe_scan(page)
    page.get_by_role("button", name="Lock thread").click()
    expect(page.get_by_text("The thread is locked.")).to_be_visible()
    page.get_by_role("button", name="Pin thread").click()
    expect(page.get_by_text("The thread is pinned.")).to_be_visible()
    page.get_by_label("Move to").select_option(label="Cycling")
    page.get_by_role("button", name="Move thread").click()
    expect(page.get_by_text("The thread is moved to Cycling.")).to_be_visible()
    thread.refresh_from_db()
    assert thread.is_locked and thread.is_pinned and thread.category == elsewhere
    assert [row.action for row in AuditLog.objects.filter(actor=forum["moderator"])] == [
        "thread.move",
        "thread.pin",
        "thread.lock",
    ]
    # The member reading it sees a locked thread and none of the tools.
    reader = open_page(user=forum["alice"])
    reader.goto(thread.get_absolute_url())
    expect(reader.get_by_text("This thread is locked.")).to_be_visible()
    expect(reader.get_by_role("button", name="Unlock thread")).to_have_count(0)
    page.get_by_role("link", name="Open in review queue post #1").click()
    expect(page).to_have_url(re.compile(rf"/admin/moderation/review/{forum['urgent'].review.pk}/"))
