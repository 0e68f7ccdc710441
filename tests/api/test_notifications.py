from __future__ import annotations

import pytest

from forum import services
from forum.models import Notification
from tests.commit import committed

pytestmark = pytest.mark.django_db


@pytest.fixture
def replies(member, other_member, thread):
    return [
        committed(services.post_reply)(author=other_member, thread=thread, body=f"Answer {i}")
        for i in range(3)
    ]


def test_notifications_list_and_unread_count(as_member, replies, other_member):
    response = as_member.get("/api/v1/notifications/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [n["post"] for n in results] == [p.pk for p in reversed(replies)]
    assert results[0]["actor"]["username"] == other_member.username
    assert results[0]["kind"] == "reply"
    assert as_member.get("/api/v1/notifications/unread-count/").json() == {"count": 3}


def test_mark_some_or_all_read(as_member, member, replies):
    ids = list(member.notifications.values_list("pk", flat=True))
    response = as_member.post("/api/v1/notifications/read/", {"ids": ids[:1]})
    assert response.json() == {"count": 2}
    assert member.notifications.filter(read__isnull=True).count() == 2
    unread = as_member.get("/api/v1/notifications/?unread=true").json()["results"]
    assert len(unread) == 2
    assert as_member.post("/api/v1/notifications/read/", {"all": True}).json() == {"count": 0}
    assert not member.notifications.filter(read__isnull=True).exists()


def test_member_cannot_mark_or_see_someone_elses_notifications(as_other, member, replies):
    ids = list(member.notifications.values_list("pk", flat=True))
    response = as_other.post("/api/v1/notifications/read/", {"ids": ids})
    assert response.status_code == 200
    assert Notification.objects.filter(recipient=member, read__isnull=True).count() == 3
    assert as_other.get("/api/v1/notifications/").json()["results"] == []


def test_notification_of_a_post_hidden_later_disappears(as_member, moderator, replies):
    services.post_hide(actor=moderator, post=replies[0])
    posts = [n["post"] for n in as_member.get("/api/v1/notifications/").json()["results"]]
    assert replies[0].pk not in posts
    assert as_member.get("/api/v1/notifications/unread-count/").json() == {"count": 2}


def test_mark_read_with_an_empty_body_marks_nothing_and_answers_the_count(
    as_member, member, replies
):
    for body in ({}, {"ids": []}, {"all": False}):
        response = as_member.post("/api/v1/notifications/read/", body)
        assert response.status_code == 200
        assert response.json() == {"count": 3}
    response = as_member.post("/api/v1/notifications/read/")
    assert response.status_code == 200
    assert response.json() == {"count": 3}
    assert member.notifications.filter(read__isnull=True).count() == 3


def test_mark_read_refuses_invalid_ids(as_member):
    assert as_member.post("/api/v1/notifications/read/", {"ids": ["x"]}).status_code == 400
    assert as_member.post("/api/v1/notifications/read/", {"ids": [10**30]}).status_code == 400


@pytest.mark.parametrize("count", [2, 25])
def test_notification_list_runs_a_fixed_number_of_queries(
    count, member, other_member, thread, client, django_assert_num_queries
):
    for i in range(count):
        committed(services.post_reply)(author=other_member, thread=thread, body=f"Note {i}")
    client.force_login(member)
    # User with whether they moderate (the session from the cache), notifications with
    # actors, posts and threads.
    with django_assert_num_queries(2):
        response = client.get("/api/v1/notifications/?page_size=50")
    assert len(response.json()["results"]) == count
