"""Reports as their own workflow: outcomes, the reporter told, repeat false reporters."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from accounts.models import Sanction
from forum.models import Notification, Post
from moderation import selectors, services
from moderation.models import AuditLog, Report, Review
from tests.commit import committed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _reported(make_post, reporter, text="Buy cheap watches at example.com", reason="spam"):
    post = make_post(text)
    services.report_create(reporter=reporter, post=post, reason=reason)
    return post


def test_hidden_outcome_hides_the_post_resolves_and_tells_the_reporter(
    stub_detector, moderator, other_member, make_post
):
    post = _reported(make_post, other_member)
    committed(services.reports_resolve)(moderator=moderator, post=post, outcome="hidden")
    post.refresh_from_db()
    assert post.state == Post.State.HIDDEN
    report = Report.objects.get(post=post)
    assert report.outcome == Report.Outcome.HIDDEN and report.resolved_by == moderator
    note = Notification.objects.get(recipient=other_member, kind=Notification.Kind.MODERATION)
    assert note.post == post and "hid the post" in note.message
    row = AuditLog.objects.get(action="report.resolve")
    assert row.before["reports"][0]["outcome"] == ""
    assert row.after["reports"][0]["outcome"] == "hidden"
    assert AuditLog.objects.filter(action="post.hide", post=post).count() == 1


def test_the_reporter_reads_the_outcome_but_not_the_hidden_text(
    stub_detector, moderator, other_member, make_post
):
    post = _reported(make_post, other_member, text="Secret spam words for sale")
    committed(services.reports_resolve)(moderator=moderator, post=post, outcome="hidden")
    client = Client()
    client.force_login(other_member)
    page = client.get("/notifications/").content.decode()
    assert "<strong>Moderation</strong>: post #1" in page and "hid the post you reported" in page
    assert "Secret spam words" not in page
    assert moderator.username not in page
    api = client.get("/api/v1/notifications/").json()["results"][0]
    assert api["kind"] == "moderation" and api["actor"] is None
    assert "hid the post" in api["message"]


def test_dismissal_and_confirmation_give_reports_fitting_outcomes(
    stub_detector, moderator, other_member, make_post
):
    spam = _reported(make_post, other_member)
    medical = _reported(make_post, other_member, text="Is my knee torn?", reason="medical")
    committed(services.review_dismiss)(moderator=moderator, review=spam.review)
    committed(services.review_confirm)(moderator=moderator, review=medical.review)
    assert Report.objects.get(post=spam).outcome == Report.Outcome.NO_ACTION
    assert Report.objects.get(post=medical).outcome == Report.Outcome.NOTICE
    messages = dict(
        Notification.objects.filter(recipient=other_member).values_list("post_id", "message")
    )
    assert "needs no action" in messages[spam.pk]
    assert "see a professional" in messages[medical.pk]


def test_undo_reopens_the_reports_and_clears_their_outcome(
    stub_detector, moderator, other_member, make_post
):
    post = _reported(make_post, other_member)
    services.review_dismiss(moderator=moderator, review=post.review)
    services.decision_undo(moderator=moderator, entry=services.undoable_entry(post=post))
    report = Report.objects.get(post=post)
    assert report.resolved is None and report.outcome == ""


def test_warned_outcome_warns_the_author(stub_detector, moderator, member, other_member, make_post):
    post = _reported(make_post, other_member)
    services.reports_resolve(
        moderator=moderator, post=post, outcome="warned", warning="No advertising, please."
    )
    warning = Sanction.objects.get(member=member)
    assert warning.kind == Sanction.Kind.WARNING and warning.reason == "No advertising, please."
    assert Report.objects.get(post=post).outcome == Report.Outcome.WARNED


def test_resolving_without_open_reports_changes_and_records_nothing(
    stub_detector, moderator, make_post
):
    post = make_post("Nobody reported this")
    with pytest.raises(services.NothingToDo):
        services.reports_resolve(moderator=moderator, post=post, outcome="hidden")
    post.refresh_from_db()
    assert post.state == Post.State.VISIBLE
    assert not AuditLog.objects.filter(actor=moderator).exists()


def test_members_cannot_resolve_reports(stub_detector, member, other_member, make_post):
    post = _reported(make_post, other_member)
    with pytest.raises(PermissionDenied):
        services.reports_resolve(moderator=member, post=post, outcome="false")
    assert Report.objects.get(post=post).resolved is None


def test_repeat_false_reporters_are_counted_down_weighted_and_throttled(
    stub_detector, settings, moderator, other_member, make_post
):
    settings.STOA = {**settings.STOA, "FALSE_REPORT_LIMIT": 2, "FALSE_REPORTER_DAILY": 3}
    for i in range(2):
        post = _reported(make_post, other_member, text=f"Ordinary post {i}")
        services.reports_resolve(moderator=moderator, post=post, outcome="false")
    assert services.false_report_count(other_member) == 2
    history = selectors.member_history(member_id=other_member.pk)
    assert history["reports"] == 2 and history["false_reports"] == 2

    # The third report is kept and listed, but does not queue the post on its own.
    post = _reported(make_post, other_member, text="Another ordinary post")
    report = Report.objects.get(post=post)
    assert report.down_weighted
    post.review.refresh_from_db()
    assert post.review.status == Review.Status.CLEAR
    assert post.review not in selectors.review_queue()
    listed = selectors.with_false_reports(Report.objects.filter(pk=report.pk)).get()
    assert listed.reporter_false_reports == 2
    # Another member's report of the same post still queues it, and resolves both.
    services.report_create(reporter=UserFactory(), post=post, reason="spam")
    assert post.review in selectors.review_queue()
    # Three reports a day at most (the three above): the next one is refused.
    with pytest.raises(PermissionDenied, match="a day"):
        _reported(make_post, other_member, text="Yet another post")


def test_admin_resolves_reports_with_a_preview_and_shows_false_counts(
    stub_detector, moderator, other_member, make_post
):
    post = _reported(make_post, other_member)
    client = Client()
    client.force_login(moderator)
    url = "/admin/moderation/review/"
    data = {"action": "reports_false", "_selected_action": [post.review.pk]}
    preview = client.post(url, data)
    assert preview.status_code == 200
    assert "resolve 1 open report as “False report”" in preview.content.decode()
    assert Report.objects.get(post=post).resolved is None
    client.post(url, {**data, "post": "yes"})
    assert Report.objects.get(post=post).outcome == Report.Outcome.FALSE
    page = client.get(f"/admin/moderation/report/?q={other_member.username}").content.decode()
    assert "False report" in page
    change = client.get(f"/admin/moderation/review/{post.review.pk}/change/").content.decode()
    assert "1 false report in 90 days" in change
    assert "As a reporter" in change


def test_api_resolves_reports_and_lists_outcomes(stub_detector, moderator, other_member, make_post):
    from tests.api.conftest import bearer

    post = _reported(make_post, other_member)
    api = bearer(moderator)
    url = f"/api/v1/moderation/queue/{post.review.pk}/reports/"
    assert api.post(url, {"outcome": "closed"}).status_code == 400
    response = api.post(url, {"outcome": "no_action"})
    assert response.status_code == 200, response.content
    assert response.json()["open_reports"] == 0
    listed = api.get("/api/v1/moderation/reports/?outcome=no_action").json()["results"]
    assert [r["outcome"] for r in listed] == ["no_action"]
    assert listed[0]["reporter_false_reports"] == 0
    assert api.post(url, {"outcome": "no_action"}).status_code == 400
    assert bearer(other_member).post(url, {"outcome": "false"}).status_code == 403


def test_admin_warns_the_author_with_the_moderators_text_after_a_preview(
    stub_detector, moderator, member, other_member, make_post
):
    post = _reported(make_post, other_member)
    client = Client()
    client.force_login(moderator)
    url = "/admin/moderation/review/"
    data = {"action": "reports_warned", "_selected_action": [post.review.pk]}
    preview = client.post(url, data).content.decode()
    assert f"warn its author {member.username}" in preview and 'name="text"' in preview
    # Confirmed without the words: asked again, nothing done.
    again = client.post(url, {**data, "post": "yes", "text": "  "}).content.decode()
    assert "Write the warning" in again
    assert not Sanction.objects.filter(member=member).exists()
    assert Report.objects.get(post=post).resolved is None

    committed(client.post)(url, {**data, "post": "yes", "text": "No advertising, please."})
    assert Report.objects.get(post=post).outcome == Report.Outcome.WARNED
    (warning,) = Sanction.objects.filter(member=member)
    assert warning.reason == "No advertising, please." and warning.created_by == moderator
    # The author gets a notification with the moderator's words; the reporter gets the outcome.
    note = Notification.objects.get(recipient=member, kind=Notification.Kind.MODERATION)
    assert note.post == post and note.message == "A moderator warned you: No advertising, please."
    told = Notification.objects.get(recipient=other_member, kind=Notification.Kind.MODERATION)
    assert "acted on it" in told.message
    assert AuditLog.objects.filter(action="member.warn", actor=moderator).count() == 1


def test_undoing_a_hidden_outcome_shows_the_post_and_reopens_its_reports(
    stub_detector, moderator, other_member, make_post
):
    post = _reported(make_post, other_member)
    before = Report.objects.get(post=post)
    services.reports_resolve(moderator=moderator, post=post, outcome="hidden")
    entry = services.undoable_entry(post=post)
    assert entry.action == "report.resolve" and services.UNDOABLE[entry.action]

    services.decision_undo(moderator=moderator, entry=entry)
    post.refresh_from_db()
    assert post.state == Post.State.VISIBLE
    report = Report.objects.get(post=post)
    assert (report.resolved, report.resolved_by, report.outcome) == (None, None, "")
    assert services.snapshot(report) == services.snapshot(before)
    # Back in the queue as it was, and the undo is recorded (and cannot itself be undone).
    assert selectors.review_queue().filter(post=post).exists()
    undo = AuditLog.objects.get(action="undo", post=post)
    assert undo.after["undoes"] == entry.pk and undo.after["reopened_reports"] == [report.pk]
    assert services.undoable_entry(post=post) is None


def test_undoing_a_warned_outcome_withdraws_the_warning_exactly(
    stub_detector, moderator, member, other_member, make_post
):
    post = _reported(make_post, other_member)
    warned_before = member.warned
    services.reports_resolve(
        moderator=moderator, post=post, outcome="warned", warning="No advertising, please."
    )
    services.decision_undo(moderator=moderator, entry=services.undoable_entry(post=post))

    member.refresh_from_db()
    assert member.warned == warned_before
    from moderation import sanctions

    assert sanctions.recent_warnings(member) == []
    assert not Notification.objects.filter(recipient=member).exists()
    warning = Sanction.objects.get(member=member)  # kept on record, withdrawn
    assert warning.lifted is not None and warning.lifted_by == moderator
    assert AuditLog.objects.filter(action="member.unwarn", actor=moderator).count() == 1
    assert Report.objects.get(post=post).resolved is None
    client = Client()
    client.force_login(member)
    assert "No advertising" not in client.get("/").content.decode()


def test_a_resolution_changed_since_cannot_be_undone(
    stub_detector, moderator, other_member, make_post
):
    from forum import services as forum_services

    post = _reported(make_post, other_member)
    services.reports_resolve(moderator=moderator, post=post, outcome="no_action")
    entry = services.undoable_entry(post=post)
    # Another moderator hid the post meanwhile: the undo refuses rather than guess.
    forum_services.post_hide(actor=moderator, post=post)
    with pytest.raises(ValidationError):
        services.decision_undo(moderator=moderator, entry=entry)
    assert Report.objects.get(post=post).outcome == Report.Outcome.NO_ACTION


def test_the_review_page_offers_the_resolutions_undo(
    stub_detector, moderator, other_member, make_post
):
    post = _reported(make_post, other_member)
    services.reports_resolve(moderator=moderator, post=post, outcome="hidden")
    client = Client()
    client.force_login(moderator)
    page = client.get(f"/admin/moderation/review/{post.review.pk}/change/").content.decode()
    assert "Undo the outcome of the reports" in page


def test_api_warns_then_undoes_the_outcome(
    stub_detector, moderator, member, other_member, make_post
):
    from tests.api.conftest import bearer

    post = _reported(make_post, other_member)
    api = bearer(moderator)
    url = f"/api/v1/moderation/queue/{post.review.pk}/reports/"
    response = api.post(url, {"outcome": "warned", "warning": "Keep it civil."})
    assert response.status_code == 200 and response.json()["open_reports"] == 0
    assert Sanction.objects.get(member=member).lifted is None
    undone = api.post(f"/api/v1/moderation/queue/{post.review.pk}/undo/")
    assert undone.status_code == 200, undone.content
    assert undone.json()["open_reports"] == 1
    assert Sanction.objects.get(member=member).lifted is not None
