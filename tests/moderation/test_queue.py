"""The moderators' queue in the admin: order, filters, columns, the review page, the counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forum import services as forum_services
from moderation import highlight, selectors, services
from moderation.models import Review
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:moderation_review_changelist")


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


def _age(post, **delta):
    Review.objects.filter(post=post).update(queued=timezone.now() - timedelta(**delta))


def test_queue_puts_urgent_first_then_the_oldest_waiting(stub_detector, other_member, make_post):
    new_advice = make_post("[advice] new sore knee")
    old_advice = make_post("[advice] old sore wrist")
    urgent = make_post("[urgent] chest pain")
    reported = make_post("Cheap watches")
    services.report_create(reporter=other_member, post=reported, reason="spam")
    _age(old_advice, hours=5)
    _age(new_advice, minutes=5)
    _age(urgent, minutes=1)
    _age(reported, hours=2)
    order = [r.post_id for r in selectors.review_queue()]
    assert order == [urgent.pk, old_advice.pk, reported.pk, new_advice.pk]


def test_a_decided_post_reported_again_waits_since_its_oldest_open_report(
    stub_detector, moderator, make_post
):
    post = make_post("[advice] knee")
    services.review_confirm(moderator=moderator, review=post.review)
    first = services.report_create(reporter=UserFactory(), post=post, reason="spam")
    services.report_create(reporter=UserFactory(), post=post, reason="abuse")
    (queued,) = selectors.review_queue()
    assert queued.waiting_since == first.created
    assert queued.open_reports == 2


def test_queue_page_lists_urgent_first_with_the_columns_a_moderator_needs(
    stub_detector, mod_client, make_post
):
    advice = make_post("[advice] should I see someone about my sore knee?")
    urgent = make_post("[urgent] my chest pain came back on the bike")
    _age(advice, days=2)
    html = mod_client.get(QUEUE).content.decode()
    assert html.index("bike") < html.index("sore knee")
    # Thread title, post number and role, author, marked cues, score, severity, waiting time.
    assert urgent.thread.title in html
    assert "#1 (opening post)" in html
    assert urgent.author.username in html
    assert "<mark>chest pain</mark>" in html
    assert "0.97" in html
    assert "Urgent" in html
    assert "2 days" in html


def test_queue_filters_by_open_reports_and_waiting_time(
    stub_detector, mod_client, other_member, make_post
):
    reported = make_post("[advice] reported knee")
    services.report_create(reporter=other_member, post=reported, reason="medical")
    fresh = make_post("[advice] fresh heel")
    old = make_post("[advice] old hip")
    _age(old, days=10)
    _age(reported, hours=3)
    html = mod_client.get(QUEUE, {"reported": "yes"}).content.decode()
    assert "reported knee" in html
    assert "fresh heel" not in html
    html = mod_client.get(QUEUE, {"reported": "no"}).content.decode()
    assert "reported knee" not in html
    assert "fresh heel" in html
    html = mod_client.get(QUEUE, {"waiting": "old"}).content.decode()
    assert "old hip" in html
    assert "fresh heel" not in html
    html = mod_client.get(QUEUE, {"waiting": "1h"}).content.decode()
    assert "fresh heel" in html
    assert "old hip" not in html
    assert "reported knee" not in html
    html = mod_client.get(QUEUE, {"waiting": "1d"}).content.decode()
    assert "reported knee" in html
    assert fresh.review.status == "pending"


def test_queue_query_count_is_pinned(stub_detector, mod_client, make_post):
    make_post("[advice] one")
    mod_client.get(QUEUE)  # warm the session

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert mod_client.get(QUEUE).status_code == 200
        return len(ctx)

    small = count()
    for i in range(6):
        post = make_post(f"[urgent] more {i}")
        services.report_create(reporter=UserFactory(), post=post, reason="medical")
    assert count() == small
    assert small <= 12


def test_review_page_shows_the_thread_around_the_post_and_the_authors_history(
    stub_detector, mod_client, moderator, member, other_member, thread
):
    forum_services.post_reply(author=other_member, thread=thread, body="What did the doctor say?")
    answer = forum_services.post_reply(author=member, thread=thread, body="[advice] knee again")
    forum_services.post_reply(author=other_member, thread=thread, body="Glad it is better.")
    earlier = forum_services.post_reply(author=member, thread=thread, body="[advice] my heel?")
    services.review_dismiss(moderator=moderator, review=earlier.review)
    html = mod_client.get(
        reverse("admin:moderation_review_change", args=[answer.review.pk])
    ).content.decode()
    # The posts before and after, in order, the post itself marked.
    assert html.index("What did the doctor say?") < html.index("Glad it is better.")
    assert 'class="mod-this"' in html
    assert "#3 (reply)" in html
    # The member's record: the dismissal of their other post.
    assert "review.dismiss" in html
    assert "1 dismissed" in html


def test_admin_index_counts_urgent_and_pending_items_for_moderators(
    stub_detector, client, mod_client, make_post
):
    make_post("[urgent] chest pain")
    make_post("[advice] knee")
    make_post("[advice] wrist")
    html = mod_client.get(reverse("admin:index")).content.decode()
    assert "<strong>1</strong> urgent" in html
    assert "<strong>3</strong> waiting for review" in html
    admin_user = UserFactory(is_staff=True)
    client.force_login(admin_user)
    assert "waiting for review" not in client.get(reverse("admin:index")).content.decode()


def test_review_buttons_sit_in_their_own_bar_not_over_the_subtitle(
    stub_detector, mod_client, make_post
):
    post = make_post("[advice] knee")
    html = mod_client.get(
        reverse("admin:moderation_review_change", args=[post.review.pk])
    ).content.decode()
    bar = html.index('class="mod-decisions"')
    tools = html.find('class="object-tools"')
    assert 'value="confirm"' in html[bar:]
    # Not among the object tools ("History"), which the admin floats over the subtitle; the
    # geometry itself is checked in Chromium (tests/browser/test_moderation.py).
    assert tools == -1 or 'value="confirm"' not in html[tools : html.index("</ul>", tools)]


def test_cue_highlighting_escapes_member_text_and_marks_the_words():
    text = 'My <b>chest pain</b> is back, should I "go"?'
    html = str(highlight.highlighted(text, ["red flag: chest pain or pressure", "asks: should i"]))
    assert "&lt;b&gt;<mark>chest pain</mark>&lt;/b&gt;" in html
    assert "<mark>should I</mark>" in html
    assert highlight.cue_spans("Sharp knee pain", ['words "knee pain"']) == [(6, 15)]
    assert highlight.cue_spans("Anything", ["a cue nobody knows"]) == []


def test_long_post_excerpt_starts_near_the_first_cue():
    text = "Training log. " * 40 + "Now my chest pain is back."
    html = str(highlight.highlighted(text, ["red flag: chest pain or pressure"], limit=120))
    assert html.startswith("…")
    assert "<mark>chest pain</mark>" in html
