"""The thread page's tools for authors: renaming a thread and the edit history of a post."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum import selectors, services
from forum.revisions import DiffLine, line_diff

pytestmark = pytest.mark.django_db


def rename_url(thread) -> str:
    return reverse("forum:thread_rename", args=[thread.pk])


def test_author_renames_their_thread_and_search_finds_the_new_title(client, member, thread):
    client.force_login(member)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert rename_url(thread) in page
    response = client.post(rename_url(thread), {"title": "  Squat   depth questions "})
    thread.refresh_from_db()
    assert thread.title == "Squat depth questions"
    assert thread.slug == "squat-depth-questions"
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
    found = client.get(reverse("forum:search"), {"q": "squat depth"}).content.decode()
    assert thread.get_absolute_url() in found or f"/p/{thread.posts.get().pk}/" in found


def test_rename_form_shows_the_current_title(client, member, thread):
    client.force_login(member)
    response = client.get(rename_url(thread))
    assert response.status_code == 200
    assert f'value="{thread.title}"' in response.content.decode()


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("   ", "This field is required."),
        ("\u200b\u200b", "A title"),
        ("x" * 201, "at most 200 characters"),
    ],
)
def test_rename_is_checked_like_a_new_thread_and_keeps_the_text(
    client, member, thread, title, message
):
    client.force_login(member)
    response = client.post(rename_url(thread), {"title": title})
    assert response.status_code == 400
    content = response.content.decode()
    assert message in content
    thread.refresh_from_db()
    assert thread.title == "A thread"


def test_other_members_cannot_rename_and_see_no_link(client, other_member, thread):
    client.force_login(other_member)
    assert rename_url(thread) not in client.get(thread.get_absolute_url()).content.decode()
    assert client.get(rename_url(thread)).status_code == 403
    assert client.post(rename_url(thread), {"title": "Hijacked"}).status_code == 403
    thread.refresh_from_db()
    assert thread.title == "A thread"


def test_visitors_are_sent_to_sign_in(client, thread):
    response = client.post(rename_url(thread), {"title": "Hijacked"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_author_cannot_rename_a_locked_thread_but_a_moderator_can(
    client, member, moderator, thread
):
    services.thread_lock(actor=moderator, thread=thread)
    client.force_login(member)
    assert client.post(rename_url(thread), {"title": "New title"}).status_code == 403
    client.force_login(moderator)
    assert client.post(rename_url(thread), {"title": "New title"}).status_code == 302
    thread.refresh_from_db()
    assert thread.title == "New title"


def test_line_diff_marks_removed_added_and_context_lines():
    old = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine"
    new = "one\nTWO\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten"
    assert line_diff(old, new, context=1) == [
        DiffLine("context", "one"),
        DiffLine("removed", "two"),
        DiffLine("added", "TWO"),
        DiffLine("context", "three"),
        DiffLine("gap", "…"),
        DiffLine("context", "nine"),
        DiffLine("added", "ten"),
    ]
    assert line_diff("same", "same") == []


def edited(member, thread, *bodies):
    post = thread.posts.get()
    for body in bodies:
        post = services.post_edit(editor=member, post=post, body=body)
    return post


def test_edited_n_times_links_to_a_history_with_diffs(client, member, thread):
    post = edited(member, thread, "First post.\nSecond line.", "First post, edited.\nSecond line.")
    client.force_login(member)
    page = client.get(thread.get_absolute_url()).content.decode()
    history_url = reverse("forum:post_history", args=[post.pk])
    assert f'class="meta edited" href="{history_url}"' in page
    assert "edited 2 times" in page
    history = client.get(history_url).content.decode()
    assert "Version 3 (current)" in history
    assert '<span class="visually-hidden">Removed: </span>First post.</del>' in history
    assert '<span class="visually-hidden">Added: </span>First post, edited.</ins>' in history
    assert '<span class="diff-context">  Second line.</span>' in history
    # Version 2 added the second line to the original.
    assert '<span class="visually-hidden">Added: </span>Second line.</ins>' in history


def test_history_escapes_what_the_versions_say(client, member, thread):
    post = edited(member, thread, "<script>alert(1)</script>")
    client.force_login(member)
    history = client.get(reverse("forum:post_history", args=[post.pk])).content.decode()
    assert "<script>alert(1)</script>" not in history
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in history


def test_history_is_for_the_author_and_moderators_only(
    client, member, other_member, moderator, thread
):
    post = edited(member, thread, "Changed text.")
    url = reverse("forum:post_history", args=[post.pk])
    client.force_login(other_member)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "edited 1 time" in page and url not in page
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404
    client.force_login(moderator)
    assert "Changed text." in client.get(url).content.decode()


def test_versions_are_listed_newest_first_each_with_its_diff(member, thread):
    post = edited(member, thread, "Two.", "Three.", "Four.")
    versions = selectors.post_versions(post=selectors.post_queryset().get(pk=post.pk), user=member)
    assert [v.number for v in versions] == [4, 3, 2, 1]
    assert versions[0].is_current and versions[0].text == "Four."
    assert versions[-1].changes == [] and versions[-1].text == "First post."
    assert versions[1].changes == [DiffLine("removed", "Two."), DiffLine("added", "Three.")]


def test_history_page_costs_the_same_queries_whatever_the_number_of_versions(
    client, member, make_thread
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    few = edited(member, make_thread(member), "Second.")
    many = edited(member, make_thread(member), "Second.", "Third.", "Fourth.", "Fifth.")
    client.force_login(member)

    def count(post) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("forum:post_history", args=[post.pk])).status_code == 200
        return len(ctx)

    count(few)  # session and last-seen
    assert count(few) == count(many)
