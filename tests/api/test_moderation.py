from __future__ import annotations

import pytest

from forum import services
from forum.models import Post
from moderation.models import Notice, Report, Review

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(thread, other_member):
    # Worded like a request for medical advice, so the detector puts it in the queue.
    post = services.post_reply(
        author=other_member,
        thread=thread,
        body="My doctor is away. Should I take ibuprofen or paracetamol for this knee swelling?",
    )
    review = Review.objects.get(post=post)
    if review.status != Review.Status.PENDING:
        review.status = Review.Status.PENDING
        review.save(update_fields=["status"])
    return post


def test_member_reports_a_post_once(as_member, member, flagged):
    url = f"/api/v1/posts/{flagged.pk}/report/"
    response = as_member.post(url, {"reason": "medical", "comment": "Needs a notice"})
    assert response.status_code == 201
    assert response.json()["post"] == flagged.pk
    assert Report.objects.filter(post=flagged, reporter=member).count() == 1
    again = as_member.post(url, {"reason": "spam"})
    assert again.status_code == 400
    assert Report.objects.filter(post=flagged, reporter=member).count() == 1


def test_reports_of_own_or_hidden_posts_are_refused(as_member, member, moderator, flagged, thread):
    own = thread.posts.get(number=1)
    assert as_member.post(f"/api/v1/posts/{own.pk}/report/", {"reason": "spam"}).status_code == 400
    services.post_hide(actor=moderator, post=flagged)
    hidden = as_member.post(f"/api/v1/posts/{flagged.pk}/report/", {"reason": "spam"})
    assert hidden.status_code == 404
    assert not Report.objects.exists()


def test_report_reason_must_be_known(as_member, flagged):
    response = as_member.post(f"/api/v1/posts/{flagged.pk}/report/", {"reason": "hate-you"})
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_reporting_is_throttled(as_member, member, thread, other_member, category):
    statuses = []
    for i in range(22):
        other = services.thread_create(
            author=other_member, category=category, title=f"T{i}", body=f"b{i}"
        )
        post = other.posts.get()
        statuses.append(
            as_member.post(f"/api/v1/posts/{post.pk}/report/", {"reason": "spam"}).status_code
        )
    assert statuses[:20] == [201] * 20
    assert statuses[20:] == [429, 429]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/moderation/queue/",
        "/api/v1/moderation/reports/",
    ],
)
def test_members_cannot_see_the_queue_or_reports(as_member, url, flagged):
    response = as_member.get(url)
    assert response.status_code == 403


def test_members_cannot_decide_hide_restore_or_add_notices(as_member, flagged):
    review = Review.objects.get(post=flagged)
    for url, payload in [
        (f"/api/v1/moderation/queue/{review.pk}/confirm/", None),
        (f"/api/v1/moderation/queue/{review.pk}/dismiss/", None),
        (f"/api/v1/posts/{flagged.pk}/hide/", None),
        (f"/api/v1/posts/{flagged.pk}/restore/", None),
        (f"/api/v1/posts/{flagged.pk}/notices/", {"severity": "urgent"}),
    ]:
        assert as_member.post(url, payload).status_code == 403, url
    review.refresh_from_db()
    flagged.refresh_from_db()
    assert review.status == Review.Status.PENDING
    assert flagged.state == Post.State.VISIBLE
    assert not Notice.objects.filter(post=flagged, origin=Notice.Origin.MODERATOR).exists()


def test_moderator_sees_the_queue_and_confirms(as_moderator, moderator, flagged):
    queue = as_moderator.get("/api/v1/moderation/queue/").json()["results"]
    assert [item["post"]["id"] for item in queue] == [flagged.pk]
    review_id = queue[0]["id"]
    response = as_moderator.post(f"/api/v1/moderation/queue/{review_id}/confirm/")
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    review = Review.objects.get(pk=review_id)
    assert review.status == Review.Status.CONFIRMED
    assert review.decided_by == moderator
    assert Notice.objects.filter(post=flagged, removed__isnull=True, confirmed=True).exists()
    assert as_moderator.get("/api/v1/moderation/queue/").json()["results"] == []


def test_moderator_dismisses(as_moderator, flagged):
    review = Review.objects.get(post=flagged)
    response = as_moderator.post(f"/api/v1/moderation/queue/{review.pk}/dismiss/")
    assert response.status_code == 200
    review.refresh_from_db()
    assert review.status == Review.Status.DISMISSED


def test_moderator_lists_reports(as_moderator, as_member, flagged):
    as_member.post(f"/api/v1/posts/{flagged.pk}/report/", {"reason": "medical"})
    reports = as_moderator.get("/api/v1/moderation/reports/?resolved=false").json()["results"]
    assert [r["post"]["id"] for r in reports] == [flagged.pk]
    assert reports[0]["post"]["body"] is not None


