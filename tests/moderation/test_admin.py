from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum import services as forum_services
from moderation import services
from moderation.models import AuditLog, CategorySettings, Notice, NoticeTemplate, Review
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:moderation_review_changelist")
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


def act(client, action, *objs, url=QUEUE, **extra):
    return client.post(
        url, {"action": action, "_selected_action": [o.pk for o in objs], **extra}, follow=False
    )


def live(post):
    return list(Notice.objects.filter(post=post, removed__isnull=True))


# --- The queue --------------------------------------------------------------------------------


def test_queue_lists_flagged_and_reported_posts_with_their_details(
    stub_detector, mod_client, other_member, make_post
):
    flagged = make_post("[urgent] chest pain while running")
    reported = make_post("Cheap watches here")
    services.report_create(reporter=other_member, post=reported, reason="spam")
    quiet = make_post("Leg day went well")
    response = mod_client.get(QUEUE)
    assert response.status_code == 200
    html = response.content.decode()
    # The red flag's words are marked in the excerpt.
    assert "<mark>chest pain</mark> while running" in html
    assert "0.97" in html
    assert flagged.thread.title in html
    assert flagged.author.username in html
    assert "Cheap watches here" in html
    assert "Leg day went well" not in html
    # "All reviews" shows the quiet one too.
    assert "Leg day went well" in mod_client.get(QUEUE, {"queue": "all"}).content.decode()
    assert quiet.review.status == Review.Status.CLEAR


def test_queue_filters_by_status_severity_and_category(stub_detector, mod_client, make_post):
    corner = CategoryFactory(name="Corner")
    make_post("[urgent] fainted at the gym")
    make_post("[advice] sore wrist", in_category=corner)
    by_severity = mod_client.get(QUEUE, {"severity__exact": "urgent"}).content.decode()
    assert "fainted at the gym" in by_severity
    assert "sore wrist" not in by_severity
    by_category = mod_client.get(
        QUEUE, {"post__thread__category__id__exact": corner.pk}
    ).content.decode()
    assert "sore wrist" in by_category
    assert "fainted at the gym" not in by_category
    confirmed = mod_client.get(QUEUE, {"queue": "all", "status__exact": "confirmed"})
    assert "sore wrist" not in confirmed.content.decode()


def test_queue_costs_the_same_queries_whatever_its_length(
    stub_detector, mod_client, member, make_post
):
    make_post("[advice] one")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert mod_client.get(QUEUE).status_code == 200
        return len(ctx)

    mod_client.get(QUEUE)  # warm the session
    small = count()
    for i in range(8):
        post = make_post(f"[advice] more {i}")
        services.report_create(reporter=UserFactory(), post=post, reason="medical")
    assert count() == small


def test_member_text_is_escaped_in_the_queue_and_the_review_page(
    stub_detector, mod_client, make_post
):
    post = make_post(f"[advice] {XSS}")
    for url in (QUEUE, reverse("admin:moderation_review_change", args=[post.review.pk])):
        html = mod_client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;" in html


# --- Actions ----------------------------------------------------------------------------------


def test_confirm_and_dismiss_actions(stub_detector, mod_client, moderator, make_post):
    a = make_post("[advice] knee")
    b = make_post("[advice] heel")
    assert act(mod_client, "confirm", a.review, post="yes").status_code == 302
    assert act(mod_client, "dismiss", b.review, post="yes").status_code == 302
    a.review.refresh_from_db()
    b.review.refresh_from_db()
    assert (a.review.status, a.review.decided_by) == ("confirmed", moderator)
    assert (b.review.status, b.review.decided_by) == ("dismissed", moderator)
    assert live(a)[0].confirmed
    assert live(b) == []
    assert set(AuditLog.objects.filter(actor=moderator).values_list("action", flat=True)) == {
        "review.confirm",
        "review.dismiss",
    }
    # Decided posts have left the queue.
    html = mod_client.get(QUEUE).content.decode()
    assert "knee" not in html
    assert "heel" not in html


