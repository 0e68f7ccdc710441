"""The admin changes nothing behind the services' back: posts' authorship and edit metadata
cannot be set, and every change an admin page can make leaves an audit row: each action and
form a moderator is offered is run below, and a new one fails the test until it is."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from forum import services as forum_services
from forum.models import Category
from moderation import sanctions, services
from moderation.models import AuditLog, CategorySettings, DutyShift, Notice, NoticeTemplate, Review
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["moderator", "administrator"])
def test_nobody_can_change_a_posts_author_or_edit_metadata_in_the_admin(
    client, moderator, member, other_member, thread, who
):
    user = moderator if who == "moderator" else UserFactory(is_superuser=True, is_staff=True)
    client.force_login(user)
    post = thread.posts.get()
    url = reverse("admin:forum_post_change", args=[post.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="edited_by"' not in page.content.decode()
    assert 'name="author"' not in page.content.decode()
    response = client.post(
        url,
        {
            "author": other_member.pk,
            "edited_by": other_member.pk,
            "edit_count": 7,
            "source": "forged",
            "state": "hidden",
        },
    )
    assert response.status_code == 403
    post.refresh_from_db()
    assert (post.author, post.edited_by, post.edit_count, post.source, post.state) == (
        member,
        None,
        0,
        "First post.",
        "visible",
    )
    assert not AuditLog.objects.exists()


def test_post_admin_hide_goes_through_the_service_and_a_no_op_records_nothing(
    client, moderator, thread
):
    client.force_login(moderator)
    post = thread.posts.get()
    url = reverse("admin:forum_post_changelist")
    client.post(url, {"action": "hide", "_selected_action": [post.pk]})
    post.refresh_from_db()
    assert post.state == "hidden"
    assert AuditLog.objects.get().action == "post.hide"
    response = client.post(url, {"action": "hide", "_selected_action": [post.pk]}, follow=True)
    assert "already hidden: nothing was changed or recorded" in response.content.decode()
    assert AuditLog.objects.count() == 1


def test_administrators_settings_changes_are_audited_with_before_and_after(client, category):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    template = NoticeTemplate.objects.get(severity="advice")
    old = template.text
    client.post(
        reverse("admin:moderation_noticetemplate_change", args=[template.pk]),
        {"severity": "advice", "text": "Please ask a professional."},
    )
    row = AuditLog.objects.get(action="noticetemplate.change")
    assert (row.before["text"], row.after["text"]) == (old, "Please ask a professional.")
    client.post(
        reverse("admin:moderation_categorysettings_add"),
        {"category": category.pk, "threshold": "0.9"},
    )
    settings_row = CategorySettings.objects.get()
    assert AuditLog.objects.get(action="categorysettings.add").after["threshold"] == 0.9
    client.post(
        reverse("admin:moderation_categorysettings_delete", args=[settings_row.pk]),
        {"post": "yes"},
    )
    assert AuditLog.objects.get(action="categorysettings.delete").before["threshold"] == 0.9


# Admin pages that can write, and how their writes are audited. A new writable admin page fails
# the test below until it is added here, audited.
AUDITED = {
    "forum.Thread": "forum.services (thread.lock/pin/move/rename)",
    "forum.Post": "actions through forum.services (post.hide/restore)",
    "moderation.Review": "actions through moderation.services",
    "moderation.Notice": "moderation.services (notice.add/remove)",
    "moderation.NoticeTemplate": "AuditedSettingsAdmin",
    "moderation.CategorySettings": "AuditedSettingsAdmin",
    "accounts.Sanction": "moderation.sanctions (member.warn/suspend/unsuspend)",
    "moderation.DutyShift": "AuditedSettingsAdmin",
}
# Administrator-only account and structure pages, kept by Django's own admin history
# (LogEntry) rather than the moderation audit log.
ADMINISTRATORS_ONLY = {"auth.Group", "accounts.User", "knox.AuthToken", "forum.Category"}
# The background-work pages (failed tasks, e-mail, webhooks, push devices, rescans, search
# re-indexes) are
# administrators' too: the Moderators group holds no permission on them.
ADMINISTRATORS_ONLY |= {
    "integrations.TaskFailure",
    "integrations.OutgoingEmail",
    "integrations.WebhookEndpoint",
    "integrations.WebhookDelivery",
    "integrations.PushDevice",
    "moderation.RescanJob",
    "forum.SearchReindexJob",
}


def test_every_writable_admin_page_is_audited(rf):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    request = rf.get("/admin/")
    request.user = superuser
    writable = set()
    for model, model_admin in admin.site._registry.items():
        can_write = (
            model_admin.has_add_permission(request)
            or model_admin.has_change_permission(request)
            or model_admin.has_delete_permission(request)
            or bool(model_admin.get_actions(request))
        )
        if can_write:
            writable.add(model._meta.label)
    assert writable - set(AUDITED) - ADMINISTRATORS_ONLY == set()


def test_moderators_cannot_reach_the_administrators_only_pages(client, moderator):
    client.force_login(moderator)
    for name in (
        "auth_group_changelist",
        "forum_category_add",
        "integrations_webhookendpoint_changelist",
        "integrations_taskfailure_changelist",
        "moderation_rescanjob_changelist",
    ):
        assert client.get(reverse(f"admin:{name}")).status_code == 403
    response = client.post(reverse("admin:forum_category_add"), {"name": "X", "slug": "x"})
    assert response.status_code == 403
    assert not Category.objects.filter(slug="x").exists()


# --- Every change a moderator can make in the admin, made, and its audit rows ----------------

# All reviews, as a review's page posts its buttons: the queue's default view lists only those
# waiting, and an action runs on the selected reviews that the view lists.
QUEUE = reverse("admin:moderation_review_changelist") + "?queue=all"
SHIFT = {
    "starts_0": "2030-01-06",
    "starts_1": "08:00:00",
    "ends_0": "2030-01-06",
    "ends_1": "16:00:00",
    "note": "Monday early",
}


def _action(url, action, *objs, **extra):
    return url, {"action": action, "_selected_action": [o.pk for o in objs], **extra}


def _review_action(action, body="[advice] my knee hurts", *, prepare=None, **extra):
    """A queue action on the review of a new post of `body` (after `prepare(post)`)."""

    def scenario(s):
        post = s.make_post(body)
        if prepare:
            prepare(s, post)
        return _action(QUEUE, action, post.review, post="yes", **extra)

    return scenario


def _hidden(s, post):
    forum_services.post_hide(actor=s.moderator, post=post)


def _reported(s, post):
    services.report_create(reporter=s.other_member, post=post, reason="spam")


def _shift(s):
    return DutyShift.objects.create(
        moderator=s.moderator,
        starts=timezone.now() + timedelta(days=1),
        ends=timezone.now() + timedelta(days=1, hours=8),
    )


def _thread_change(s):
    thread = s.make_post("Quiet post").thread
    moved = CategoryFactory()
    data = {"title": "A clearer title", "category": moved.pk, "is_locked": "on", "is_pinned": "on"}
    return reverse("admin:forum_thread_change", args=[thread.pk]), data


def _sanction_lift(s):
    sanction = _sanction(s)
    return _action(reverse("admin:accounts_sanction_changelist"), "lift", sanction)


def _sanction(s):
    return sanctions.member_suspend(
        moderator=s.moderator,
        member=s.member,
        reason="Spam links.",
        until=timezone.now() + timedelta(days=7),
    )


# (admin page, action or form) -> what to post, and the audit actions it must write.
SCENARIOS = {
    ("moderation.Review", "confirm"): (_review_action("confirm"), {"review.confirm"}),
    ("moderation.Review", "dismiss"): (_review_action("dismiss"), {"review.dismiss"}),
    ("moderation.Review", "make_urgent"): (_review_action("make_urgent"), {"review.severity"}),
    ("moderation.Review", "make_advice"): (
        _review_action("make_advice", "[urgent] chest pain on the bike"),
        {"review.severity"},
    ),
    ("moderation.Review", "hide_post"): (_review_action("hide_post"), {"post.hide"}),
    ("moderation.Review", "restore_post"): (
        _review_action("restore_post", prepare=_hidden),
        {"post.restore"},
    ),
    ("moderation.Review", "reports_hidden"): (
        _review_action("reports_hidden", "Cheap watches", prepare=_reported),
        {"report.resolve", "post.hide"},
    ),
    ("moderation.Review", "reports_warned"): (
        _review_action("reports_warned", "Cheap watches", prepare=_reported, text="No ads."),
        {"report.resolve", "member.warn"},
    ),
    ("moderation.Review", "reports_no_action"): (
        _review_action("reports_no_action", "Cheap watches", prepare=_reported),
        {"report.resolve"},
    ),
    ("moderation.Review", "reports_false"): (
        _review_action("reports_false", "Cheap watches", prepare=_reported),
        {"report.resolve"},
    ),
    ("moderation.Review", "add_advice_notice"): (
        _review_action("add_advice_notice", "Quiet post"),
        {"notice.add"},
    ),
    ("moderation.Review", "add_urgent_notice"): (
        _review_action("add_urgent_notice", "Quiet post"),
        {"notice.add"},
    ),
    ("moderation.Review", "remove_notice"): (_review_action("remove_notice"), {"notice.remove"}),
    ("forum.Post", "hide"): (
        lambda s: _action(
            reverse("admin:forum_post_changelist"), "hide", s.make_post("Quiet post")
        ),
        {"post.hide"},
    ),
    ("forum.Post", "restore"): (
        lambda s: _action(
            reverse("admin:forum_post_changelist"),
            "restore",
            forum_services.post_hide(actor=s.moderator, post=s.make_post("Quiet post")),
        ),
        {"post.restore"},
    ),
    ("forum.Thread", "change"): (
        _thread_change,
        {"thread.rename", "thread.move", "thread.lock", "thread.pin"},
    ),
    ("moderation.Notice", "add"): (
        lambda s: (
            reverse("admin:moderation_notice_add"),
            {"post": s.make_post("Quiet post").pk, "severity": "advice", "text": "See a GP."},
        ),
        {"notice.add"},
    ),
    ("moderation.Notice", "remove"): (
        lambda s: _action(
            reverse("admin:moderation_notice_changelist"),
            "remove",
            s.make_post("[advice] my knee hurts").notices.get(),
        ),
        {"notice.remove"},
    ),
    ("accounts.Sanction", "add"): (
        lambda s: (
            reverse("admin:accounts_sanction_add"),
            {"username": s.member.username, "measure": "7d", "reason": "Spam links."},
        ),
        {"member.suspend"},
    ),
    ("accounts.Sanction", "lift"): (_sanction_lift, {"member.unsuspend"}),
    ("moderation.DutyShift", "add"): (
        lambda s: (
            reverse("admin:moderation_dutyshift_add"),
            {"moderator": s.moderator.pk, **SHIFT},
        ),
        {"dutyshift.add"},
    ),
    ("moderation.DutyShift", "change"): (
        lambda s: (
            reverse("admin:moderation_dutyshift_change", args=[_shift(s).pk]),
            {"moderator": s.moderator.pk, **SHIFT},
        ),
        {"dutyshift.change"},
    ),
    ("moderation.DutyShift", "delete"): (
        lambda s: (
            reverse("admin:moderation_dutyshift_delete", args=[_shift(s).pk]),
            {"post": "yes"},
        ),
        {"dutyshift.delete"},
    ),
    ("moderation.DutyShift", "delete_selected"): (
        lambda s: _action(
            reverse("admin:moderation_dutyshift_changelist"),
            "delete_selected",
            _shift(s),
            post="yes",
        ),
        {"dutyshift.delete"},
    ),
}


def _moderators_operations(moderator, rf) -> set[tuple[str, str]]:
    """Every (page, action or form) through which the admin lets a moderator write."""
    request = rf.get("/admin/")
    request.user = moderator
    found = set()
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_permission(request):
            continue  # Listed actions cannot run on a page the moderator cannot open.
        label = model._meta.label
        found |= {(label, name) for name in model_admin.get_actions(request)}
        for form, allowed in (
            ("add", model_admin.has_add_permission(request)),
            ("change", model_admin.has_change_permission(request)),
            ("delete", model_admin.has_delete_permission(request)),
        ):
            if allowed:
                found.add((label, form))
    return found


# A review's form saves nothing (its decisions are the actions above), so a forged post of it
# must change nothing and record nothing: checked apart.
READ_ONLY_FORMS = {("moderation.Review", "change")}


def test_every_admin_change_a_moderator_can_make_is_run_below(rf, moderator):
    assert _moderators_operations(moderator, rf) == set(SCENARIOS) | READ_ONLY_FORMS


@pytest.mark.parametrize("operation", sorted(SCENARIOS), ids=lambda op: f"{op[0]}:{op[1]}")
def test_every_admin_change_a_moderator_makes_writes_its_audit_rows(
    stub_detector, client, moderator, member, other_member, make_post, operation
):
    scenario, expected = SCENARIOS[operation]
    url, data = scenario(
        SimpleNamespace(
            moderator=moderator, member=member, other_member=other_member, make_post=make_post
        )
    )
    since = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    client.force_login(moderator)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rows = AuditLog.objects.filter(pk__gt=since)
    assert expected <= set(rows.values_list("action", flat=True))
    assert {row.actor for row in rows} == {moderator}


def test_a_forged_post_of_a_reviews_form_changes_and_records_nothing(
    stub_detector, client, moderator, make_post
):
    post = make_post("[advice] my knee hurts")
    review = post.review
    before = services.snapshot(review)
    rows = AuditLog.objects.count()
    client.force_login(moderator)
    client.post(
        reverse("admin:moderation_review_change", args=[review.pk]),
        {"status": "dismissed", "severity": "urgent", "score": "0.01", "flagged": ""},
    )
    assert services.snapshot(Review.objects.get(pk=review.pk)) == before
    assert Notice.objects.filter(post=post, removed__isnull=True).count() == 1
    assert AuditLog.objects.count() == rows
