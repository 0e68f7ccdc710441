from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from forum import services
from forum.models import Post, PostRevision, Thread
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_thread_create_makes_first_post_and_counts(member, category):
    thread = services.thread_create(
        author=member, category=category, title="  Squat   depth? ", body="How deep?"
    )
    thread.refresh_from_db()
    member.refresh_from_db()
    assert thread.title == "Squat depth?"
    assert thread.slug == "squat-depth"
    assert thread.post_count == 1
    assert thread.last_number == 1
    first = thread.posts.get()
    assert (first.number, first.author, first.source) == (1, member, "How deep?")
    assert "<p>How deep?</p>" in first.html
    assert member.post_count == 1


def test_thread_create_by_anonymous_or_inactive_is_refused(category, member):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.thread_create(author=AnonymousUser(), category=category, title="t", body="b")
    member.is_active = False
    member.save()
    with pytest.raises(PermissionDenied):
        services.thread_create(author=member, category=category, title="t", body="b")
    assert Thread.objects.count() == 0


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("", "body", "title"),
        ("x" * 201, "body", "title"),
        ("t", "   \n", "body"),
        ("t", "x" * 60_001, "body"),
    ],
)
def test_thread_create_rejects_bad_input_with_field_errors(member, category, title, body, field):
    with pytest.raises(ValidationError) as exc:
        services.thread_create(author=member, category=category, title=title, body=body)
    assert field in exc.value.message_dict
    assert Thread.objects.count() == 0
    assert Post.objects.count() == 0


def test_reply_numbers_posts_and_keeps_counters(thread, member, other_member):
    p2 = services.post_reply(author=other_member, thread=thread, body="Second")
    p3 = services.post_reply(author=member, thread=thread, body="Third")
    thread.refresh_from_db()
    member.refresh_from_db()
    other_member.refresh_from_db()
    assert [p2.number, p3.number] == [2, 3]
    assert thread.post_count == 3
    assert thread.last_activity == p3.created
    assert member.post_count == 2
    assert other_member.post_count == 1


def test_reply_to_locked_thread_is_refused_for_members(thread, member, moderator):
    services.thread_lock(actor=moderator, thread=thread)
    with pytest.raises(PermissionDenied):
        services.post_reply(author=member, thread=thread, body="Let me in")
    thread.refresh_from_db()
    assert thread.post_count == 1
    # Moderators may still post in a locked thread.
    post = services.post_reply(author=moderator, thread=thread, body="Locked, see rules.")
    assert post.number == 2


def test_reply_sees_a_lock_taken_after_the_thread_was_loaded(thread, member, moderator):
    stale = Thread.objects.get(pk=thread.pk)
    services.thread_lock(actor=moderator, thread=thread)
    with pytest.raises(PermissionDenied):
        services.post_reply(author=member, thread=stale, body="Sneaking in")


def test_edit_by_author_keeps_revisions_in_order(thread, member):
    post = thread.posts.get()
    services.post_edit(editor=member, post=post, body="Version 2")
    services.post_edit(editor=member, post=post, body="Version 3")
    post.refresh_from_db()
    assert post.source == "Version 3"
    assert post.edit_count == 2
    assert post.edited is not None
    revisions = list(PostRevision.objects.filter(post=post))
    assert [(r.number, r.source) for r in revisions] == [(1, "First post."), (2, "Version 2")]
    assert all(r.editor == member for r in revisions)


def test_edit_with_same_text_makes_no_revision(thread, member):
    post = thread.posts.get()
    services.post_edit(editor=member, post=post, body="First post.")
    post.refresh_from_db()
    assert post.edit_count == 0
    assert not post.revisions.exists()


def test_edit_of_another_members_post_is_refused(thread, other_member):
    post = thread.posts.get()
    with pytest.raises(PermissionDenied):
        services.post_edit(editor=other_member, post=post, body="Hijacked")
    post.refresh_from_db()
    assert post.source == "First post."
    assert not post.revisions.exists()


def test_moderator_can_edit_any_post_and_is_recorded_as_editor(thread, moderator, member):
    post = thread.posts.get()
    services.post_edit(editor=moderator, post=post, body="Cleaned up")
    services.post_edit(editor=member, post=post, body="Author again")
    revisions = list(post.revisions.all())
    # Revision 1 is the author's original; revision 2 was written by the moderator.
    assert [r.editor for r in revisions] == [member, moderator]


def test_author_cannot_edit_in_locked_thread(thread, member, moderator):
    services.thread_lock(actor=moderator, thread=thread)
    with pytest.raises(PermissionDenied):
        services.post_edit(editor=member, post=thread.posts.get(), body="Changed")


def test_soft_delete_keeps_the_text_and_updates_counters(thread, member, other_member):
    reply = services.post_reply(author=other_member, thread=thread, body="Oops")
    services.post_delete(actor=other_member, post=reply)
    reply.refresh_from_db()
    thread.refresh_from_db()
    other_member.refresh_from_db()
    assert reply.state == Post.State.DELETED
    assert reply.source == "Oops"
    assert thread.post_count == 1
    assert other_member.post_count == 0
    # The number stays taken: the next reply does not reuse it.
    assert services.post_reply(author=member, thread=thread, body="Next").number == 3


