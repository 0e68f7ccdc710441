"""Web and API agree by construction: for every viewer and every post state, the thread page
and the API's thread listing expose the same facts about each post (author shown or not, text
shown or not, every can_* action offered or not).

The page is read as a browser would: the author link, the post body, and the links and buttons
under the post. The API is read from its JSON. Both are compared to each other and to
forum.policy, so a surface that re-derives a rule (or forgets one) fails here.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import AnonymousUser

from forum import policy, quotes, selectors, services
from moderation import sanctions
from tests.api.conftest import bearer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET = "only-moderators-read-this"

# The web's action controls, by the class the template gives them.
WEB_ACTIONS = {
    "action-edit": "can_edit",
    "action-delete": "can_delete",
    "action-quote": "can_quote",
    "action-report": "can_report",
    "action-revisions": "can_view_revisions",
    "action-hide": "can_hide",
    "action-restore": "can_restore",
    "action-add-notice": "can_add_notice",
    "action-react": "can_react",
    "action-bookmark": "can_bookmark",
}
assert set(WEB_ACTIONS.values()) == set(policy.POST_ACTIONS), "a new action needs a web control"


class _ThreadPage(HTMLParser):
    """Per post (by data-post id): whether the author, the body and each action appear."""

    def __init__(self):
        super().__init__()
        self.posts: dict[int, dict] = {}
        self._current: dict | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        if tag == "article" and "data-post" in attrs:
            self._current = {"author": False, "text": False, "actions": set()}
            self.posts[int(attrs["data-post"])] = self._current
            self._depth = 1
            return
        if self._current is None:
            return
        if tag == "article":
            self._depth += 1
        if "author" in classes:
            self._current["author"] = True
        if "body" in classes:
            self._current["text"] = True
        for css, action in WEB_ACTIONS.items():
            if css in classes:
                self._current["actions"].add(action)

    def handle_endtag(self, tag):
        if tag == "article" and self._current is not None:
            self._depth -= 1
            if self._depth == 0:
                self._current = None


def _web_facts(client, thread) -> dict[int, dict]:
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    parser = _ThreadPage()
    parser.feed(response.content.decode())
    return parser.posts, response.content.decode()


def _api_facts(api, thread) -> dict[int, dict]:
    response = api.get(f"/api/v1/threads/{thread.pk}/posts/", {"page_size": 100})
    assert response.status_code == 200
    out = {}
    for post in response.json()["results"]:
        out[post["id"]] = {
            "author": post["author"] is not None,
            "text": post["html"] is not None,
            "actions": {name for name, allowed in post["permissions"].items() if allowed},
        }
    return out, response.content.decode()


@pytest.fixture
def world(category):
    """Two threads holding one post of every state; the last one is locked."""
    author = UserFactory(username="writer")
    quoter = UserFactory(username="quoter")
    moderator = UserFactory(username="mod", moderator=True)
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    thread = services.thread_create(
        author=author, category=category, title="Open thread", body="The opening post."
    )
    hidden = services.post_reply(author=author, thread=thread, body=f"Hidden: {SECRET}.")
    deleted = services.post_reply(author=author, thread=thread, body=f"Deleted: {SECRET}!")
    quoting = services.post_reply(
        author=quoter,
        thread=thread,
        body=quotes.quote_markup(post=selectors.post_queryset().get(pk=hidden.pk), user=quoter)
        + "\nMy own words.",
    )
    services.post_hide(actor=moderator, post=hidden)
    services.post_delete(actor=author, post=deleted)
    locked = services.thread_create(
        author=author, category=category, title="Locked thread", body="Locked opening post."
    )
    services.post_reply(author=quoter, thread=locked, body="A reply before the lock.")
    locked = services.thread_lock(actor=moderator, thread=locked)
    # A member who wrote a post, then was suspended: reads everything a member reads, may do
    # nothing (not even edit or delete their own post).
    suspended = UserFactory(username="benched")
    services.post_reply(author=suspended, thread=thread, body="Written before the suspension.")
    sanctions.member_suspend(moderator=moderator, member=suspended, reason="Spam.", until=None)
    suspended.refresh_from_db()
    thread.refresh_from_db()
    viewers = {
        "anonymous": None,
        "member": UserFactory(username="reader"),
        "author": author,
        "quoter": quoter,
        "moderator": moderator,
        "administrator": admin,
        "suspended": suspended,
    }
    return {"threads": [thread, locked], "viewers": viewers, "quoting": quoting}


VIEWERS = ["anonymous", "member", "author", "quoter", "moderator", "administrator", "suspended"]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_thread_page_and_api_expose_the_same_facts(world, viewer, client):
    from rest_framework.test import APIClient

    user = world["viewers"][viewer]
    if user is None:
        api = APIClient()
    else:
        client.force_login(user)
        api = bearer(user)
    for thread in world["threads"]:
        web, page = _web_facts(client, thread)
        data, body = _api_facts(api, thread)
        assert set(web) == set(data), "both list every post, placeholders included"
        for post in selectors.thread_posts(thread=thread, user=user):
            post.thread = thread
            caps = policy.post_capabilities(user or AnonymousUser(), post)
            expected = {
                "author": caps.can_see_author,
                "text": caps.can_view,
                "actions": {name for name, allowed in caps.actions().items() if allowed},
            }
            where = f"{viewer}, post #{post.number} ({post.state}) in {thread.title!r}"
            assert web[post.pk] == expected, f"web diverges from the policy for {where}"
            assert data[post.pk] == expected, f"API diverges from the policy for {where}"
            if viewer == "suspended":
                # The suspension holds on both surfaces: every post reads, no action is offered
                # (reading their own post's revisions is reading; a bookmark is private).
                assert expected["actions"] <= {"can_view_revisions", "can_bookmark"}, where
                assert post.state != "visible" or expected["text"], where
        if thread.is_locked:
            continue
        # The removed text reaches neither surface (not even the quoter's own `body`) unless
        # the viewer may read it.
        may_read = policy.is_moderator(user)
        assert (SECRET in page) == may_read
        assert (SECRET in body) == may_read


def test_the_matrix_covers_every_state_and_action(world):
    """The contract is only as good as its matrix: every state occurs, and every action is
    granted to someone and refused to someone."""
    granted: dict[str, set[bool]] = {name: set() for name in policy.POST_ACTIONS}
    states = set()
    for thread in world["threads"]:
        for post in selectors.thread_posts(thread=thread, user=None):
            states.add((post.state, thread.is_locked))
            for user in world["viewers"].values():
                caps = policy.post_capabilities(user or AnonymousUser(), post)
                for name, allowed in caps.actions().items():
                    granted[name].add(allowed)
    assert {("visible", False), ("hidden", False), ("deleted", False), ("visible", True)} <= states
    assert all(seen == {True, False} for seen in granted.values()), granted
    assert world["quoting"].quotes.count() == 1
