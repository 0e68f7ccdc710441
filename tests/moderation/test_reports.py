from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from core import throttles
from forum import services as forum_services
from moderation import selectors, services
from moderation.models import AuditLog, Report, Review

pytestmark = pytest.mark.django_db


def report_url(post):
    return reverse("moderation:report", args=[post.pk])


# --- Service ----------------------------------------------------------------------------------


def test_report_puts_an_unflagged_post_in_the_queue(stub_detector, other_member, make_post):
    post = make_post("Buy cheap watches at example.com")
    assert post.review.status == Review.Status.CLEAR
    report = services.report_create(
        reporter=other_member, post=post, reason="spam", comment="  ads  "
    )
    assert report.comment == "ads"
    post.review.refresh_from_db()
    assert post.review.status == Review.Status.PENDING
    assert list(selectors.review_queue()) == [post.review]
    row = AuditLog.objects.get(action="report.create")
    assert row.actor == other_member
    assert row.after["report"]["reason"] == "spam"


def test_one_report_per_member_per_post(stub_detector, other_member, make_post):
    post = make_post("Hello")
    services.report_create(reporter=other_member, post=post, reason="spam")
    with pytest.raises(ValidationError):
        services.report_create(reporter=other_member, post=post, reason="abuse")
    assert Report.objects.filter(post=post).count() == 1


def test_cannot_report_a_hidden_post_or_ones_own(
    stub_detector, member, other_member, moderator, make_post
):
    post = make_post("Hello")
    with pytest.raises(ValidationError):
        services.report_create(reporter=member, post=post, reason="spam")
    forum_services.post_hide(actor=moderator, post=post)
    with pytest.raises(PermissionDenied):
        services.report_create(reporter=other_member, post=post, reason="spam")
    assert not Report.objects.exists()


def test_bad_reason_or_long_comment_is_refused(stub_detector, other_member, make_post):
    post = make_post("Hello")
    with pytest.raises(ValidationError):
        services.report_create(reporter=other_member, post=post, reason="boring")
    with pytest.raises(ValidationError):
        services.report_create(reporter=other_member, post=post, reason="other", comment="x" * 1001)
    assert not Report.objects.exists()
    assert not AuditLog.objects.filter(action="report.create").exists()


def test_report_on_a_decided_post_keeps_the_decision_but_shows_in_the_queue(
    stub_detector, other_member, moderator, make_post
):
    post = make_post("[advice] my knee")
    services.review_dismiss(moderator=moderator, review=post.review)
    assert list(selectors.review_queue()) == []
    services.report_create(reporter=other_member, post=post, reason="medical")
    post.review.refresh_from_db()
    assert post.review.status == Review.Status.DISMISSED
    (queued,) = selectors.review_queue()
    assert queued.open_reports == 1
    # Deciding again resolves the report and empties the queue.
    services.review_confirm(moderator=moderator, review=post.review)
    assert list(selectors.review_queue()) == []


def test_reported_post_stays_queued_when_an_edit_is_not_flagged(
    stub_detector, member, other_member, make_post
):
    post = make_post("[advice] knee")
    services.report_create(reporter=other_member, post=post, reason="medical")
    forum_services.post_edit(editor=member, post=post, body="Harmless now")
    post.review.refresh_from_db()
    assert post.review.status == Review.Status.PENDING


# --- Page -------------------------------------------------------------------------------------


