"""Error pages keep the site layout (header, skip link, search) and a way back, and the author
can undo their own deletion from the thread page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from forum import selectors, services
from forum.models import Post

pytestmark = pytest.mark.django_db


def assert_in_layout(response, status: int, heading: str) -> str:
    assert response.status_code == status
    content = response.content.decode()
    assert 'class="skip-link"' in content
    assert '<header class="site">' in content
    assert 'href="/"' in content  # the brand link, and every page's way home
    assert heading in content
    return content


def test_404_is_in_the_layout_with_search(client):
    content = assert_in_layout(client.get("/no-such-page/"), 404, "Page not found")
    assert 'id="search-404"' in content


def test_403_says_why_and_offers_sign_in(client, other_member, thread):
    post = thread.posts.get()
    response = client.get(reverse("forum:post_edit", args=[post.pk]))
    assert response.status_code == 302  # visitors are sent to sign in first
    client.force_login(other_member)
    content = assert_in_layout(
        client.get(reverse("forum:post_edit", args=[post.pk])), 403, "do that here"
    )
    assert "Log out" in content


def test_400_is_in_the_layout(client):
    # A host Django refuses is a SuspiciousOperation: the 400 page.
    response = client.get("/", headers={"host": "evil.example.net"})
    assert_in_layout(response, 400, "That request could not be understood")


def test_500_is_in_the_layout(client, monkeypatch):
    def broken():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(selectors, "category_list", broken)
    client.raise_request_exception = False
    response = client.get(reverse("forum:index"))
    content = assert_in_layout(response, 500, "Something went wrong on our side")
    assert "the database went away" not in content


def test_expired_form_keeps_the_layout_and_the_text(member, thread):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "My long reply"})
    content = assert_in_layout(response, 403, "This form had expired")
    assert ">My long reply</textarea>" in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert thread.posts.count() == 1


def test_author_undoes_their_deletion_from_the_thread_page(client, member, thread):
    reply = services.post_reply(author=member, thread=thread, body="A reply to take back.")
    client.force_login(member)
    undo = reverse("forum:post_undelete", args=[reply.pk])
    assert undo not in client.get(thread.get_absolute_url()).content.decode()
    response = client.post(reverse("forum:post_delete", args=[reply.pk]), {"confirm": "1"})
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Your post was deleted. You can undo this from the thread." in page
    assert f'action="{undo}"' in page
    assert "Undo delete" in page
    response = client.post(undo)
    assert response.status_code == 302
    reply.refresh_from_db()
    thread.refresh_from_db()
    assert reply.state == Post.State.VISIBLE and thread.post_count == 2
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Your post is back." in page and "A reply to take back." in page


def test_undo_is_only_for_the_author_of_their_own_deletion(
    client, member, other_member, moderator, thread
):
    reply = services.post_reply(author=member, thread=thread, body="Deleted by me.")
    services.post_delete(actor=member, post=reply)
    undo = reverse("forum:post_undelete", args=[reply.pk])
    client.force_login(other_member)
    assert undo not in client.get(thread.get_absolute_url()).content.decode()
    assert client.post(undo).status_code == 403
    hidden = services.post_reply(author=member, thread=thread, body="Hidden by a moderator.")
    services.post_hide(actor=moderator, post=hidden)
    client.force_login(member)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert reverse("forum:post_undelete", args=[hidden.pk]) not in page
    assert client.post(reverse("forum:post_undelete", args=[hidden.pk])).status_code == 403
    hidden.refresh_from_db()
    reply.refresh_from_db()
    assert hidden.state == Post.State.HIDDEN and reply.state == Post.State.DELETED


def test_undelete_needs_a_post_request(client, member, thread):
    reply = services.post_reply(author=member, thread=thread, body="Still deleted.")
    services.post_delete(actor=member, post=reply)
    client.force_login(member)
    assert client.get(reverse("forum:post_undelete", args=[reply.pk])).status_code == 405
    reply.refresh_from_db()
    assert reply.state == Post.State.DELETED
