"""A moderator's day in Chromium at 1280 px: the queue puts urgent first, a confirmation can be
undone back to the automatic notice, a dismissal after a confirmation takes the notice off, a
hide that changes nothing says so and records nothing, and a suspension stops a member posting
on the page and through the API until it is lifted. The queue (with its filters) and a review's
page fit the screen with nothing cut off or overlapping, pass axe, and work from the keyboard."""

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
from moderation import services as mod_services
from moderation.models import AuditLog, Notice, Report, Review
from tests.browser.conftest import screenshot
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
    # The click returns before the admin has saved; the member's page must come after.
    expect(page.get_by_text("was added successfully")).to_be_visible()

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


# Elements of `selector` that stick out of the viewport, are cut off inside their own box or
# inside the scrolling box around them (the changelist's `.results`), or overlap one another or
# an element of `avoid`: [description, ...], empty when the layout holds.
_LAYOUT_PROBLEMS = """([selector, avoid]) => {
  const name = (e) =>
    `${e.tagName.toLowerCase()}.${e.className} "${e.innerText.trim().slice(0, 40)}"`;
  const box = (e) => e.getBoundingClientRect();
  const meets = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
                       && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const found = [...document.querySelectorAll(selector)];
  const others = avoid ? [...document.querySelectorAll(avoid)] : [];
  const problems = [];
  found.forEach((e, i) => {
    const b = box(e);
    if (b.left < 0 || b.right > window.innerWidth) {
      problems.push(`${name(e)} spans x ${b.left}-${b.right} of ${window.innerWidth}`);
    }
    if (e.scrollWidth > e.clientWidth + 1) problems.push(`${name(e)} overflows its box`);
    const scroller = e.closest('.results');
    const scrolls = scroller && scroller.scrollWidth > scroller.clientWidth + 1;
    if (scroller && (b.right > box(scroller).right + 1 || scrolls)) {
      problems.push(`${name(e)} is cut off by the table's scroll box`);
    }
    found.slice(i + 1).forEach((o) => {
      if (meets(b, box(o))) problems.push(`${name(e)} overlaps ${name(o)}`);
    });
    others.forEach((o) => {
      if (o !== e && !o.contains(e) && meets(b, box(o))) {
        problems.push(`${name(e)} overlaps ${name(o)}`);
      }
    });
  });
  return {problems, count: found.length};
}"""

# Whether the focused element shows it: an outline of at least 2 px that is drawn.
_FOCUS_SHOWN = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  return {
    label: `${e.tagName.toLowerCase()} "${(e.innerText || e.value || e.name || '').trim()}"`,
    visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
  };
}"""


def _assert_layout(page, selector: str, *, avoid: str | None = None, at_least: int = 1) -> None:
    result = page.evaluate(_LAYOUT_PROBLEMS, [selector, avoid])
    assert result["count"] >= at_least, f"{selector}: {result['count']} found on {page.url}"
    assert not result["problems"], f"on {page.url}:\n" + "\n".join(result["problems"])


def _tab_to(page, name: str, *, limit: int = 80) -> list[str]:
    """Press Tab until the element named `name` has the focus, checking at every stop that the
    focus is visible; the labels of the stops passed on the way."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS_SHOWN)
        assert focus["visible"], f"no visible focus on {focus['label']} ({page.url})"
        stops.append(focus["label"])
        if name in focus["label"]:
            return stops
    raise AssertionError(f"Tab never reached {name!r} on {page.url}; stops: {stops}")


@pytest.fixture
def busy_queue(forum):
    """The queue as a long day leaves it: long titles and a long username (the columns that
    would widen the table), long posts with unbroken links, and open reports."""
    author = UserFactory(username="alexandra_the_marathon_runner_1987")
    category = forum["urgent"].thread.category
    url = "https://example.com/training/plans/" + "intervals-" * 8
    for n in range(4):
        thread = forum_services.thread_create(
            author=author,
            category=category,
            title=f"Chest pain and short of breath during hill intervals on the bike, week {n}",
            body=f"[urgent] Day {n}: a tight chest pain down my left arm on the bike, and I was "
            f"short of breath for ten minutes. Should I see a doctor? My plan: {url} " * 2,
        )
        if n % 2:
            for reporter in (UserFactory(), UserFactory()):
                mod_services.report_create(
                    reporter=reporter, post=thread.posts.get(), reason=Report.Reason.MEDICAL
                )
    return forum