def test_moderator_hides_and_restores_a_post(as_moderator, as_member, flagged, thread):
    response = as_moderator.post(f"/api/v1/posts/{flagged.pk}/hide/")
    assert response.status_code == 200
    assert response.json()["state"] == "hidden"
    flagged.refresh_from_db()
    assert flagged.state == Post.State.HIDDEN
    assert as_member.get(f"/api/v1/posts/{flagged.pk}/").status_code == 404
    response = as_moderator.post(f"/api/v1/posts/{flagged.pk}/restore/")
    assert response.json()["state"] == "visible"
    flagged.refresh_from_db()
    assert flagged.state == Post.State.VISIBLE
    thread.refresh_from_db()
    assert thread.post_count == 2


def test_moderator_adds_and_removes_a_notice_that_members_see(
    settings, as_moderator, as_member, thread
):
    settings.STOA = {**settings.STOA, "CRISIS_LINE": "Call 988 now."}
    post = thread.posts.get(number=1)
    response = as_moderator.post(
        f"/api/v1/posts/{post.pk}/notices/", {"severity": "urgent", "text": "See a doctor today."}
    )
    assert response.status_code == 201
    notice_id = response.json()["id"]
    seen = as_member.get(f"/api/v1/posts/{post.pk}/").json()["notices"]
    assert seen == [
        {
            "id": notice_id,
            "kind": "refer_professional",
            "severity": "urgent",
            "text": "See a doctor today.",
            "crisis_line": "Call 988 now.",
        }
    ]
    assert as_member.post(f"/api/v1/moderation/notices/{notice_id}/remove/").status_code == 403
    response = as_moderator.post(f"/api/v1/moderation/notices/{notice_id}/remove/")
    assert response.status_code == 200
    assert response.json()["removed"] is not None
    assert as_member.get(f"/api/v1/posts/{post.pk}/").json()["notices"] == []


@pytest.mark.parametrize("count", [2, 25])
def test_queue_runs_a_fixed_number_of_queries(
    count, moderator, other_member, thread, client, django_assert_num_queries
):
    for i in range(count):
        post = services.post_reply(author=other_member, thread=thread, body=f"Question {i}")
        Review.objects.update_or_create(post=post, defaults={"status": Review.Status.PENDING})
    client.force_login(moderator)
    # User with whether they moderate (the session from the cache), the count of the queue
    # (pages by number), reviews, their posts, the posts' notices and quotes.
    with django_assert_num_queries(6):
        response = client.get("/api/v1/moderation/queue/?page_size=50")
    assert len(response.json()["results"]) == count


def test_reports_from_many_accounts_at_one_address_are_throttled(thread, other_member, category):
    from tests.api.conftest import bearer
    from tests.factories import UserFactory

    posts = [
        services.thread_create(
            author=other_member, category=category, title=f"T{i}", body=f"b{i}"
        ).posts.get()
        for i in range(3)
    ]
    statuses = []
    for _ in range(21):
        client = bearer(UserFactory())
        for post in posts:
            statuses.append(
                client.post(f"/api/v1/posts/{post.pk}/report/", {"reason": "spam"}).status_code
            )
    assert statuses[:60] == [201] * 60
    assert set(statuses[60:]) == {429}
    assert Report.objects.count() == 60


def _pending(post, *, severity):
    Review.objects.filter(post=post).update(status=Review.Status.PENDING, severity=severity)


def test_api_queue_is_the_admins_order_urgent_first_then_longest_waiting(
    as_moderator, other_member, thread
):
    from datetime import timedelta

    from django.utils import timezone

    from moderation import selectors as moderation_selectors

    now = timezone.now()
    posts = [
        services.post_reply(author=other_member, thread=thread, body=f"Question {i}")
        for i in range(4)
    ]
    # Oldest advice, newer urgent, oldest urgent, newest advice.
    for post, severity, age in zip(
        posts, ["advice", "urgent", "urgent", "advice"], [40, 10, 20, 5], strict=True
    ):
        _pending(post, severity=severity)
        Review.objects.filter(post=post).update(queued=now - timedelta(minutes=age))
    results = as_moderator.get("/api/v1/moderation/queue/").json()["results"]
    order = [item["post"]["id"] for item in results]
    assert order == [posts[2].pk, posts[1].pk, posts[0].pk, posts[3].pk]
    assert order == [r.post_id for r in moderation_selectors.review_queue()]
    assert results[0]["open_reports"] == 0 and results[0]["waiting_since"] is not None


