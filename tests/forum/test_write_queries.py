"""The reply path: its pure work (parsing, quote and mention resolution, rendering, the
detector) runs once, before the thread's row is locked; the transaction then only writes. Write
query counts are pinned like read query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from moderation import detector
from tests.api.conftest import bearer

# A reply with one quote and one mention, the token lookup (the web's session comes from the
# cache) and the test's savepoint included. Before the pure work moved ahead of the lock it
# took 45 (web) and 52 (API); then 33 and 40. Now the thread's row is locked by the UPDATE
# that numbers the post (with the author's count, read position and subscription in the same
# statement), the screening row is inserted as it ends up, the sync feed's keys are one
# statement, the token is read with its user, and the API answers with the post it wrote
# instead of reading it back.
WEB_REPLY_QUERIES = 14
API_REPLY_QUERIES = 14
# SQLite has no data-modifying WITH queries: the lock, the author's count, read position and
# subscription, and the sync feed's keys are statements of their own there.
SQLITE_EXTRA = 8


def _reply_body(thread, member, other_member) -> str:
    source = thread.posts.get(number=1)
    return (
        f'[quote="{member.username}" post={source.pk}]\nFirst post.\n[/quote]\n'
        f"Agreed, @{member.username}, and what do you think, @{other_member.username}?"
    )


@pytest.fixture
def detector_calls(monkeypatch):
    """Each detector run, with how many queries had run by then (of the capture in `ctx`)."""
    calls: list[int] = []
    real = detector.detect
    state: dict = {}

    def counting(text):
        calls.append(len(state["ctx"].captured_queries))
        return real(text)

    monkeypatch.setattr(detector, "detect", counting)
    return calls, state


def _replier(surface, client, author, thread):
    """A function that sends the reply; the session or token exists before it is measured."""
    if surface == "web":
        client.force_login(author)
        client.get("/")

        def send(body):
            response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": body})
            assert response.status_code == 302

        return send
    api = bearer(author)
    api.get("/api/v1/me/")

    def send(body):
        response = api.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": body}, format="json")
        assert response.status_code == 201, response.content

    return send


@pytest.mark.parametrize(
    ("surface", "most"), [("web", WEB_REPLY_QUERIES), ("api", API_REPLY_QUERIES)]
)
def test_a_reply_with_a_quote_and_a_mention_does_its_pure_work_before_the_lock(
    surface, most, client, member, other_member, thread, detector_calls
):
    calls, state = detector_calls
    body = _reply_body(thread, member, other_member)
    send = _replier(surface, client, other_member, thread)
    with CaptureQueriesContext(connection) as ctx:
        state["ctx"] = ctx
        send(body)
    sql = [q["sql"] for q in ctx.captured_queries]
    if connection.vendor == "sqlite":
        most += SQLITE_EXTRA
    assert len(sql) == most, "\n".join(sql)

    # The thread's row is locked by the UPDATE that numbers the post.
    lock = next(i for i, q in enumerate(sql) if 'UPDATE "forum_thread" SET post_count' in q)
    before, after = sql[:lock], sql[lock:]
    # The mentioned members are looked up once, the quoted post is read once, both unlocked.
    mention_lookups = [q for q in sql if 'LOWER("accounts_user"."username")' in q]
    quoted_reads = [q for q in sql if 'FROM "forum_post"' in q and "FOR UPDATE" not in q]
    assert len(mention_lookups) == 1 and mention_lookups[0] in before
    assert quoted_reads and all(q in before for q in quoted_reads[:1])
    assert not [q for q in after if 'FROM "forum_post"' in q and '"forum_post"."id" IN' in q]
    # The detector ran once, before the lock.
    assert len(calls) == 1 and calls[0] <= lock

    post = thread.posts.get(number=2)
    assert post.quotes.get().verified
    # Both mentions render as links from the one lookup (the author's own too).
    for name in (member.username, other_member.username):
        assert f'<a class="mention" href="/accounts/u/{name}/"' in post.html
    assert sorted(post.called_out) == sorted([member.pk])
