"""The sync feed (GET /api/v1/changes/): every write a reader would see moves its thread or
post to the end of the feed, and a client that replays the feed stays equal to a fresh read."""

from __future__ import annotations

import contextlib
import itertools
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from rest_framework.test import APIClient

from accounts import services as account_services
from forum import services
from forum.models import Post
from forum.quotes import quote_markup
from moderation import services as moderation_services
from moderation.models import Notice
from tests.api.conftest import bearer, error_of
from tests.api.test_profiles import image_file
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/changes/"


def feed(client, after=None, **params):
    if after is not None:
        params["after"] = after
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def kinds_and_ids(body) -> list[tuple[str, int]]:
    return [(item["kind"], item["id"]) for item in body["results"]]


def test_a_reply_lists_the_post_and_its_thread_after_the_cursor(as_member, member, thread):
    cursor = feed(as_member)["next_cursor"]
    assert feed(as_member, cursor)["results"] == []
    post = services.post_reply(author=member, thread=thread, body="A new reply")
    body = feed(as_member, cursor)
    assert sorted(kinds_and_ids(body)) == [("post", post.pk), ("thread", thread.pk)]
    item = next(i for i in body["results"] if i["kind"] == "post")
    assert item["post"]["html"] == "<p>A new reply</p>\n"
    assert item["thread"] is None
    assert feed(as_member, body["next_cursor"])["results"] == []


