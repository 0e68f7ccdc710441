from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from forum import services as forum_services
from moderation import services
from moderation.models import AuditLog, CategorySettings, Notice, NoticeTemplate, Review
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db

URGENT = "I have sharp chest pain and my left arm is numb, should I go to the ER?"
HARMLESS = "Post your PRs of the week"


def live_notices(post):
    return list(Notice.objects.filter(post=post, removed__isnull=True))


# --- Screening on create, edit and import -------------------------------------------------


def test_the_real_detector_flags_a_clear_request_and_leaves_chatter_alone(make_post):
    asking = make_post(URGENT)
    chatter = make_post(HARMLESS)
    assert asking.review.status == Review.Status.PENDING
    assert asking.review.severity == "urgent"
    assert asking.review.model_version
    (notice,) = live_notices(asking)
    assert notice.severity == "urgent"
    assert notice.text == NoticeTemplate.objects.get(severity="urgent").text
    assert chatter.review.status == Review.Status.CLEAR
    assert live_notices(chatter) == []


def test_flagged_reply_gets_a_notice_and_an_audit_row(stub_detector, member, thread):
    post = forum_services.post_reply(author=member, thread=thread, body="[advice] my knee?")
    post.review.refresh_from_db()
    assert post.review.status == Review.Status.PENDING
    assert post.review.cues == ["asks: should I see"]
    assert [n.origin for n in live_notices(post)] == [Notice.Origin.DETECTOR]
    row = AuditLog.objects.get(post=post)
    assert row.actor is None
    assert row.action == "screen"
    assert row.before["review"]["status"] == "clear"
    assert row.after["review"]["status"] == "pending"
    assert row.after["notice"]["severity"] == "advice"


def test_edit_that_flags_a_post_adds_the_notice_and_edit_back_withdraws_it(
    stub_detector, member, make_post
):
    post = make_post("Deadlift day")
    assert live_notices(post) == []
    forum_services.post_edit(editor=member, post=post, body="[advice] deadlift hurts my back")
    assert len(live_notices(post)) == 1
    post.review.refresh_from_db()
    assert post.review.status == Review.Status.PENDING

    forum_services.post_edit(editor=member, post=post, body="Deadlift day, all good")
    post.review.refresh_from_db()
    assert live_notices(post) == []
    assert post.review.status == Review.Status.CLEAR
    # The withdrawn notice is kept, marked removed.
    assert Notice.objects.filter(post=post, removed__isnull=False).count() == 1


def test_edit_from_advice_to_urgent_raises_the_notice(stub_detector, member, make_post):
    post = make_post("[advice] knee clicks")
    forum_services.post_edit(editor=member, post=post, body="[urgent] now my chest hurts")
    (notice,) = live_notices(post)
    assert notice.severity == "urgent"
    assert notice.text == services.notice_text("urgent")


def test_imported_posts_are_screened_too(stub_detector, category):
    from forum.importers import parse_printable, thread_import

    printout = "\n".join(
        [
            "Page 1 of 1",
            "Sore shins",
            "Posted: Tue Feb 08, 2011 2:25 pm",
            "by runner1",
            "[urgent] my shins hurt and I fainted on the track",
            "Posted: Tue Feb 08, 2011 3:00 pm",
            "by coach2",
            "Get it looked at.",
        ]
    )
    thread = thread_import(parsed=parse_printable(printout), category=category)
    first, reply = thread.posts.order_by("number")
    assert first.review.status == Review.Status.PENDING
    assert [n.severity for n in live_notices(first)] == ["urgent"]
    assert reply.review.status == Review.Status.CLEAR
    assert live_notices(reply) == []


# --- Decisions ------------------------------------------------------------------------------


def test_confirm_keeps_the_notice_through_any_later_edit(
    stub_detector, member, moderator, make_post
):
    post = make_post("[advice] should I see someone about my shin?")
    review = services.review_confirm(moderator=moderator, review=post.review)
    assert review.status == Review.Status.CONFIRMED
    assert review.decided_by == moderator
    (notice,) = live_notices(post)
    assert notice.confirmed

    # The author tries to shake the notice off by editing the question away.
    forum_services.post_edit(editor=member, post=post, body="Never mind, nice weather")
    review.refresh_from_db()
    assert review.status == Review.Status.CONFIRMED
    assert [n.pk for n in live_notices(post)] == [notice.pk]
    # ...and an edit that adds red flags raises it to urgent rather than removing it.
    forum_services.post_edit(editor=member, post=post, body="[urgent] chest pain now")
    notice.refresh_from_db()
    assert notice.removed is None
    assert notice.severity == "urgent"