def test_hide_and_restore_actions_go_through_the_forum_services(
    stub_detector, mod_client, moderator, make_post
):
    post = make_post("[advice] knee")
    act(mod_client, "hide_post", post.review, post="yes")
    post.refresh_from_db()
    post.thread.refresh_from_db()
    assert post.state == "hidden"
    assert post.thread.post_count == 0
    act(mod_client, "restore_post", post.review)
    post.refresh_from_db()
    assert post.state == "visible"
    assert list(
        AuditLog.objects.filter(actor=moderator).order_by("pk").values_list("action", flat=True)
    ) == ["post.hide", "post.restore"]


def test_notice_actions_add_and_remove(stub_detector, mod_client, moderator, make_post):
    post = make_post("Quiet post")
    services.report_create(reporter=UserFactory(), post=post, reason="medical")
    act(mod_client, "add_urgent_notice", post.review)
    (notice,) = live(post)
    assert (notice.severity, notice.origin, notice.created_by) == ("urgent", "moderator", moderator)
    act(mod_client, "remove_notice", post.review)
    assert live(post) == []
    notice.refresh_from_db()
    assert notice.removed_by == moderator


def test_review_page_buttons_act_and_come_back(stub_detector, mod_client, make_post):
    post = make_post("[advice] knee")
    page = reverse("admin:moderation_review_change", args=[post.review.pk])
    html = mod_client.get(page).content.decode()
    assert 'value="confirm"' in html
    assert 'name="_save"' not in html
    response = act(
        mod_client, "confirm", post.review, url=QUEUE + "?queue=all", next=page, post="yes"
    )
    assert response.status_code == 302
    assert response["Location"] == page
    post.review.refresh_from_db()
    assert post.review.status == "confirmed"
    # An outside address in `next` is ignored.
    response = act(
        mod_client,
        "dismiss",
        post.review,
        url=QUEUE + "?queue=all",
        next="https://evil.example/",
        post="yes",
    )
    assert "evil" not in response["Location"]


def test_add_a_notice_by_hand_to_any_post(stub_detector, mod_client, moderator, make_post):
    post = make_post("Quiet post")
    url = reverse("admin:moderation_notice_add")
    assert mod_client.get(url, {"post": post.pk}).status_code == 200
    response = mod_client.post(url, {"post": post.pk, "severity": "advice", "text": "See a GP."})
    assert response.status_code == 302
    (notice,) = live(post)
    assert (notice.text, notice.created_by, notice.confirmed) == ("See a GP.", moderator, True)
    assert AuditLog.objects.get(action="notice.add").actor == moderator
    # Bad input is a form error, not a 500, and writes nothing.
    response = mod_client.post(url, {"post": post.pk, "severity": "none"})
    assert response.status_code == 200
    assert len(live(post)) == 1


def test_notice_list_remove_action(stub_detector, mod_client, moderator, make_post):
    post = make_post("[advice] knee")
    notice = post.notices.get()
    url = reverse("admin:moderation_notice_changelist")
    assert mod_client.get(url).status_code == 200
    act(mod_client, "remove", notice, url=url)
    notice.refresh_from_db()
    assert notice.removed_by == moderator


def test_notices_and_reports_cannot_be_edited_directly(
    stub_detector, mod_client, other_member, make_post
):
    post = make_post("[advice] knee")
    report = services.report_create(reporter=other_member, post=post, reason="medical")
    notice = post.notices.get()
    url = reverse("admin:moderation_notice_change", args=[notice.pk])
    assert mod_client.get(url).status_code == 200  # read-only view
    mod_client.post(url, {"text": "forged", "severity": "urgent"})
    notice.refresh_from_db()
    assert notice.text != "forged"
    report_url = reverse("admin:moderation_report_change", args=[report.pk])
    assert mod_client.get(report_url).status_code == 200
    assert mod_client.post(report_url, {"comment": "forged"}).status_code == 403
    url = reverse("admin:moderation_notice_delete", args=[notice.pk])
    assert mod_client.post(url, {"post": "yes"}).status_code == 403
    assert Notice.objects.filter(pk=notice.pk).exists()