def test_the_queue_fits_1280_px_with_its_filters(open_page, busy_queue, axe_scan):
    page = open_page(user=busy_queue["moderator"])
    page.goto("/admin/moderation/review/")
    expect(page.locator("#result_list tbody tr")).to_have_count(6)
    # Every column, the text with the cues marked among them, and the actions bar are on the
    # screen, none under the filters, none scrolled away inside the table's box.
    _assert_layout(page, "#result_list thead th", avoid="#changelist-filter", at_least=10)
    _assert_layout(page, "#result_list tbody tr:first-child td", avoid="#changelist-filter")
    _assert_layout(page, ".actions select, .actions button", avoid="#changelist-filter")
    expect(page.locator("#result_list tbody tr").first.locator("mark").first).to_be_visible()
    axe_scan(page)
    screenshot(page, "moderation-queue-1280")

    page.locator("#changelist-filter").get_by_role("link", name="Advice", exact=True).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    assert "knee" in page.locator("#result_list tbody tr").inner_text()
    page.locator("#changelist-filter").get_by_role("link", name="Urgent", exact=True).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(5)
    _assert_layout(page, "#result_list thead th", avoid="#changelist-filter", at_least=10)
    axe_scan(page)
    screenshot(page, "moderation-queue-urgent-1280")


def test_the_queue_by_keyboard(open_page, busy_queue):
    page = open_page(user=busy_queue["moderator"])
    page.goto("/admin/moderation/review/")
    # The first row is urgent; Tab reaches its excerpt, the link to its review, and Enter opens it.
    first = page.locator("#result_list tbody tr").first.locator(".field-excerpt a")
    excerpt = first.inner_text().strip()[:30]
    _tab_to(page, excerpt)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/moderation/review/\d+/change/"))
    expect(page.get_by_role("button", name="Confirm: asks for medical advice")).to_be_visible()


def test_a_review_fits_1280_px_and_is_decided_by_keyboard(open_page, busy_queue, axe_scan):
    post = (
        Review.objects.filter(post__author__username="alexandra_the_marathon_runner_1987")
        .order_by("pk")
        .last()
        .post
    )
    page = open_page(user=busy_queue["moderator"])
    _review_page(page, post)
    # The decision buttons are all on the screen and clear of the title, the subtitle and the
    # "History" object tool the admin floats beside it, and of one another.
    _assert_layout(
        page,
        ".mod-decisions .button",
        avoid="#content h1, #content h2, .object-tools a, #content-main fieldset",
        at_least=12,
    )
    axe_scan(page)
    screenshot(page, "moderation-review-1280")

    # Tab from the top of the page reaches every decision in the order shown, each with a
    # visible focus ring; Enter opens the preview, whose confirm button has the focus.
    buttons = page.locator(".mod-decisions .button")
    names = [buttons.nth(i).inner_text().strip() for i in range(buttons.count())]
    stops = _tab_to(page, names[0])
    assert len(stops) < 40, stops
    for name in names[1:]:
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS_SHOWN)
        assert name[:40] in focus["label"] and focus["visible"], (name, focus)
    for _ in names[1:]:
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=re.compile(r"^Yes, confirm"))).to_be_focused()
    assert page.evaluate(_FOCUS_SHOWN)["visible"]
    axe_scan(page)
    screenshot(page, "moderation-preview-1280")
    page.keyboard.press("Enter")
    expect(page.locator("ul.messagelist")).to_be_visible()
    assert Review.objects.get(pk=post.review.pk).status == Review.Status.CONFIRMED
