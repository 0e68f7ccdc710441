from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum import quotes, selectors, services
from forum.models import Post, Quote
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(other_member, thread):
    return services.post_reply(author=other_member, thread=thread, body="Deadlifts fix backs.")


def _reply_quoting(author, thread, body):
    post = services.post_reply(author=author, thread=thread, body=body)
    return selectors.post_queryset().get(pk=post.pk)


def _state(post, user):
    return [s["state"] for s in quotes.quote_states(post, user)]


def test_a_quote_is_stored_as_data_and_shown_live(member, thread, source):
    reply = _reply_quoting(member, thread, quotes.quote_markup(post=source, user=member))
    quote = Quote.objects.get(post=reply)
    assert (quote.source_id, quote.source_edit_count, quote.verified) == (source.pk, 0, True)
    assert quotes.quote_states(reply, member) == [
        {"source_post": source.pk, "author": source.author.username, "state": "live"}
    ]
    html = quotes.render_post_html(reply, member)
    assert f"{source.author.username} wrote:" in html
    assert reverse("forum:post", args=[source.pk]) in html
    assert "Deadlifts fix backs." in html


def test_an_edited_source_is_flagged(member, other_member, thread, source):
    reply = _reply_quoting(member, thread, quotes.quote_markup(post=source, user=member))
    services.post_edit(editor=other_member, post=source, body="Squats fix backs.")
    reply = selectors.post_queryset().get(pk=reply.pk)
    assert _state(reply, member) == ["edited"]
    assert "edited since" in quotes.render_post_html(reply, member)
    # The quote still verifies against the revision it was taken from, after an edit of the
    # quoting post that keeps it.
    services.post_edit(editor=member, post=reply, body=reply.source + "\n\nAlso rest.")
    reply = selectors.post_queryset().get(pk=reply.pk)
    assert _state(reply, member) == ["edited"]


@pytest.mark.parametrize("action", ["hide", "delete"])
def test_a_removed_source_leaks_none_of_its_text(
    action, member, other_member, moderator, thread, source, client
):
    reply = _reply_quoting(member, thread, quotes.quote_markup(post=source, user=member))
    if action == "hide":
        services.post_hide(actor=moderator, post=source)
    else:
        services.post_delete(actor=other_member, post=source)
    reply = selectors.post_queryset().get(pk=reply.pk)
    html = quotes.render_post_html(reply, member)
    assert _state(reply, member) == ["removed"]
    assert quotes.quote_states(reply, member)[0]["source_post"] is None
    assert "Deadlifts" not in html
    assert "Quoted post removed." in html
    client.force_login(member)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Deadlifts" not in page
    assert "Quoted post removed." in page


def test_a_source_private_to_moderators_is_removed_for_members_only(
    member, moderator, thread, source
):
    reply = _reply_quoting(member, thread, quotes.quote_markup(post=source, user=member))
    services.post_hide(actor=moderator, post=source)
    reply = selectors.post_queryset().get(pk=reply.pk)
    assert _state(reply, member) == ["removed"]
    assert _state(reply, UserFactory()) == ["removed"]
    moderator = type(moderator).objects.get(pk=moderator.pk)
    assert _state(reply, moderator) == ["live"]
    from django.contrib.auth.models import AnonymousUser

    assert _state(reply, AnonymousUser()) == ["removed"]


def test_forged_quotes_are_unverified(member, thread, source):
    body = (
        f'[quote="{source.author.username}" post={source.pk}]Steroids fix backs.[/quote]\n\n'
        f'[quote="{member.username}" post={source.pk}]Deadlifts fix backs.[/quote]\n\n'
        '[quote="ghost" post=999999]Anything.[/quote]'
    )
    reply = _reply_quoting(member, thread, body)
    assert _state(reply, member) == ["unverified", "unverified", "unverified"]
    html = quotes.render_post_html(reply, member)
    assert html.count("(unverified") == 3


def test_quoting_a_hidden_post_by_id_verifies_nothing(member, moderator, thread, source):
    services.post_hide(actor=moderator, post=source)
    body = f'[quote="{source.author.username}" post={source.pk}]Deadlifts fix backs.[/quote]'
    reply = _reply_quoting(member, thread, body)
    assert Quote.objects.get(post=reply).verified is False
    services.post_restore(actor=moderator, post=source)
    reply = selectors.post_queryset().get(pk=reply.pk)
    assert _state(reply, member) == ["unverified"]


def test_quote_markup_refuses_posts_the_user_cannot_read(member, moderator, source):
    services.post_hide(actor=moderator, post=source)
    source.refresh_from_db()
    with pytest.raises(PermissionDenied):
        quotes.quote_markup(post=source, user=member)


def test_quote_markup_of_a_selection(member, source):
    text = quotes.quote_markup(post=source, user=member, excerpt="fix backs")
    assert text == f'[quote="{source.author.username}" post={source.pk}]\nfix backs\n[/quote]\n'
    with pytest.raises(ValidationError):
        quotes.quote_markup(post=source, user=member, excerpt="not in there")


def test_quote_link_prefills_the_reply_form(client, member, moderator, thread, source):
    client.force_login(member)
    url = reverse("forum:reply", args=[thread.pk])
    response = client.get(url, {"quote": source.pk})
    assert response.status_code == 200
    assert f"[quote=&quot;{source.author.username}&quot; post={source.pk}]" in (
        response.content.decode()
    )
    services.post_hide(actor=moderator, post=source)
    assert client.get(url, {"quote": source.pk}).status_code == 404
    assert client.get(url, {"quote": 987654}).status_code == 404
    assert client.get(url, {"quote": "1 OR 1=1"}).status_code == 404
    assert (
        b'>Quote<span class="visually-hidden"> post #1</span></a>'
        in client.get(thread.get_absolute_url()).content
    )


def test_thread_page_with_quotes_costs_the_same_queries(client, member, make_thread, source):
    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    small = make_thread(member, replies=1)
    big = make_thread(member, replies=1)
    markup = quotes.quote_markup(post=source, user=member)
    services.post_reply(author=member, thread=small, body=markup)
    for i in range(6):
        services.post_reply(author=member, thread=big, body=f"{markup}\n\nAgreed ({i}).")
    client.force_login(member)
    client.get(small.get_absolute_url())
    assert count(small.get_absolute_url()) == count(big.get_absolute_url())
    assert Post.objects.filter(thread=big, quotes__isnull=False).count() == 6
    assert Post.objects.filter(thread=small, quotes__isnull=False).count() == 1


def test_a_post_saved_under_the_old_quote_syntax_gives_none_of_a_removed_quote(
    member, moderator, thread, source
):
    # Before quotes were blocks, a tag in the middle of a line was a quote: such a post has a
    # Quote row that today's reading of its text does not find.
    body = f'As she said [quote="{source.author.username}" post={source.pk}]Deadlifts fix backs.'
    body += '[/quote] and then\n\n[quote="x"]\nsome plain quote\n[/quote]'
    post = services.post_reply(author=member, thread=thread, body=body)
    Quote.objects.filter(post=post).update(position=1)  # the plain quote came second then
    Quote.objects.create(
        post=post,
        source=source,
        username=source.author.username,
        position=0,
        verified=True,
        excerpt="Deadlifts fix backs.",
    )
    services.post_hide(actor=moderator, post=source)
    post = selectors.post_queryset().get(pk=post.pk)
    text = quotes.readable_source(post, member)
    assert "Deadlifts" not in text
    assert "some plain quote" not in text
    assert text.startswith("As she said [quote=")
    # A moderator, who may read the source, is given its words.
    assert "Deadlifts fix backs." in quotes.readable_source(post, moderator)