# --- The audit log ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["moderator", "superuser"])
def test_audit_log_is_read_only_even_for_superusers(stub_detector, client, who, make_post):
    user = (
        UserFactory(moderator=True)
        if who == "moderator"
        else UserFactory(is_superuser=True, is_staff=True)
    )
    post = make_post("[advice] knee")
    services.review_confirm(moderator=user, review=post.review)
    row = AuditLog.objects.get(action="review.confirm")
    client.force_login(user)
    listing = client.get(reverse("admin:moderation_auditlog_changelist"))
    assert listing.status_code == 200
    assert b"review.confirm" in listing.content
    assert b"delete_selected" not in listing.content
    detail = client.get(reverse("admin:moderation_auditlog_change", args=[row.pk]))
    assert detail.status_code == 200
    assert b"confirmed" in detail.content
    assert client.get(reverse("admin:moderation_auditlog_add")).status_code == 403
    response = client.post(
        reverse("admin:moderation_auditlog_change", args=[row.pk]), {"action": "forged"}
    )
    assert response.status_code == 403
    response = client.post(
        reverse("admin:moderation_auditlog_delete", args=[row.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    response = client.post(
        reverse("admin:moderation_auditlog_changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    row.refresh_from_db()
    assert row.action == "review.confirm"


# --- What a moderator cannot do ---------------------------------------------------------------


def test_moderator_cannot_touch_administrators_settings(mod_client, category):
    template = NoticeTemplate.objects.get(severity="advice")
    url = reverse("admin:moderation_noticetemplate_change", args=[template.pk])
    assert mod_client.get(url).status_code == 403
    assert mod_client.post(url, {"severity": "advice", "text": "forged"}).status_code == 403
    template.refresh_from_db()
    assert template.text != "forged"
    add = reverse("admin:moderation_categorysettings_add")
    assert mod_client.get(add).status_code == 403
    response = mod_client.post(add, {"category": category.pk, "notices_enabled": ""})
    assert response.status_code == 403
    assert not CategorySettings.objects.exists()


def test_moderator_cannot_edit_users_or_promote_themselves(mod_client, moderator, member):
    for user in (moderator, member):
        url = reverse("admin:accounts_user_change", args=[user.pk])
        response = mod_client.post(
            url, {"username": user.username, "is_superuser": "on", "is_staff": "on"}
        )
        assert response.status_code == 403
    moderator.refresh_from_db()
    assert not moderator.is_superuser
    assert mod_client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_administrator_edits_notice_templates_and_category_settings(client, category):
    admin_user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    template = NoticeTemplate.objects.get(severity="advice")
    url = reverse("admin:moderation_noticetemplate_change", args=[template.pk])
    response = client.post(url, {"severity": "advice", "text": "Please ask a professional."})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.text == "Please ask a professional."
    response = client.post(
        reverse("admin:moderation_categorysettings_add"),
        {"category": category.pk, "threshold": "0.9"},
    )
    assert response.status_code == 302
    settings_row = CategorySettings.objects.get(category=category)
    assert (settings_row.notices_enabled, settings_row.threshold) == (False, 0.9)


def test_members_are_kept_out_of_the_admin(stub_detector, client, member, make_post):
    post = make_post("[advice] knee")
    client.force_login(member)
    response = act(client, "confirm", post.review)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    post.review.refresh_from_db()
    assert post.review.status == "pending"


def test_staff_without_moderation_rights_cannot_act(stub_detector, client, make_post):
    """A staff account that is not a moderator gets refused by the services even if someone
    granted it the admin permission."""
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_review", "change_review"])
    )
    post = make_post("[advice] knee")
    client.force_login(staff)
    act(client, "confirm", post.review, post="yes")
    post.review.refresh_from_db()
    assert post.review.status == "pending"
    assert not AuditLog.objects.filter(actor=staff).exists()


def test_forum_thread_actions_by_a_moderator_are_audited(stub_detector, moderator, thread):
    forum_services.thread_lock(actor=moderator, thread=thread)
    assert AuditLog.objects.get(actor=moderator).action == "thread.lock"
