"""forum.policy: the one answer to who may see and do what, and the leaks it closes.

Each leak test acts as the reader who should learn nothing: it fails if a surface goes back to
the raw source or to the post's own fields instead of asking the policy.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from forum import policy, quotes, selectors, services
from forum.models import Post
from tests.api.conftest import bearer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET = "Call me on 555-0199"


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def hidden_source(thread, other_member, moderator):
    """A post whose text only moderators may read any more."""
    post = services.post_reply(author=other_member, thread=thread, body=f"{SECRET} anytime.")
    return post


@pytest.fixture
def quoting(thread, member, hidden_source, moderator):
    """A visible post that quoted `hidden_source` while it was visible; then the source was
    hidden. Readers of the quoting post see "quoted post removed"."""
    markup = quotes.quote_markup(
        post=selectors.post_queryset().get(pk=hidden_source.pk), user=member
    )
    post = services.post_reply(
        author=member, thread=thread, body=markup + "\nGood idea, I would phone them."
    )
    services.post_hide(actor=moderator, post=hidden_source)
    return selectors.post_queryset().get(pk=post.pk)


# --- The rules ------------------------------------------------------------------------------


def test_capabilities_of_a_visible_post(member, other_member, moderator, thread):
    post = selectors.post_queryset().get(thread=thread, number=1)  # by `member`
    author = policy.post_capabilities(member, post)
    assert author.can_edit and author.can_delete and author.can_quote
    assert not author.can_report and not author.can_hide
    other = policy.post_capabilities(other_member, post)
    assert other.can_report and other.can_quote and not other.can_edit
    assert not other.can_view_revisions
    anon = policy.post_capabilities(AnonymousUser(), post)
    assert anon.can_view and not any(anon.actions().values())
    mod = policy.post_capabilities(moderator, post)
    assert mod.can_edit and mod.can_hide and not mod.can_restore and mod.can_add_notice


def test_a_hidden_post_is_a_placeholder_with_no_actions_for_members(
    member, other_member, moderator, hidden_source
):
    services.post_hide(actor=moderator, post=hidden_source)
    post = selectors.post_queryset().get(pk=hidden_source.pk)
    for viewer in (AnonymousUser(), member, other_member):
        caps = policy.post_capabilities(viewer, post)
        assert caps.is_placeholder and not caps.can_see_author
        assert not any(caps.actions().values())
    mod = policy.post_capabilities(moderator, post)
    assert mod.can_view and mod.can_restore and not mod.can_hide
    # Nobody quotes or reports a hidden post, moderators included: web and API alike.
    assert not mod.can_quote and not mod.can_report


def test_a_registered_restriction_holds_in_every_service(member, thread):
    def no_posting(user, action):
        return "You are suspended." if action == policy.POST else None

    policy.register_restriction(no_posting)
    try:
        assert not policy.can_reply(member, thread)
        with pytest.raises(PermissionDenied, match="suspended"):
            services.post_reply(author=member, thread=thread, body="Let me in.")
        post = selectors.post_queryset().get(thread=thread, number=1)
        assert not policy.post_capabilities(member, post).can_quote
        # Other actions are untouched.
        assert policy.post_capabilities(member, post).can_edit
    finally:
        policy.unregister_restriction(no_posting)
    assert policy.can_reply(member, thread)


def test_a_moderator_cannot_report_what_the_api_says_they_cannot(moderator, hidden_source):
    from moderation import services as moderation_services

    services.post_hide(actor=moderator, post=hidden_source)
    post = selectors.post_queryset().get(pk=hidden_source.pk)
    assert not policy.post_capabilities(moderator, post).can_report
    with pytest.raises(PermissionDenied):
        moderation_services.report_create(reporter=moderator, post=post, reason="spam")
    response = bearer(moderator).post(
        f"/api/v1/posts/{post.pk}/report/", {"reason": "spam"}, format="json"
    )
    assert response.status_code == 403


# --- Leaks ----------------------------------------------------------------------------------


def test_quote_endpoint_gives_only_what_the_reader_may_read(quoting, other_member):
    response = bearer(other_member).get(f"/api/v1/posts/{quoting.pk}/quote/")
    assert response.status_code == 200
    markup = response.json()["markup"]
    assert SECRET not in markup
    assert "Good idea, I would phone them." in markup


def test_quote_excerpt_cannot_probe_the_removed_quote(quoting, other_member):
    client = bearer(other_member)
    response = client.get(f"/api/v1/posts/{quoting.pk}/quote/", {"excerpt": "555-0199"})
    assert response.status_code == 400
    ok = client.get(f"/api/v1/posts/{quoting.pk}/quote/", {"excerpt": "I would phone"})
    assert ok.status_code == 200


def test_a_moderator_quoting_keeps_what_moderators_read(quoting, moderator):
    markup = quotes.quote_markup(post=quoting, user=moderator)
    assert SECRET in markup  # moderators read the hidden source itself


def test_reply_prefill_gives_only_what_the_reader_may_read(client, quoting, other_member):
    client.force_login(other_member)
    page = client.get(reverse("forum:reply", args=[quoting.thread_id]), {"quote": quoting.pk})
    assert page.status_code == 200
    text = page.content.decode()
    assert "555-0199" not in text
    assert "I would phone them." in text


def test_report_page_gives_only_what_the_reader_may_read(client, quoting, other_member):
    client.force_login(other_member)
    page = client.get(reverse("moderation:report", args=[quoting.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "555-0199" not in text
    assert "I would phone them." in text


def test_forged_quote_of_a_post_cannot_probe_its_removed_quotes(quoting, thread, other_member):
    """Quote rows are verified against what the quoting author may read of the source: a
    forged excerpt of the removed text is unverified, exactly like one that is not there."""
    probe = f'[quote="{quoting.author.username}" post={quoting.pk}]555-0199[/quote]\nhm'
    reply = services.post_reply(author=other_member, thread=thread, body=probe)
    reply = selectors.post_queryset().get(pk=reply.pk)
    assert [q["state"] for q in quotes.quote_states(reply, other_member)] == ["unverified"]


def test_thread_page_placeholder_reveals_number_and_state_only(client, thread, hidden_source):
    moderator = UserFactory(moderator=True)
    hidden_source.author.display_name = "Secretive Sam"
    hidden_source.author.save(update_fields=["display_name"])
    services.post_edit(editor=hidden_source.author, post=hidden_source, body="Changed my mind.")
    services.post_hide(actor=moderator, post=hidden_source)
    page = client.get(thread.get_absolute_url()).content.decode()
    article = page[page.index(f'id="post-{hidden_source.number}"') :]
    article = article[: article.index("</article>")]
    assert f"#{hidden_source.number}" in article
    assert "hidden by a moderator" in article
    assert "Secretive Sam" not in article
    assert "<time" not in article
    assert "edited" not in article
    api = bearer(UserFactory()).get(f"/api/v1/threads/{thread.pk}/posts/").json()["results"]
    placeholder = next(p for p in api if p["id"] == hidden_source.pk)
    assert placeholder["is_placeholder"] and placeholder["author"] is None
    assert placeholder["created"] is None and placeholder["edit_count"] is None


def test_since_filter_does_not_date_a_hidden_post(anon, thread, member, moderator):
    """Bisection on `since` must not tell when a placeholder was written: a placeholder is
    listed when it comes after the last readable post written by `since`, whatever its own
    time."""
    start = timezone.now()
    hidden = services.post_reply(author=member, thread=thread, body="Posted, then hidden.")
    services.post_hide(actor=moderator, post=hidden)
    later = services.post_reply(author=member, thread=thread, body="A later reply.")
    hidden_time = Post.objects.get(pk=hidden.pk).created
    url = f"/api/v1/threads/{thread.pk}/posts/"

    def ids(since):
        response = anon.get(url, {"since": since.isoformat()})
        assert response.status_code == 200
        return [p["id"] for p in response.json()["results"]]

    # Just before and just after the hidden post's own time: the same answer.
    before = ids(hidden_time - timedelta(microseconds=1))
    after = ids(hidden_time + timedelta(microseconds=1))
    assert before == after == [hidden.pk, later.pk]
    assert ids(start - timedelta(days=1))[-2:] == [hidden.pk, later.pk]
    # After the last readable post: nothing, placeholders included.
    assert ids(Post.objects.get(pk=later.pk).created) == []
    # Between the first post and the hidden one, the placeholder comes with the later reply.
    first = Post.objects.get(thread=thread, number=1).created
    assert ids(first) == [hidden.pk, later.pk]
    # Moderators read the post, so for them it is dated like any other.
    mod = bearer(moderator).get(
        url, {"since": (hidden_time + timedelta(microseconds=1)).isoformat()}
    )
    assert [p["id"] for p in mod.json()["results"]] == [later.pk]


def test_author_filter_does_not_name_a_placeholder(anon, thread, member, moderator):
    hidden = services.post_reply(author=member, thread=thread, body="Posted, then hidden.")
    services.post_hide(actor=moderator, post=hidden)
    response = anon.get(f"/api/v1/threads/{thread.pk}/posts/", {"author": member.username})
    assert hidden.pk not in [p["id"] for p in response.json()["results"]]


def test_search_goes_through_the_policy(anon, thread, member, moderator):
    hidden = services.post_reply(author=member, thread=thread, body="Zanzibar secret words.")
    shown = services.post_reply(author=member, thread=thread, body="Zanzibar open words.")
    services.post_hide(actor=moderator, post=hidden)
    assert [p["id"] for p in anon.get("/api/v1/search/", {"q": "Zanzibar"}).json()["results"]] == [
        shown.pk
    ]
    # Hidden and deleted posts are out of the search index for everyone: moderators reach
    # them through the review queue and the thread pages.
    found = bearer(moderator).get("/api/v1/search/", {"q": "Zanzibar"}).json()["results"]
    assert [p["id"] for p in found] == [shown.pk]


def test_own_text_leaves_quotes_out(quoting):
    from forum.markup import own_text

    assert own_text(quoting.source) == "Good idea, I would phone them."


def test_the_quoting_author_no_longer_reads_the_hidden_text(client, quoting, member):
    """The author's own copy (edit form, API `body`, earlier versions) is cut like everyone's:
    the source was hidden for a reason."""
    services.post_edit(editor=member, post=quoting, body=quoting.source + "\n\nEdited.")
    client.force_login(member)
    form = client.get(reverse("forum:post_edit", args=[quoting.pk])).content.decode()
    assert "555-0199" not in form and "I would phone them." in form
    api = bearer(member)
    post = api.get(f"/api/v1/posts/{quoting.pk}/").json()
    assert "555-0199" not in post["body"] and "I would phone them." in post["body"]
    revisions = api.get(f"/api/v1/posts/{quoting.pk}/revisions/").json()["results"]
    assert revisions and all("555-0199" not in r["body"] for r in revisions)
    history = client.get(reverse("forum:post_history", args=[quoting.pk])).content.decode()
    assert "555-0199" not in history and "I would phone them." in history