# Each write: what it does (member, moderator, post, thread) and what it changes.
WRITES = {
    # The first post's text is the thread's excerpt in lists.
    "edit": (lambda m, mod, p, t: services.post_edit(editor=m, post=p, body="Edited"), "pt"),
    "delete": (lambda m, mod, p, t: services.post_delete(actor=m, post=p), "pt"),
    "hide": (lambda m, mod, p, t: services.post_hide(actor=mod, post=p), "pt"),
    "restore": (lambda m, mod, p, t: services.post_restore(actor=mod, post=p), "pt"),
    "rename": (lambda m, mod, p, t: services.thread_edit_title(actor=m, thread=t, title="N"), "t"),
    "move": (
        lambda m, mod, p, t: services.thread_move(actor=mod, thread=t, category=CategoryFactory()),
        "t",
    ),
    # A lock changes what a reader may do with every post of the thread.
    "lock": (lambda m, mod, p, t: services.thread_lock(actor=mod, thread=t), "pt"),
    "pin": (lambda m, mod, p, t: services.thread_pin(actor=mod, thread=t), "t"),
    "notice_add": (
        lambda m, mod, p, t: moderation_services.notice_add(
            moderator=mod, post=p, severity="advice"
        ),
        # Thread lists say whether a post of the thread carries a notice.
        "pt",
    ),
    "notice_remove": (
        lambda m, mod, p, t: moderation_services.notice_remove(
            moderator=mod, notice=p.notices.get(removed__isnull=True)
        ),
        "pt",
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_a_reader_sees_is_in_the_feed(write, as_member, member, moderator, thread):
    post = thread.posts.get(number=1)
    if write == "restore":
        services.post_hide(actor=moderator, post=post)
    if write == "notice_remove":
        moderation_services.notice_add(moderator=moderator, post=post, severity="advice")
    cursor = feed(as_member)["next_cursor"]
    do, changed = WRITES[write]
    do(member, moderator, post, thread)
    expected = [("post", post.pk)] * ("p" in changed) + [("thread", thread.pk)] * ("t" in changed)
    assert sorted(kinds_and_ids(feed(as_member, cursor))) == expected


@pytest.mark.parametrize(
    "change",
    [
        lambda m: account_services.profile_update(user=m, changes={"display_name": "Coach M"}),
        lambda m: account_services.profile_update(user=m, changes={"bio": "Runs at dawn"}),
        lambda m: account_services.avatar_set(user=m, upload=image_file()),
    ],
    ids=["display_name", "bio", "avatar"],
)
def test_a_profile_change_lists_the_member_once_not_each_post(
    change, as_other, member, make_thread
):
    make_thread(member, replies=3)
    cursor = feed(as_other)["next_cursor"]
    change(member)
    body = feed(as_other, cursor)
    assert kinds_and_ids(body) == [("member", member.pk)]
    item = body["results"][0]
    assert item["post"] is None and item["thread"] is None
    fresh = as_other.get(f"/api/v1/users/{member.username}/").json()
    for field in ("username", "display_name", "avatar", "bio", "location", "website"):
        assert item["member"][field] == fresh[field]
    # The summary embedded as `author` is a part of the member entry, field for field.
    post = as_other.get(f"/api/v1/posts/{member.posts.first().pk}/").json()
    assert {k: item["member"][k] for k in post["author"]} == post["author"]
    assert feed(as_other, body["next_cursor"])["results"] == []


def test_removing_an_avatar_lists_the_member_and_removing_none_does_not(as_other, member):
    cursor = feed(as_other)["next_cursor"]
    account_services.avatar_remove(user=member)
    assert feed(as_other, cursor)["results"] == []
    account_services.avatar_set(user=member, upload=image_file())
    cursor = feed(as_other)["next_cursor"]
    account_services.avatar_remove(user=member)
    body = feed(as_other, cursor)
    assert kinds_and_ids(body) == [("member", member.pk)]
    assert body["results"][0]["member"]["avatar"] is None


def test_the_thread_filter_lists_only_members_who_wrote_there(
    as_other, member, other_member, make_thread
):
    first, second = make_thread(member), make_thread(other_member)
    account_services.profile_update(user=member, changes={"display_name": "Only in first"})
    account_services.profile_update(user=other_member, changes={"display_name": "Second"})
    members = lambda t: [i for k, i in kinds_and_ids(feed(as_other, thread=t.pk)) if k == "member"]  # noqa: E731
    assert members(first) == [member.pk]
    assert members(second) == [other_member.pk]


def test_a_hidden_post_comes_as_a_tombstone(as_member, member, moderator, thread):
    post = services.post_reply(author=member, thread=thread, body="Soon hidden")
    cursor = feed(as_member)["next_cursor"]
    services.post_hide(actor=moderator, post=post)
    item = next(i for i in feed(as_member, cursor)["results"] if i["kind"] == "post")
    assert item["post"]["is_placeholder"] is True
    assert item["post"]["state"] == "hidden"
    assert item["post"]["html"] is None and item["post"]["author"] is None
    assert "Soon hidden" not in str(item)


def test_hiding_a_quoted_post_changes_the_posts_quoting_it(as_member, member, moderator, thread):
    source = thread.posts.get(number=1)
    other = UserFactory()
    quoting = services.post_reply(
        author=other,
        thread=thread,
        body=quote_markup(post=source, user=other) + "Indeed",
    )
    cursor = feed(as_member)["next_cursor"]
    services.post_hide(actor=moderator, post=source)
    assert ("post", quoting.pk) in kinds_and_ids(feed(as_member, cursor))


def test_pages_resume_without_skipping_or_repeating(as_member, member, make_thread):
    threads = [make_thread(member, replies=2) for _ in range(3)]
    everything = kinds_and_ids(feed(as_member, page_size=500))
    assert len(everything) == len(threads) * 4
    seen, cursor = [], None
    while True:
        body = feed(as_member, cursor, page_size=2)
        seen += kinds_and_ids(body)
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert seen == everything


def test_the_thread_filter_keeps_to_one_thread(as_member, member, make_thread):
    first, second = make_thread(member), make_thread(member)
    body = feed(as_member, thread=second.pk)
    assert {item["id"] for item in body["results"] if item["kind"] == "thread"} == {second.pk}
    assert all(item["post"]["thread"] == second.pk for item in body["results"] if item["post"])
    assert first.pk not in {item["id"] for item in body["results"] if item["kind"] == "thread"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": "abc"}, "after"),
        ({"after": "1.3.3"}, "after"),
        ({"after": ""}, "after"),
        ({"page_size": "null"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"thread": "x"}, "thread"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(anon, params, field):
    response = anon.get(URL, params)
    assert response.status_code == 400
    assert field in error_of(response)["fields"]


@pytest.mark.parametrize("cursor", [" 1.0.1", "1.0.1 ", "1.0.1\n", "\t1.0.1", "1.0.1\u3000"])
def test_a_cursor_with_white_space_is_not_a_cursor(anon, cursor):
    # The schema's pattern is anchored at both ends; a cursor is given out and sent back as it
    # is, so the feed does not trim it into one either.
    assert not re.fullmatch(r"[0-9]{1,18}\.[0-2]\.[0-9]{1,18}", cursor)
    response = anon.get(URL, {"after": cursor})
    assert response.status_code == 400
    assert error_of(response)["field_codes"]["after"] == ["invalid_cursor"]


def test_a_page_costs_a_fixed_number_of_queries(
    as_member, member, make_thread, django_assert_max_num_queries
):
    for _ in range(3):
        make_thread(member, replies=3)
    feed(as_member)  # the token's first use writes its last-seen time
    with django_assert_max_num_queries(12):
        body = feed(as_member, page_size=100)
    assert len(body["results"]) == 15


# --- the sync guarantee ---------------------------------------------------------------------

_bodies = itertools.count(1)


def _text() -> str:
    return f"Post text number {next(_bodies)} about squats"


class App:
    """What a mobile app keeps: the payloads the feed gave it and the cursor to go on from."""

    def __init__(self, api):
        self.api = api
        self.copy = {}
        self.cursor = None

    def sync(self, page_size=100):
        while True:
            body = feed(self.api, self.cursor, page_size=page_size)
            for item in body["results"]:
                self.copy[(item["kind"], item["id"])] = item[item["kind"]]
                if item["kind"] == "member":
                    self.apply_member(item["member"])
            self.cursor = body["next_cursor"]
            if not body["has_more"]:
                return

    def apply_member(self, member):
        # What the README tells an app to do: every cached author with this username takes
        # the member's summary fields.
        for payload in self.copy.values():
            author = payload.get("author") if payload else None
            if author and author["username"] == member["username"]:
                payload["author"] = {field: member[field] for field in author}


class SyncMachine(RuleBasedStateMachine):
    """Writers write, apps sync now and then (a member's, an anonymous reader's and a
    moderator's, who reads hidden posts); afterwards each app's copy of every thread and post
    (kept only from the feed) equals what a fresh read of the API returns to that viewer."""

    @initialize()
    def start(self):
        self.categories = [CategoryFactory(), CategoryFactory()]
        self.writers = [UserFactory(), UserFactory()]
        self.moderator = UserFactory(moderator=True)
        self.apps = [App(bearer(UserFactory())), App(APIClient()), App(bearer(self.moderator))]
        self.threads = []
        self.posts = []
        self.thread(0, 0)
        self.thread(1, 1)
        for app in self.apps:
            app.sync()  # the app's first sync: everything there already is

    def _post(self, i):
        return Post.objects.get(pk=self.posts[i % len(self.posts)])

    def _attempt(self, fn, **kwargs):
        # A write the rules refuse (editing a hidden post...) writes nothing.
        with contextlib.suppress(PermissionDenied, ValidationError):
            fn(**kwargs)

    @rule(writer=st.integers(0, 1), category=st.integers(0, 1))
    def thread(self, writer, category):
        thread = services.thread_create(
            author=self.writers[writer],
            category=self.categories[category],
            title="A thread",
            body=_text(),
        )
        self.threads.append(thread.pk)
        self.posts.append(thread.posts.get().pk)

    @rule(writer=st.integers(0, 1), i=st.integers(0, 99), quote=st.booleans())
    def reply(self, writer, i, quote):
        thread = self._post(i).thread
        body = _text()
        if quote:
            with contextlib.suppress(PermissionDenied, ValidationError):
                body = quote_markup(post=self._post(i), user=self.writers[writer]) + body
        try:
            post = services.post_reply(author=self.writers[writer], thread=thread, body=body)
        except (PermissionDenied, ValidationError):
            return
        self.posts.append(post.pk)

    @rule(i=st.integers(0, 99))
    def edit(self, i):
        post = self._post(i)
        self._attempt(services.post_edit, editor=post.author, post=post, body=_text())

    @rule(i=st.integers(0, 99))
    def delete(self, i):
        post = self._post(i)
        self._attempt(services.post_delete, actor=post.author, post=post)

    @rule(i=st.integers(0, 99))
    def hide(self, i):
        services.post_hide(actor=self.moderator, post=self._post(i))

    @rule(i=st.integers(0, 99))
    def restore(self, i):
        services.post_restore(actor=self.moderator, post=self._post(i))

    @rule(i=st.integers(0, 99))
    def rename(self, i):
        services.thread_edit_title(
            actor=self.moderator, thread=self._post(i).thread, title=f"Renamed {next(_bodies)}"
        )

    @rule(i=st.integers(0, 99), category=st.integers(0, 1))
    def move(self, i, category):
        services.thread_move(
            actor=self.moderator, thread=self._post(i).thread, category=self.categories[category]
        )

    @rule(i=st.integers(0, 99), locked=st.booleans())
    def lock(self, i, locked):
        services.thread_lock(actor=self.moderator, thread=self._post(i).thread, locked=locked)

    @rule(i=st.integers(0, 99), add=st.booleans())
    def notice(self, i, add):
        post = self._post(i)
        if add:
            moderation_services.notice_add(moderator=self.moderator, post=post, severity="advice")
        else:
            for notice in Notice.objects.filter(post=post, removed__isnull=True):
                moderation_services.notice_remove(moderator=self.moderator, notice=notice)

    @rule(writer=st.integers(0, 1), field=st.sampled_from(["display_name", "bio", "avatar"]))
    def profile(self, writer, field):
        user = self.writers[writer]
        if field == "avatar":
            account_services.avatar_set(user=user, upload=image_file())
        else:
            account_services.profile_update(user=user, changes={field: f"Name {next(_bodies)}"})

    @rule(app=st.integers(0, 2), page_size=st.integers(1, 5))
    def app_syncs(self, app, page_size):
        self.apps[app].sync(page_size)

    def teardown(self):
        if not hasattr(self, "apps"):
            return
        for app in self.apps:
            app.sync()
            for pk in self.threads:
                assert app.copy[("thread", pk)] == app.api.get(f"/api/v1/threads/{pk}/").json()
                posts = app.api.get(f"/api/v1/threads/{pk}/posts/", {"page_size": 100}).json()
                for post in posts["results"]:
                    assert app.copy[("post", post["id"])] == post
            for writer in self.writers:
                if ("member", writer.pk) not in app.copy:
                    continue
                profile = app.api.get(f"/api/v1/users/{writer.username}/").json()
                copy = app.copy[("member", writer.pk)]
                for field in ("display_name", "avatar", "bio", "location", "website"):
                    assert copy[field] == profile[field]


def test_replaying_the_feed_gives_what_a_fresh_read_gives():
    run_state_machine_as_test(
        SyncMachine,
        settings=hypothesis_settings(
            max_examples=10,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
