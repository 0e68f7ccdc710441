"""The notifications page, the header's unread count, and marking notifications read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum import services
from forum.models import Notification, Post
from tests.commit import committed

pytestmark = pytest.mark.django_db


@pytest.fixture
def replies(member, other_member, thread):
    """Three replies by another member in the member's thread: three unread notifications."""
    return [
        committed(services.post_reply)(
            author=other_member, thread=thread, body=f"Answer number {i}"
        )
        for i in range(3)
    ]


def test_the_page_lists_each_notification_linking_to_its_post(client, member, replies):
    client.force_login(member)
    response = client.get(reverse("forum:notifications"))
    assert response.status_code == 200
    html = response.content.decode()
    for reply in replies:
        assert f'href="{reply.get_absolute_url()}"' in html
    assert "replied" in html
    assert "Answer number 2" in html


def test_unread_come_first_then_newest(member, replies):
    from forum import selectors

    services.notifications_mark_read(
        user=member, ids=[Notification.objects.get(post=replies[2]).pk]
    )
    order = [n.post_id for n in selectors.notification_list(user=member)]
    assert order == [replies[1].pk, replies[0].pk, replies[2].pk]


def test_the_header_shows_the_unread_count_next_to_the_link(client, member, replies):
    client.force_login(member)
    html = client.get(reverse("forum:index")).content.decode()
    assert reverse("forum:notifications") in html
    assert '<span class="count">3</span>' in html
    assert 'aria-label="Notifications 3 unread"' in html


def test_no_count_without_unread_notifications(client, member, thread):
    client.force_login(member)
    html = client.get(reverse("forum:index")).content.decode()
    assert 'class="count"' not in html


def test_mark_one_read(client, member, replies):
    client.force_login(member)
    target = Notification.objects.get(post=replies[0])
    response = client.post(reverse("forum:notifications_read"), {"id": target.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("forum:notifications")
    target.refresh_from_db()
    assert target.read is not None
    assert Notification.objects.filter(recipient=member, read__isnull=True).count() == 2


def test_mark_all_read(client, member, replies):
    client.force_login(member)
    client.post(reverse("forum:notifications_read"), {"all": "1"})
    assert not Notification.objects.filter(recipient=member, read__isnull=True).exists()
    html = client.get(reverse("forum:notifications")).content.decode()
    assert "Mark all" not in html


def test_another_members_notification_cannot_be_marked(client, other_member, replies):
    client.force_login(other_member)
    target = Notification.objects.get(post=replies[0])
    client.post(reverse("forum:notifications_read"), {"id": target.pk})
    target.refresh_from_db()
    assert target.read is None


@pytest.mark.parametrize(
    "data", [{}, {"id": "abc"}, {"id": "-1"}, {"id": "9" * 30}, {"id": "1", "next": "//evil"}]
)
def test_bad_input_is_a_400_with_a_message_not_a_500(client, member, replies, data):
    client.force_login(member)
    response = client.post(reverse("forum:notifications_read"), data)
    assert response.status_code == 400
    assert b'class="errors"' in response.content
    assert Notification.objects.filter(recipient=member, read__isnull=True).count() == 3


def test_reading_the_thread_page_marks_its_notifications_read(client, member, replies):
    client.force_login(member)
    client.get(replies[0].thread.get_absolute_url())
    assert not Notification.objects.filter(recipient=member, read__isnull=True).exists()


def test_a_notification_about_a_hidden_post_is_neither_listed_nor_counted(
    client, member, moderator, replies
):
    services.post_hide(actor=moderator, post=replies[0])
    client.force_login(member)
    html = client.get(reverse("forum:notifications")).content.decode()
    assert replies[0].get_absolute_url() not in html
    assert "2 unread" in html


def test_the_excerpt_leaves_quoted_text_out(client, member, other_member, thread):
    first = Post.objects.get(thread=thread, number=1)
    committed(services.post_reply)(
        author=other_member,
        thread=thread,
        body=f'[quote="{member.username}" post={first.pk}]First post.[/quote]\n\nMy own words',
    )
    client.force_login(member)
    html = client.get(reverse("forum:notifications")).content.decode()
    excerpt = html.split('class="excerpt">')[1].split("</p>")[0]
    assert excerpt == "My own words"


def test_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("forum:notifications"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_page_costs_the_same_queries_whatever_its_length(
    client, member, other_member, make_thread, django_assert_num_queries
):
    thread = make_thread(member)
    committed(services.post_reply)(author=other_member, thread=thread, body="one")
    client.force_login(member)
    client.get(reverse("forum:notifications"))  # session and last-seen

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("forum:notifications")).status_code == 200
        return len(ctx)

    few = count()
    for i in range(8):
        committed(services.post_reply)(author=other_member, thread=thread, body=f"more {i}")
    assert count() == few
    # user with whether they moderate (the session from the cache), the list's count and
    # page, the header's unread count
    with django_assert_num_queries(4):
        client.get(reverse("forum:notifications"))
