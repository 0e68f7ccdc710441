"""In-thread tools for moderators: lock, pin, move and "open in review queue" on the thread
page, through the forum's services (audited), refused to members, CSRF-protected."""

from __future__ import annotations

import pytest
from django.test import Client

from forum.models import Thread
from moderation.models import AuditLog, Review
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_moderator(moderator):
    client = Client()
    client.force_login(moderator)
    return client


def test_moderator_sees_the_tools_and_members_do_not(as_moderator, client, member, thread):
    page = as_moderator.get(thread.get_absolute_url()).content.decode()
    assert "Lock thread" in page and "Pin thread" in page and "Move thread" in page
    review = Review.objects.get(post__thread=thread)
    assert "Open in review queue" in page
    client.force_login(member)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Lock thread" not in page and "Open in review queue" not in page
    assert f"/admin/moderation/review/{review.pk}/" not in page


def test_lock_then_unlock_from_the_thread_page_is_audited(as_moderator, moderator, thread):
    response = as_moderator.post(f"/t/{thread.pk}/lock/", {"locked": "1"}, follow=True)
    assert "The thread is locked." in response.content.decode()
    thread.refresh_from_db()
    assert thread.is_locked
    assert "Unlock thread" in response.content.decode()
    row = AuditLog.objects.get(action="thread.lock")
    assert row.actor == moderator and row.before["is_locked"] is False and row.after["is_locked"]
    as_moderator.post(f"/t/{thread.pk}/lock/", {"locked": "0"})
    thread.refresh_from_db()
    assert not thread.is_locked
    assert AuditLog.objects.filter(action="thread.unlock").count() == 1


def test_a_no_op_lock_or_pin_says_so_and_records_nothing(as_moderator, thread):
    response = as_moderator.post(f"/t/{thread.pk}/pin/", {"pinned": "0"}, follow=True)
    assert "Nothing to change: the thread is unpinned already." in response.content.decode()
    as_moderator.post(f"/t/{thread.pk}/pin/", {"pinned": "1"})
    as_moderator.post(f"/t/{thread.pk}/pin/", {"pinned": "1"})
    assert Thread.objects.get(pk=thread.pk).is_pinned
    assert AuditLog.objects.filter(action="thread.pin").count() == 1


def test_move_to_another_category_is_audited_and_a_bad_choice_is_refused(
    as_moderator, thread, category
):
    other = CategoryFactory(name="Nutrition", slug="nutrition")
    response = as_moderator.post(f"/t/{thread.pk}/move/", {"category": "999999"}, follow=True)
    assert response.status_code == 200
    assert "Choose a category" in response.content.decode()
    assert Thread.objects.get(pk=thread.pk).category == category
    response = as_moderator.post(f"/t/{thread.pk}/move/", {"category": other.pk}, follow=True)
    assert "moved to Nutrition" in response.content.decode()
    assert Thread.objects.get(pk=thread.pk).category == other
    row = AuditLog.objects.get(action="thread.move")
    assert row.before["category"] == category.pk and row.after["category"] == other.pk
    as_moderator.post(f"/t/{thread.pk}/move/", {"category": other.pk})
    assert AuditLog.objects.filter(action="thread.move").count() == 1


@pytest.mark.parametrize("url", ["lock", "pin", "move"])
def test_members_cannot_use_the_tools(client, member, thread, category, url):
    client.force_login(member)
    response = client.post(
        f"/t/{thread.pk}/{url}/", {"locked": "1", "pinned": "1", "category": category.pk}
    )
    assert response.status_code == 403
    thread.refresh_from_db()
    assert not thread.is_locked and not thread.is_pinned
    assert not AuditLog.objects.filter(action__startswith="thread.").exists()


def test_the_tools_need_a_csrf_token(moderator, thread):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    assert client.post(f"/t/{thread.pk}/lock/", {"locked": "1"}).status_code == 403
    assert client.get(f"/t/{thread.pk}/lock/").status_code == 405
    thread.refresh_from_db()
    assert not thread.is_locked


def test_open_in_review_queue_goes_to_the_posts_review(as_moderator, client, member, thread):
    post = thread.posts.get(number=1)
    review = Review.objects.get(post=post)
    response = as_moderator.get(f"/admin/moderation/review/post/{post.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/moderation/review/{review.pk}/change/"
    client.force_login(member)
    assert client.get(f"/admin/moderation/review/post/{post.pk}/").status_code == 302
    assert "/admin/login/" in client.get(f"/admin/moderation/review/post/{post.pk}/")["Location"]