def test_confirm_of_a_reported_post_adds_an_advice_notice(
    stub_detector, member, other_member, moderator, make_post
):
    post = make_post("Which painkiller do you take?")
    services.report_create(reporter=other_member, post=post, reason="medical")
    review = services.review_confirm(moderator=moderator, review=post.review)
    assert review.severity == "advice"
    (notice,) = live_notices(post)
    # Added by the decision, so a later dismissal of the same review takes it off again.
    assert (notice.origin, notice.created_by, notice.confirmed) == ("review", moderator, True)
    assert post.reports.get().resolved_by == moderator


def test_dismiss_removes_the_detector_notice_and_it_stays_off_until_flagged_again(
    stub_detector, member, moderator, make_post
):
    post = make_post("[advice] is my DOMS normal?")
    review = services.review_dismiss(moderator=moderator, review=post.review)
    assert review.status == Review.Status.DISMISSED
    assert live_notices(post) == []
    assert Notice.objects.get(post=post).removed_by == moderator

    # An edit that is not flagged leaves the decision alone.
    forum_services.post_edit(editor=member, post=post, body="DOMS is normal, thanks all")
    review.refresh_from_db()
    assert review.status == Review.Status.DISMISSED

    # An edit that is flagged again sends it back to the queue with a notice.
    forum_services.post_edit(editor=member, post=post, body="[urgent] now I fainted")
    review.refresh_from_db()
    assert review.status == Review.Status.PENDING
    assert review.decided_by is None
    assert [n.severity for n in live_notices(post)] == ["urgent"]


def test_dismiss_keeps_a_notice_a_moderator_added_by_hand(stub_detector, moderator, make_post):
    post = make_post("Ran a 10k")
    services.notice_add(moderator=moderator, post=post, severity="advice", text="See a GP.")
    services.review_dismiss(moderator=moderator, review=post.review)
    assert [n.text for n in live_notices(post)] == ["See a GP."]


def test_notice_add_replaces_the_live_notice_and_remove_takes_it_off(
    stub_detector, moderator, make_post
):
    post = make_post("[advice] knee")
    detector_notice = live_notices(post)[0]
    notice = services.notice_add(moderator=moderator, post=post, severity="urgent")
    assert notice.text == services.notice_text("urgent")
    assert live_notices(post) == [notice]
    detector_notice.refresh_from_db()
    assert detector_notice.removed_by == moderator

    removed = services.notice_remove(moderator=moderator, notice=notice)
    assert removed.removed is not None
    assert live_notices(post) == []
    rows = list(AuditLog.objects.filter(actor=moderator).order_by("pk"))
    assert [r.action for r in rows] == ["notice.add", "notice.remove"]
    assert rows[0].before["notice"]["id"] == detector_notice.pk
    assert rows[1].before["notice"]["removed"] is None
    assert rows[1].after["notice"]["removed"] is not None
    # Removing again changes nothing and logs nothing.
    services.notice_remove(moderator=moderator, notice=notice)
    assert AuditLog.objects.filter(actor=moderator).count() == 2


def test_notice_add_validates_severity_and_text(stub_detector, moderator, make_post):
    post = make_post("Hello")
    with pytest.raises(ValidationError):
        services.notice_add(moderator=moderator, post=post, severity="none")
    with pytest.raises(ValidationError):
        services.notice_add(moderator=moderator, post=post, severity="advice", text="x" * 2001)
    assert live_notices(post) == []
    assert not AuditLog.objects.filter(actor=moderator).exists()


def test_notice_text_follows_the_administrators_template(stub_detector, make_post):
    NoticeTemplate.objects.filter(severity="advice").update(text="Ask a physio, please.")
    post = make_post("[advice] shoulder pinch")
    assert live_notices(post)[0].text == "Ask a physio, please."


# --- Per-category settings ------------------------------------------------------------------


def test_category_with_notices_off_gets_no_automatic_notice_or_queue_entry(
    stub_detector, member, moderator, make_post
):
    corner = CategoryFactory(name="Physiotherapists' corner")
    CategorySettings.objects.create(category=corner, notices_enabled=False)
    post = make_post("[urgent] client with chest pain, what do you do?", in_category=corner)
    assert post.review.status == Review.Status.CLEAR
    assert post.review.score == 0.97
    assert live_notices(post) == []
    # Moderators can still add one by hand.
    services.notice_add(moderator=moderator, post=post, severity="urgent")
    assert len(live_notices(post)) == 1


def test_category_threshold_raises_the_bar_for_automatic_notices(stub_detector, make_post):
    strict = CategoryFactory()
    CategorySettings.objects.create(category=strict, threshold=0.9)
    borderline = make_post("[borderline] tight calves?", in_category=strict)
    clear_case = make_post("[urgent] chest pain", in_category=strict)
    elsewhere = make_post("[borderline] tight calves again?")
    assert borderline.review.status == Review.Status.CLEAR
    assert live_notices(borderline) == []
    assert clear_case.review.status == Review.Status.PENDING
    assert elsewhere.review.status == Review.Status.PENDING