def test_delete_of_another_members_post_is_refused(thread, other_member):
    post = thread.posts.get()
    with pytest.raises(PermissionDenied):
        services.post_delete(actor=other_member, post=post)
    post.refresh_from_db()
    assert post.state == Post.State.VISIBLE


def test_deleted_post_cannot_be_deleted_twice_or_edited_by_author(thread, member):
    post = thread.posts.get()
    services.post_delete(actor=member, post=post)
    with pytest.raises(PermissionDenied):
        services.post_delete(actor=member, post=post)
    with pytest.raises(PermissionDenied):
        services.post_edit(editor=member, post=post, body="Back")
    member.refresh_from_db()
    assert member.post_count == 0


def test_hide_and_restore_by_moderator_keep_counters_exact(thread, member, moderator):
    post = thread.posts.get()
    services.post_hide(actor=moderator, post=post)
    services.post_hide(actor=moderator, post=post)  # idempotent, no double decrement
    post.refresh_from_db()
    thread.refresh_from_db()
    member.refresh_from_db()
    assert post.state == Post.State.HIDDEN
    assert post.state_changed_by == moderator
    assert (thread.post_count, member.post_count) == (0, 0)
    services.post_restore(actor=moderator, post=post)
    post.refresh_from_db()
    thread.refresh_from_db()
    member.refresh_from_db()
    assert post.state == Post.State.VISIBLE
    assert (thread.post_count, member.post_count) == (1, 1)


def test_restore_of_author_deleted_post_by_moderator(thread, member, moderator):
    post = thread.posts.get()
    services.post_delete(actor=member, post=post)
    services.post_restore(actor=moderator, post=post)
    member.refresh_from_db()
    assert member.post_count == 1


@pytest.mark.parametrize("action", ["post_hide", "post_restore"])
def test_members_cannot_hide_or_restore(thread, member, action):
    post = thread.posts.get()
    with pytest.raises(PermissionDenied):
        getattr(services, action)(actor=member, post=post)


def test_author_cannot_edit_a_post_a_moderator_hid(thread, member, moderator):
    post = thread.posts.get()
    services.post_hide(actor=moderator, post=post)
    with pytest.raises(PermissionDenied):
        services.post_edit(editor=member, post=post, body="Sneaky")


@pytest.mark.parametrize(
    ("action", "kwargs", "field", "value"),
    [
        ("thread_lock", {"locked": True}, "is_locked", True),
        ("thread_pin", {"pinned": True}, "is_pinned", True),
    ],
)
def test_lock_and_pin_are_for_moderators_only(
    thread, member, moderator, action, kwargs, field, value
):
    with pytest.raises(PermissionDenied):
        getattr(services, action)(actor=member, thread=thread, **kwargs)
    thread.refresh_from_db()
    assert getattr(thread, field) is not value
    getattr(services, action)(actor=moderator, thread=thread, **kwargs)
    thread.refresh_from_db()
    assert getattr(thread, field) is value


def test_move_is_for_moderators_only(thread, member, moderator, category):
    target = CategoryFactory()
    with pytest.raises(PermissionDenied):
        services.thread_move(actor=member, thread=thread, category=target)
    thread.refresh_from_db()
    assert thread.category == category
    services.thread_move(actor=moderator, thread=thread, category=target)
    thread.refresh_from_db()
    assert thread.category == target


def test_title_edit_by_author_and_not_by_others(thread, member, other_member):
    with pytest.raises(PermissionDenied):
        services.thread_edit_title(actor=other_member, thread=thread, title="Mine now")
    services.thread_edit_title(actor=member, thread=thread, title="Better title")
    thread.refresh_from_db()
    assert (thread.title, thread.slug) == ("Better title", "better-title")


def test_the_same_text_twice_in_a_row_is_refused(thread, member, other_member):
    services.post_reply(author=member, thread=thread, body="Great session today")
    with pytest.raises(ValidationError) as exc:
        services.post_reply(author=member, thread=thread, body="  Great session\n today ")
    assert "body" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.thread_create(
            author=member, category=thread.category, title="Again", body="Great session today"
        )
    # Someone else may say the same thing.
    services.post_reply(author=other_member, thread=thread, body="Great session today")
    thread.refresh_from_db()
    assert thread.post_count == 3


def test_a_repeat_is_refused_even_after_a_hundred_posts_in_earlier_threads(member, make_thread):
    """The double-submit check reads the author's newest posts of the window (it read a
    hundred in thread order): a member who wrote a hundred posts in a thread with a lower id
    moments ago still cannot send their latest text twice."""
    busy = make_thread(member, title="Busy")
    later = make_thread(member, title="Later")
    assert later.pk > busy.pk
    now = timezone.now()
    Post.objects.bulk_create(
        Post(thread=busy, number=2 + i, author=member, source=f"Note {i}", html="", created=now)
        for i in range(100)
    )
    services.post_reply(author=member, thread=later, body="The text sent twice")
    with pytest.raises(ValidationError) as refused:
        services.post_reply(author=member, thread=later, body="The  text sent\ntwice")
    assert refused.value.error_dict["body"][0].code == "duplicate"
