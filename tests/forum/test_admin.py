from __future__ import annotations

import pytest
from django.urls import reverse

from moderation.models import AuditLog
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def _change(client, thread, **data):
    payload = {
        "title": thread.title,
        "category": thread.category_id,
        "is_pinned": "on" if thread.is_pinned else "",
        "is_locked": "on" if thread.is_locked else "",
        **data,
    }
    payload = {k: v for k, v in payload.items() if v != ""}
    return client.post(reverse("admin:forum_thread_change", args=[thread.pk]), payload)


def test_moderator_thread_changes_in_the_admin_go_through_services_and_are_audited(
    client, moderator, thread
):
    target = CategoryFactory()
    client.force_login(moderator)
    response = _change(client, thread, is_locked="on", is_pinned="on", category=target.pk)
    assert response.status_code == 302
    thread.refresh_from_db()
    assert (thread.is_locked, thread.is_pinned, thread.category) == (True, True, target)
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"thread.lock", "thread.pin", "thread.move"} <= actions


def test_admin_cannot_add_threads_or_delete_posts(client, moderator, thread):
    client.force_login(moderator)
    assert client.get(reverse("admin:forum_thread_add")).status_code == 403
    post = thread.posts.get()
    assert (
        client.post(reverse("admin:forum_post_delete", args=[post.pk]), {"post": "yes"}).status_code
        == 403
    )
    post.refresh_from_db()
