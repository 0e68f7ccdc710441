"""The admin changes nothing behind the services' back: posts' authorship and edit metadata
cannot be set, and every change an admin page can make leaves an audit row."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from forum.models import Category
from moderation.models import AuditLog, CategorySettings, NoticeTemplate
from tests.factories import UserFactory

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