def test_report_through_the_page(stub_detector, client, other_member, make_post):
    post = make_post("Spam spam")
    client.force_login(other_member)
    page = client.get(post.thread.get_absolute_url())
    assert report_url(post).encode() in page.content
    assert client.get(report_url(post)).status_code == 200
    response = client.post(report_url(post), {"reason": "spam", "comment": "ads"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.reporter, report.reason, report.comment) == (other_member, "spam", "ads")


def test_report_link_is_not_offered_on_own_posts_or_to_visitors(
    stub_detector, client, member, make_post
):
    post = make_post("Mine")
    assert report_url(post).encode() not in client.get(post.thread.get_absolute_url()).content
    client.force_login(member)
    assert report_url(post).encode() not in client.get(post.thread.get_absolute_url()).content


def test_second_report_shows_a_form_error(stub_detector, client, other_member, make_post):
    post = make_post("Spam")
    client.force_login(other_member)
    client.post(report_url(post), {"reason": "spam"})
    response = client.post(report_url(post), {"reason": "abuse"})
    assert response.status_code == 200
    assert b"already reported" in response.content
    assert Report.objects.count() == 1


def test_bad_form_input_is_a_form_error_not_a_500(stub_detector, client, other_member, make_post):
    post = make_post("Spam")
    client.force_login(other_member)
    for data in ({}, {"reason": "nonsense"}, {"reason": "other", "comment": "x" * 5000}):
        assert client.post(report_url(post), data).status_code == 200
    assert not Report.objects.exists()


def test_reports_are_throttled_per_member(stub_detector, client, monkeypatch, other_member, member):
    monkeypatch.setattr(throttles.ReportUserThrottle, "rate", "3/hour", raising=False)
    posts = [
        forum_services.thread_create(
            author=member, category=c, title=f"T{i}", body=f"post {i}"
        ).posts.get()
        for i, c in enumerate([_category() for _ in range(5)])
    ]
    client.force_login(other_member)
    codes = [client.post(report_url(p), {"reason": "spam"}).status_code for p in posts]
    assert codes == [302, 302, 302, 429, 429]
    assert Report.objects.count() == 3
    response = client.post(report_url(posts[0]), {"reason": "spam"})
    assert int(response["Retry-After"]) > 0


def _category():
    from tests.factories import CategoryFactory

    return CategoryFactory()


def test_hidden_post_cannot_be_reported_and_looks_missing(
    stub_detector, client, other_member, moderator, make_post
):
    post = make_post("Hello")
    forum_services.post_hide(actor=moderator, post=post)
    client.force_login(other_member)
    assert client.get(report_url(post)).status_code == 404
    assert client.post(report_url(post), {"reason": "spam"}).status_code == 404
    assert (
        client.post(
            report_url(post).replace(str(post.pk), "999999"), {"reason": "spam"}
        ).status_code
        == 404
    )
    assert not Report.objects.exists()


def test_visitors_are_sent_to_log_in(stub_detector, client, make_post):
    post = make_post("Hello")
    response = client.post(report_url(post), {"reason": "spam"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert not Report.objects.exists()


def test_report_without_csrf_token_is_refused(stub_detector, other_member, make_post):
    post = make_post("Hello")
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_member)
    assert client.post(report_url(post), {"reason": "spam"}).status_code == 403
    assert not Report.objects.exists()


# --- The notice members see -------------------------------------------------------------------


def test_the_notice_shows_above_the_post_body_escaped(stub_detector, client, moderator, make_post):
    post = make_post("[urgent] chest pain")
    response = client.get(post.thread.get_absolute_url())
    html = response.content.decode()
    assert "notice-urgent" in html
    assert html.index(services.notice_text("urgent").replace("'", "&#x27;")) < html.index(
        'class="body"'
    )
    services.notice_add(
        moderator=moderator, post=post, severity="advice", text="<script>alert(1)</script>"
    )
    html = client.get(post.thread.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "notice-urgent" not in html


def test_a_removed_notice_is_no_longer_shown(stub_detector, client, moderator, make_post):
    post = make_post("[advice] knee")
    services.notice_remove(moderator=moderator, notice=post.notices.get())
    assert b'role="note"' not in client.get(post.thread.get_absolute_url()).content


def test_author_cannot_edit_a_confirmed_notice_away_through_the_page(
    stub_detector, client, member, moderator, make_post
):
    post = make_post("[advice] my knee swells, should I see someone?")
    services.review_confirm(moderator=moderator, review=post.review)
    client.force_login(member)
    response = client.post(reverse("forum:post_edit", args=[post.pk]), {"body": "Nice weather"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.source == "Nice weather"
    html = client.get(post.thread.get_absolute_url()).content.decode()
    assert 'role="note"' in html


def test_report_reasons_are_grouped_under_a_legend(stub_detector, client, other_member, make_post):
    from html.parser import HTMLParser

    class Radios(HTMLParser):
        def __init__(self):
            super().__init__()
            self.depth, self.legend, self.inside, self.outside = 0, "", 0, 0
            self._in_legend = False

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "fieldset":
                self.depth += 1
            elif tag == "legend":
                self._in_legend = True
            elif tag == "input" and attrs.get("name") == "reason":
                if self.depth:
                    self.inside += 1
                else:
                    self.outside += 1

        def handle_endtag(self, tag):
            if tag == "fieldset":
                self.depth -= 1
            elif tag == "legend":
                self._in_legend = False

        def handle_data(self, data):
            if self._in_legend:
                self.legend += data

    post = make_post("Spam spam")
    client.force_login(other_member)
    radios = Radios()
    radios.feed(client.get(report_url(post)).content.decode())
    assert radios.inside == len(Report.Reason.choices) and radios.outside == 0
    assert radios.legend.strip().startswith("Reason")