def test_moderator_changes_severity_through_the_api(as_moderator, as_member, flagged):
    review = Review.objects.get(post=flagged)
    url = f"/api/v1/moderation/queue/{review.pk}/severity/"
    assert as_member.post(url, {"severity": "urgent"}).status_code == 403
    response = as_moderator.post(url, {"severity": "bogus"})
    assert response.status_code == 400
    assert "severity" in response.json()["error"]["fields"]
    target = "advice" if review.severity == "urgent" else "urgent"
    response = as_moderator.post(url, {"severity": target})
    assert response.status_code == 200, response.content
    assert response.json()["severity"] == target
    review.refresh_from_db()
    assert review.severity == target
    # Again: nothing to change, said so, and nothing recorded.
    response = as_moderator.post(url, {"severity": target})
    assert response.status_code == 400
    assert "already" in response.json()["error"]["message"]


def test_moderator_undoes_a_confirmation_through_the_api(as_moderator, flagged):
    from moderation.models import AuditLog

    review = Review.objects.get(post=flagged)
    before = Notice.objects.filter(post=flagged, removed__isnull=True).values_list(
        "confirmed", flat=True
    )
    before = list(before)
    assert as_moderator.post(f"/api/v1/moderation/queue/{review.pk}/confirm/").status_code == 200
    response = as_moderator.post(f"/api/v1/moderation/queue/{review.pk}/undo/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending"
    live = Notice.objects.filter(post=flagged, removed__isnull=True)
    assert list(live.values_list("confirmed", flat=True)) == before
    assert AuditLog.objects.filter(post=flagged, action="undo").count() == 1
    # Nothing left to undo: a 400 with the reason, no second row.
    response = as_moderator.post(f"/api/v1/moderation/queue/{review.pk}/undo/")
    assert response.status_code == 400
    assert AuditLog.objects.filter(post=flagged, action="undo").count() == 1


def test_moderator_suspends_and_lifts_through_the_api(
    as_moderator, as_member, moderator, other_member, thread
):
    from tests.api.conftest import bearer

    url = f"/api/v1/moderation/members/{other_member.username}/sanctions/"
    assert as_member.post(url, {"measure": "1d", "reason": "x"}).status_code == 403
    response = as_moderator.post(url, {"measure": "forever", "reason": "Spam"})
    assert response.status_code == 400 and "measure" in response.json()["error"]["fields"]
    response = as_moderator.post(url, {"measure": "3d", "reason": ""})
    assert response.status_code == 400 and "reason" in response.json()["error"]["fields"]
    response = as_moderator.post(url, {"measure": "3d", "reason": "Selling supplements"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "suspension" and body["in_force"] and body["ends"]
    # The member can read but not reply, with the reason given.
    as_suspended = bearer(other_member)
    reply = as_suspended.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "Hello again"})
    assert reply.status_code == 403
    assert "Selling supplements" in reply.json()["error"]["message"]
    listed = as_moderator.get(url).json()
    assert [s["kind"] for s in listed] == ["suspension"]

    lift = f"/api/v1/moderation/members/{other_member.username}/lift/"
    response = as_moderator.post(lift)
    assert response.status_code == 200
    assert response.json()[0]["lifted"] is not None
    assert (
        as_suspended.post(
            f"/api/v1/threads/{thread.pk}/posts/", {"body": "Hello again"}
        ).status_code
        == 201
    )
    # Lifting again changes nothing and says so.
    assert as_moderator.post(lift).status_code == 400


def test_staff_cannot_be_sanctioned_through_the_api(as_moderator, moderator):
    from tests.factories import UserFactory

    other_moderator = UserFactory()
    other_moderator.is_staff = True
    other_moderator.save(update_fields=["is_staff"])
    url = f"/api/v1/moderation/members/{other_moderator.username}/sanctions/"
    response = as_moderator.post(url, {"measure": "warn", "reason": "Be nice"})
    assert response.status_code == 403
    assert not other_moderator.sanctions.exists()


def test_sanction_answers_name_people_by_absolute_avatar_urls(as_moderator, moderator, member):
    """The schema says `uri`: a relative path breaks strict clients (schemathesis found it)."""
    type(moderator).objects.filter(pk=moderator.pk).update(
        avatar="avatars/mod-192.jpg", avatar_small="avatars/mod-64.jpg"
    )
    url = f"/api/v1/moderation/members/{member.username}/sanctions/"
    created = as_moderator.post(url, {"measure": "warn", "reason": "Be kind"}).json()
    listed = as_moderator.get(url).json()
    for by in (created["created_by"], listed[0]["created_by"]):
        assert by["avatar"] == "http://testserver/media/avatars/mod-192.jpg"
        assert by["avatar_small"].startswith("http://testserver/")


def test_a_review_that_is_not_waiting_says_so_with_null(as_moderator, moderator, thread):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    review = schema["components"]["schemas"]["Review"]["properties"]["waiting_since"]
    assert review.get("nullable") or {"type": "null"} in review.get("anyOf", [])
    listed = as_moderator.get("/api/v1/moderation/queue/?status=clear").json()["results"]
    assert listed and all(r["waiting_since"] is None for r in listed)
