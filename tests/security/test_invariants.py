"""Random sequences of what members and a moderator do, on PostgreSQL, with the forum's
invariants checked after every step (hypothesis' rule-based state machine):

- counters exact: every thread's and member's post count is the number of visible posts;
- post numbers are 1..n in every thread, without gaps;
- nothing hidden or deleted is readable by a member anywhere: the thread page, the API's
  thread listing, post and search endpoints, and quotes of it in other posts;
- the callout cap: no post has notified more members by quote or mention than one post may,
  across all its versions;
- at most one notification per member per post, and never one to the post's own author.

Every post carries a unique marker word, so "readable" is checked by looking for the word.
"""

from __future__ import annotations

import contextlib
import itertools

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from accounts import services as account_services
from accounts.models import User
from forum import services
from forum.models import Notification, Post, Thread
from forum.quotes import quote_markup
from moderation import services as moderation_services
from moderation.models import Report, Review
from tests.api.conftest import bearer
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db

_ids = itertools.count(1)


def _marker() -> str:
    return f"zq{next(_ids):06d}x"


class ForumMachine(RuleBasedStateMachine):
    members = Bundle("members")
    posts = Bundle("posts")

    @initialize(target=members)
    def start(self):
        self.category = CategoryFactory()
        self.moderator = UserFactory(moderator=True)
        self.reader = UserFactory()  # a member who only reads: the eyes of every check
        self.reader_client = Client()
        self.reader_client.force_login(self.reader)
        self.reader_api = bearer(self.reader)
        self.threads: list[Thread] = []
        self.markers: dict[int, str] = {}
        self.sign_ups = 0
        return multiple(*(UserFactory() for _ in range(3)))

    # --- members --------------------------------------------------------------------------

    @rule(target=members)
    def sign_up(self):
        self.sign_ups += 1
        name = f"joiner{next(_ids)}"
        user = account_services.member_signup(
            username=name,
            email=f"{name}@example.com",
            password="a-long-unusual-passphrase",
            site_url="http://testserver",
        )
        user.is_active = True  # activation is tested elsewhere; here they post at once
        user.save(update_fields=["is_active"])
        return user

    # --- writing --------------------------------------------------------------------------

    def _body(self, text: str) -> tuple[str, str]:
        marker = _marker()
        return f"{text} {marker}", marker

    @rule(target=posts, author=members)
    def start_thread(self, author):
        body, marker = self._body("A new thread")
        try:
            thread = services.thread_create(
                author=author, category=self.category, title=f"Thread {next(_ids)}", body=body
            )
        except (ValidationError, PermissionDenied):
            return multiple()
        self.threads.append(thread)
        post = thread.posts.get()
        self.markers[post.pk] = marker
        return post

    def _reply(self, author, body: str, marker: str):
        if not self.threads:
            return multiple()
        thread = self.threads[len(self.markers) % len(self.threads)]
        try:
            post = services.post_reply(author=author, thread=thread, body=body)
        except (ValidationError, PermissionDenied):
            return multiple()
        self.markers[post.pk] = marker
        return post

    @rule(target=posts, author=members)
    def reply(self, author):
        return self._reply(author, *self._body("A reply"))

    @rule(target=posts, author=members, source=posts)
    def quote(self, author, source):
        source.refresh_from_db()
        try:
            markup = quote_markup(post=source, user=author)
        except (ValidationError, PermissionDenied):
            return multiple()
        body, marker = self._body(markup + "\nQuoting that.")
        return self._reply(author, body, marker)

    @rule(target=posts, author=members, named=st.lists(members, min_size=1, max_size=4))
    def mention(self, author, named):
        text = " ".join(f"@{m.username}" for m in named)
        return self._reply(author, *self._body(f"Hey {text}"))

    @rule(post=posts, named=st.lists(members, min_size=0, max_size=3), by_moderator=st.booleans())
    def edit(self, post, named, by_moderator):
        post.refresh_from_db()
        marker = self.markers[post.pk]
        text = " ".join(f"@{m.username}" for m in named)
        body = f"Edited {text} {marker} {next(_ids)}"
        editor = self.moderator if by_moderator else post.author
        with contextlib.suppress(ValidationError, PermissionDenied):
            services.post_edit(editor=editor, post=post, body=body)

    # --- moderation -----------------------------------------------------------------------

    @rule(post=posts)
    def hide(self, post):
        services.post_hide(actor=self.moderator, post=post)

    @rule(post=posts)
    def restore(self, post):
        services.post_restore(actor=self.moderator, post=post)

    @rule(post=consumes(posts))
    def delete(self, post):
        post.refresh_from_db()
        with contextlib.suppress(PermissionDenied):
            services.post_delete(actor=post.author, post=post)

    @rule(post=posts, reporter=members)
    def report(self, post, reporter):
        post.refresh_from_db()
        with contextlib.suppress(ValidationError, PermissionDenied):
            moderation_services.report_create(
                reporter=reporter, post=post, reason=Report.Reason.SPAM, comment="spam?"
            )

    @rule(confirm=st.booleans())
    def decide(self, confirm):
        # No precondition on the database: hypothesis needs the same choices on a replay.
        review = (
            Review.objects.filter(status=Review.Status.PENDING, post_id__in=list(self.markers))
            .order_by("pk")
            .first()
        )
        if review is None:
            return
        decide = (
            moderation_services.review_confirm if confirm else moderation_services.review_dismiss
        )
        with contextlib.suppress(ValidationError, PermissionDenied):
            decide(moderator=self.moderator, review=review)

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def counters_are_exact(self):
        for thread in Thread.objects.filter(category=getattr(self, "category", None)):
            visible = thread.posts.filter(state=Post.State.VISIBLE).count()
            assert thread.post_count == visible, thread
        authors = User.objects.filter(
            posts__thread__category=getattr(self, "category", None)
        ).distinct()
        for user in authors:
            user.refresh_from_db()
            assert user.post_count == user.posts.filter(state=Post.State.VISIBLE).count(), user

    @invariant()
    def post_numbers_have_no_gaps(self):
        for thread in getattr(self, "threads", []):
            thread.refresh_from_db()
            numbers = list(thread.posts.order_by("number").values_list("number", flat=True))
            assert numbers == list(range(1, thread.last_number + 1))

    @invariant()
    def nothing_hidden_is_readable_by_a_member(self):
        if not getattr(self, "threads", None):
            return
        hidden = Post.objects.filter(pk__in=list(self.markers)).exclude(state=Post.State.VISIBLE)
        unreadable = {self.markers[pk] for pk in hidden.values_list("pk", flat=True)}
        if not unreadable:
            return
        # A hidden post's words can sit in any thread: quoted into another post.
        for thread in self.threads:
            page = self.reader_client.get(f"/t/{thread.pk}/", follow=True)
            listing = self.reader_api.get(f"/api/v1/threads/{thread.pk}/posts/")
            assert page.status_code == listing.status_code == 200
            for marker in unreadable:
                assert marker not in page.content.decode(), (marker, thread)
                assert marker not in listing.content.decode(), (marker, thread)
        for post in hidden[:3]:
            assert self.reader_api.get(f"/api/v1/posts/{post.pk}/").status_code == 404
            found = self.reader_api.get(f"/api/v1/search/?q={self.markers[post.pk]}")
            if found.status_code == 200:
                assert post.pk not in [p["id"] for p in found.json()["results"]]

    @invariant()
    def callouts_stay_under_the_cap(self):
        cap = settings.STOA["CALLOUT_CAP"]
        rows = (
            Notification.objects.filter(
                post_id__in=list(getattr(self, "markers", {})),
                kind__in=[Notification.Kind.MENTION, Notification.Kind.QUOTE],
            )
            .values("post_id")
            .annotate(n=Count("recipient_id", distinct=True))
        )
        for row in rows:
            post = Post.objects.get(pk=row["post_id"])
            assert row["n"] <= cap
            assert row["n"] <= len(post.called_out)

    @invariant()
    def one_notification_per_member_per_post(self):
        ids = list(getattr(self, "markers", {}))
        duplicates = (
            Notification.objects.filter(post_id__in=ids)
            .values("post_id", "recipient_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert not duplicates.exists()
        for notification in Notification.objects.filter(post_id__in=ids).select_related("post"):
            assert notification.recipient_id != notification.post.author_id


def test_forum_invariants_hold_under_random_sequences(settings):
    if connection.vendor != "postgresql":
        pytest.skip("the state machine runs on PostgreSQL, the production database")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    run_state_machine_as_test(
        ForumMachine,
        settings=hypothesis_settings(
            max_examples=6,
            stateful_step_count=15,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
