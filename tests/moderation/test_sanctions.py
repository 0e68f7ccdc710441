"""Warnings and suspensions: a suspended member reads but cannot post, edit, quote or report,
on the pages and through the API alike; staff cannot be sanctioned; everything is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Sanction
from forum import services as forum_services
from forum.models import Post
from moderation import sanctions, services
from moderation.models import AuditLog
from tests.api.conftest import bearer, error_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _suspend(moderator, member, days=3, reason="Repeated abuse in the running threads."):
    until = timezone.now() + timedelta(days=days) if days else None
    return sanctions.member_suspend(moderator=moderator, member=member, reason=reason, until=until)


def test_a_suspended_member_reads_but_cannot_post_on_the_pages(
    client, moderator, member, other_member, make_thread
):
    thread = make_thread(other_member)
    _suspend(moderator, member)
    client.force_login(member)
    page = client.get(thread.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "First post." in html
    assert "Your account is suspended until" in html
    assert "Repeated abuse in the running threads." in html
    assert 'class="reply"' not in html
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "Let me in"})
    assert response.status_code == 403
    report = client.post(
        reverse("moderation:report", args=[thread.posts.get().pk]), {"reason": "spam"}
    )
    assert report.status_code in (403, 404)
    assert not Post.objects.filter(source="Let me in").exists()
    assert not thread.posts.get().reports.exists()


def test_a_suspended_member_is_refused_through_the_api_with_the_reason(
    moderator, member, other_member, make_thread
):
    thread = make_thread(other_member)
    _suspend(moderator, member, days=None)
    api = bearer(member)
    assert api.get(f"/api/v1/threads/{thread.pk}/posts/").status_code == 200
    response = api.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "Let me in"}, format="json")
    assert response.status_code == 403
    message = error_of(response)["message"]
    assert "until a moderator lifts it" in message
    assert "Repeated abuse" in message
    post = thread.posts.get()
    response = api.post(f"/api/v1/posts/{post.pk}/report/", {"reason": "spam"}, format="json")
    assert response.status_code == 403
    assert not post.reports.exists()


def test_lifting_a_suspension_lets_the_member_post_again_and_is_audited(moderator, member, thread):
    sanction = _suspend(moderator, member)
    member.refresh_from_db()
    with pytest.raises(PermissionDenied, match="suspended"):
        forum_services.post_reply(author=member, thread=thread, body="Refused")
    sanctions.suspension_lift(moderator=moderator, member=member)
    member.refresh_from_db()
    assert not member.is_suspended
    forum_services.post_reply(author=member, thread=thread, body="Back again")
    sanction.refresh_from_db()
    assert sanction.lifted_by == moderator
    actions = list(AuditLog.objects.order_by("pk").values_list("action", flat=True))
    assert actions[:2] == ["member.suspend", "member.unsuspend"]
    row = AuditLog.objects.get(action="member.unsuspend")
    assert row.before["member"]["suspended"] is True
    assert row.after["member"]["suspended"] is False
    with pytest.raises(services.NothingToDo):
        sanctions.suspension_lift(moderator=moderator, member=member)


def test_a_suspension_ends_by_itself(moderator, member, thread):
    _suspend(moderator, member, days=1)
    member.refresh_from_db()
    member.suspended_until = timezone.now() - timedelta(seconds=1)
    member.save(update_fields=["suspended_until"])
    forum_services.post_reply(author=member, thread=thread, body="Time served")


@pytest.mark.parametrize("target", ["moderator", "administrator", "staff", "self"])
def test_staff_and_oneself_cannot_be_sanctioned(moderator, target):
    victim = {
        "moderator": lambda: UserFactory(moderator=True),
        "administrator": lambda: UserFactory(is_superuser=True, is_staff=True),
        "staff": lambda: UserFactory(is_staff=True),
        "self": lambda: moderator,
    }[target]()
    with pytest.raises(PermissionDenied):
        _suspend(moderator, victim)
    with pytest.raises(PermissionDenied):
        sanctions.member_warn(moderator=moderator, member=victim, reason="No.")
    victim.refresh_from_db()
    assert not victim.is_suspended
    assert not Sanction.objects.exists()
    assert not AuditLog.objects.exists()


def test_members_cannot_sanction(member, other_member):
    with pytest.raises(PermissionDenied):
        _suspend(member, other_member)


def test_bad_input_is_a_field_error(moderator, member):
    with pytest.raises(ValidationError) as exc:
        sanctions.member_suspend(
            moderator=moderator, member=member, reason=" ", until=timezone.now()
        )
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        sanctions.member_suspend(
            moderator=moderator,
            member=member,
            reason="Spam",
            until=timezone.now() - timedelta(days=1),
        )
    assert "until" in exc.value.message_dict


def test_a_warning_is_shown_to_the_member_on_their_pages(client, moderator, member):
    sanctions.member_warn(moderator=moderator, member=member, reason="Please keep it civil.")
    client.force_login(member)
    html = client.get(reverse("forum:index")).content.decode()
    assert "A moderator warned you" in html
    assert "Please keep it civil." in html
    assert AuditLog.objects.get(action="member.warn").after["sanction"]["reason"] == (
        "Please keep it civil."
    )


def test_moderators_warn_and_suspend_from_the_admin_and_lift_early(client, moderator, member):
    client.force_login(moderator)
    add = reverse("admin:accounts_sanction_add")
    assert client.get(add, {"member": member.username}).status_code == 200
    response = client.post(
        add, {"username": member.username, "measure": "7d", "reason": "Spam links."}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_suspended
    assert member.suspended_until > timezone.now() + timedelta(days=6)
    sanction = Sanction.objects.get()
    response = client.post(
        reverse("admin:accounts_sanction_changelist"),
        {"action": "lift", "_selected_action": [sanction.pk]},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert not member.is_suspended
    assert set(AuditLog.objects.values_list("action", flat=True)) == {
        "member.suspend",
        "member.unsuspend",
    }


def test_the_admin_form_refuses_to_sanction_staff(client, moderator):
    other = UserFactory(moderator=True)
    client.force_login(moderator)
    response = client.post(
        reverse("admin:accounts_sanction_add"),
        {"username": other.username, "measure": "indefinite", "reason": "Power trip."},
    )
    assert response.status_code == 200
    assert "cannot be warned or suspended" in response.content.decode()
    other.refresh_from_db()
    assert not other.is_suspended
    assert not AuditLog.objects.exists()