# --- Audit of the forum's moderation actions -------------------------------------------------


def test_forum_moderation_actions_are_audited_with_before_and_after(
    stub_detector, member, moderator, thread
):
    post = thread.posts.get()
    other = CategoryFactory()
    forum_services.post_hide(actor=moderator, post=post)
    forum_services.post_hide(actor=moderator, post=post)  # no change: no row
    forum_services.post_restore(actor=moderator, post=post)
    forum_services.thread_lock(actor=moderator, thread=thread)
    forum_services.thread_pin(actor=moderator, thread=thread)
    forum_services.thread_move(actor=moderator, thread=thread, category=other)
    forum_services.post_edit(editor=moderator, post=post, body="Edited by a moderator")
    forum_services.thread_edit_title(actor=moderator, thread=thread, title="Renamed")
    rows = list(AuditLog.objects.filter(actor=moderator).order_by("pk"))
    assert [r.action for r in rows] == [
        "post.hide",
        "post.restore",
        "thread.lock",
        "thread.pin",
        "thread.move",
        "post.edit",
        "thread.rename",
    ]
    hide = rows[0]
    assert (hide.before["state"], hide.after["state"]) == ("visible", "hidden")
    assert hide.post == post
    assert hide.target == f"forum.post:{post.pk}"
    move = rows[4]
    assert move.before["category"] == thread.category_id
    assert move.after["category"] == other.pk
    assert rows[5].before["source"] == "First post."
    assert rows[5].after["source"] == "Edited by a moderator"


def test_authors_own_edits_and_renames_are_not_moderation(stub_detector, member, thread):
    forum_services.post_edit(editor=member, post=thread.posts.get(), body="My own words")
    forum_services.thread_edit_title(actor=member, thread=thread, title="My title")
    assert not AuditLog.objects.filter(actor=member).exists()


def test_every_moderation_service_writes_one_audit_row(
    stub_detector, member, other_member, moderator, make_post
):
    post = make_post("[advice] knee")
    review = post.review
    before = AuditLog.objects.count()
    services.report_create(reporter=other_member, post=post, reason="spam", comment="ads")
    services.review_confirm(moderator=moderator, review=review)
    services.review_dismiss(moderator=moderator, review=review)
    notice = services.notice_add(moderator=moderator, post=post, severity="advice")
    services.notice_remove(moderator=moderator, notice=notice)
    actions = list(AuditLog.objects.order_by("pk").values_list("action", flat=True))[before:]
    assert actions == [
        "report.create",
        "review.confirm",
        "review.dismiss",
        "notice.add",
        "notice.remove",
    ]
    confirm = AuditLog.objects.get(action="review.confirm")
    assert confirm.before["review"]["status"] == "pending"
    assert confirm.after["review"]["status"] == "confirmed"
    assert confirm.after["resolved_reports"] == [post.reports.get().pk]


def test_audit_rows_cannot_be_changed_or_deleted(stub_detector, moderator, make_post):
    post = make_post("Hello")
    row = services.audit(actor=moderator, action="test", post=post)
    row.action = "forged"
    with pytest.raises(PermissionDenied):
        row.save()
    with pytest.raises(PermissionDenied):
        row.delete()
    with pytest.raises(PermissionDenied):
        AuditLog.objects.filter(pk=row.pk).update(action="forged")
    with pytest.raises(PermissionDenied):
        AuditLog.objects.all().delete()
    row.refresh_from_db()
    assert row.action == "test"


# --- Permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda u, p: services.review_confirm(moderator=u, review=p.review),
        lambda u, p: services.review_dismiss(moderator=u, review=p.review),
        lambda u, p: services.notice_add(moderator=u, post=p, severity="advice"),
        lambda u, p: services.notice_remove(moderator=u, notice=p.notices.get()),
        lambda u, p: forum_services.post_hide(actor=u, post=p),
        lambda u, p: forum_services.thread_lock(actor=u, thread=p.thread),
    ],
    ids=["confirm", "dismiss", "notice_add", "notice_remove", "hide", "lock"],
)
def test_members_cannot_moderate_and_nothing_is_written(stub_detector, member, make_post, call):
    post = make_post("[advice] knee", author=UserFactory())
    rows = AuditLog.objects.count()
    with pytest.raises(PermissionDenied):
        call(member, post)
    post.review.refresh_from_db()
    assert post.review.status == Review.Status.PENDING
    assert len(live_notices(post)) == 1
    post.refresh_from_db()
    assert post.state == "visible"
    assert AuditLog.objects.count() == rows


def test_an_inactive_moderator_cannot_moderate(stub_detector, make_post):
    former = UserFactory(moderator=True, is_active=False)
    post = make_post("[advice] knee")
    with pytest.raises(PermissionDenied):
        services.review_confirm(moderator=former, review=post.review)
