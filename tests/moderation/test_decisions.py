"""Decisions are explicit (a preview first), no-ops say so and record nothing, and the latest
decision on a post can be undone to exactly the state before it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from forum import services as forum_services
from moderation import services
from moderation.models import AuditLog, Notice, Report, Review
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:moderation_review_changelist")


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


def act(client, action, *reviews, **extra):
    return client.post(
        QUEUE + "?queue=all",
        {"action": action, "_selected_action": [r.pk for r in reviews], **extra},
    )


def live(post):
    return list(Notice.objects.filter(post=post, removed__isnull=True).values())


def state(post):
    """Everything a decision may touch, as the database holds it."""
    review = Review.objects.get(post=post)
    return {
        "review": {
            f: getattr(review, f)
            for f in ("status", "severity", "queued", "decided_by_id", "decided")
        },
        "notices": live(post),
        "open_reports": sorted(
            Report.objects.filter(post=post, resolved__isnull=True).values_list("pk", flat=True)
        ),
        "post_state": type(post).objects.get(pk=post.pk).state,
    }


# --- Previews ------------------------------------------------------------------------------


def test_confirm_shows_what_it_will_do_and_does_nothing_until_confirmed(
    stub_detector, mod_client, other_member, make_post
):
    post = make_post("[advice] knee")
    services.report_create(reporter=other_member, post=post, reason="medical")
    response = act(mod_client, "confirm", post.review)
    assert response.status_code == 200
    html = response.content.decode()
    assert "mark the post as asking for medical advice" in html
    assert "no longer says it was added automatically" in html
    assert "resolve 1 open report" in html
    assert 'name="post" value="yes"' in html
    post.review.refresh_from_db()
    assert post.review.status == "pending"
    assert not AuditLog.objects.filter(action="review.confirm").exists()
    act(mod_client, "confirm", post.review, post="yes")
    post.review.refresh_from_db()
    assert post.review.status == "confirmed"


def test_bulk_preview_lists_each_post_and_leaves_the_unchanged_ones_alone(
    stub_detector, mod_client, moderator, make_post
):
    a = make_post("[advice] ankle question")
    b = make_post("[advice] elbow question")
    services.review_dismiss(moderator=moderator, review=b.review)
    html = act(mod_client, "dismiss", a.review, b.review).content.decode()
    assert "ankle question" in html
    assert "elbow question" in html
    assert "Nothing to change here" in html
    assert "(1 post)" in html
    act(mod_client, "dismiss", a.review, b.review, post="yes")
    assert AuditLog.objects.filter(action="review.dismiss").count() == 2  # b's first, then a


# --- No-ops --------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["hide_post", "restore_post", "confirm", "dismiss"])
def test_an_action_that_would_change_nothing_says_so_and_records_nothing(
    stub_detector, mod_client, moderator, make_post, action
):
    post = make_post("[advice] knee")
    if action == "hide_post":
        forum_services.post_hide(actor=moderator, post=post)
    elif action == "confirm":
        services.review_confirm(moderator=moderator, review=post.review)
    elif action == "dismiss":
        services.review_dismiss(moderator=moderator, review=post.review)
    rows = AuditLog.objects.count()
    response = act(mod_client, action, post.review, post="yes", next=QUEUE)
    assert response.status_code == 302
    page = mod_client.get(response["Location"]).content.decode()
    assert "nothing to change, so nothing was done or recorded" in page
    assert "Hidden: 1" not in page
    assert "Restored: 1" not in page
    assert AuditLog.objects.count() == rows


def test_services_refuse_a_no_op_decision_without_writing(stub_detector, moderator, make_post):
    post = make_post("[advice] knee")
    services.review_confirm(moderator=moderator, review=post.review)
    rows = AuditLog.objects.count()
    with pytest.raises(services.NothingToDo):
        services.review_confirm(moderator=moderator, review=post.review)
    with pytest.raises(services.NothingToDo):
        services.review_set_severity(moderator=moderator, review=post.review, severity="advice")
    assert AuditLog.objects.count() == rows


# --- Dismiss after confirm; severity ---------------------------------------------------------


def test_dismiss_after_a_mistaken_confirm_removes_the_notice(
    stub_detector, moderator, other_member, make_post
):
    flagged = make_post("[advice] knee")
    reported = make_post("Which protein powder?")
    services.report_create(reporter=other_member, post=reported, reason="medical")
    for post in (flagged, reported):
        services.review_confirm(moderator=moderator, review=post.review)
        assert len(live(post)) == 1
        services.review_dismiss(moderator=moderator, review=post.review)
        assert live(post) == []


def test_a_hand_written_notice_survives_a_dismissal(stub_detector, moderator, make_post):
    post = make_post("[advice] knee")
    services.notice_add(moderator=moderator, post=post, severity="advice", text="See a GP.")
    services.review_dismiss(moderator=moderator, review=post.review)
    assert [n["text"] for n in live(post)] == ["See a GP."]


def test_changing_severity_rewords_the_notice_and_is_audited(stub_detector, moderator, make_post):
    post = make_post("[advice] knee")
    services.review_set_severity(moderator=moderator, review=post.review, severity="urgent")
    (notice,) = live(post)
    assert notice["severity"] == "urgent"
    assert notice["text"] == services.notice_text("urgent")
    row = AuditLog.objects.get(action="review.severity")
    assert row.before["review"]["severity"] == "advice"
    assert row.after["notice"]["severity"] == "urgent"
    with pytest.raises(ValidationError):
        services.review_set_severity(moderator=moderator, review=post.review, severity="none")


# --- Undo ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "decide"),
    [
        ("flagged", "confirm"),
        ("flagged", "dismiss"),
        ("reported", "confirm"),
        ("confirmed", "dismiss"),
        ("flagged", "severity"),
        ("flagged", "hide"),
    ],
)
def test_undo_puts_back_exactly_the_state_before_the_decision(
    stub_detector, moderator, other_member, make_post, setup, decide
):
    post = make_post("Which painkiller?" if setup == "reported" else "[advice] knee")
    if setup == "reported":
        services.report_create(reporter=other_member, post=post, reason="medical")
    if setup == "confirmed":
        services.review_confirm(moderator=moderator, review=post.review)
        services.report_create(reporter=other_member, post=post, reason="spam")
    post.review.refresh_from_db()
    before = state(post)
    if decide == "confirm":
        services.review_confirm(moderator=moderator, review=post.review)
    elif decide == "dismiss":
        services.review_dismiss(moderator=moderator, review=post.review)
    elif decide == "severity":
        services.review_set_severity(moderator=moderator, review=post.review, severity="urgent")
    else:
        forum_services.post_hide(actor=moderator, post=post)
    assert state(post) != before
    entry = services.undoable_entry(post=post)
    undo = services.decision_undo(moderator=moderator, entry=entry)
    assert state(post) == before
    assert undo.action == "undo"
    assert undo.after["undoes"] == entry.pk
    # Undone once; the undo itself is the latest change and cannot be "undone" again.
    assert services.undoable_entry(post=post) is None
    with pytest.raises(ValidationError):
        services.decision_undo(moderator=moderator, entry=entry)


def test_an_edit_after_the_decision_blocks_the_undo(stub_detector, moderator, member, make_post):
    post = make_post("[advice] knee")
    services.review_dismiss(moderator=moderator, review=post.review)
    entry = services.undoable_entry(post=post)
    forum_services.post_edit(editor=member, post=post, body="[urgent] now chest pain")
    assert services.undoable_entry(post=post) is None
    with pytest.raises(ValidationError, match="changed since"):
        services.decision_undo(moderator=moderator, entry=entry)


def test_undo_from_the_review_page_restores_the_notice_state(stub_detector, mod_client, make_post):
    post = make_post("[advice] knee")
    page = reverse("admin:moderation_review_change", args=[post.review.pk])
    act(mod_client, "confirm", post.review, post="yes", next=page)
    assert live(post)[0]["confirmed"] is True
    html = mod_client.get(page).content.decode()
    assert "Undo the confirmation" in html
    entry = services.undoable_entry(post=post)
    response = mod_client.post(
        reverse("admin:moderation_review_undo", args=[post.review.pk]), {"entry": entry.pk}
    )
    assert response.status_code == 302
    (notice,) = live(post)
    assert notice["confirmed"] is False
    post.review.refresh_from_db()
    assert post.review.status == "pending"
    html = mod_client.get(page).content.decode()
    assert "Undone: the confirmation" in html
    assert "Undo the" not in html


def test_members_cannot_undo(stub_detector, client, moderator, make_post):
    post = make_post("[advice] knee")
    services.review_confirm(moderator=moderator, review=post.review)
    entry = services.undoable_entry(post=post)
    client.force_login(UserFactory())
    client.post(reverse("admin:moderation_review_undo", args=[post.review.pk]), {"entry": entry.pk})
    post.review.refresh_from_db()
    assert post.review.status == "confirmed"
