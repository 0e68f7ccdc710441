"""Reads of the forum: querysets that already join what their pages show."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import astuple, dataclass
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.safestring import mark_safe

from accounts.models import User
from forum import hooks, pagecache, policy, quotes, search
from forum.models import (
    Block,
    Bookmark,
    Category,
    Notification,
    Post,
    Reaction,
    ReadMarker,
    Subscription,
    Thread,
)
from forum.policy import AnyUser
from forum.revisions import DiffLine, line_diff


def category_list() -> QuerySet[Category]:
    return Category.objects.all()


def thread_list(
    *, category: Category | None = None, user: AnyUser | None = None
) -> QuerySet[Thread]:
    """Threads with their category and author, pinned first. For a member, each thread also
    carries `read_number` (how far they have read it, None when never opened),
    `unread_count` (posts after it that they may read: one's own posts are read when written)
    and `is_subscribed` (watching), in the same query. The pages and the API list threads
    with this one rule; anonymous readers get None and False."""
    qs = Thread.objects.select_related("category", "author")
    if category is not None:
        qs = qs.filter(category=category)
    if user is None or not policy.is_member(user):
        return qs.annotate(
            read_number=Value(None, output_field=IntegerField()),
            unread_count=Value(None, output_field=IntegerField()),
            is_subscribed=Value(False, output_field=BooleanField()),
        )
    marker = ReadMarker.objects.filter(user=user, thread=OuterRef("pk"))
    unread = (
        Post.objects.filter(
            policy.readable_posts_q(user),
            thread=OuterRef("pk"),
            number__gt=Coalesce(OuterRef("read_number"), 0),
        )
        .order_by()
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    watching = Subscription.objects.filter(
        user=user, thread=OuterRef("pk"), level=Subscription.Level.WATCHING
    )
    return qs.annotate(
        read_number=Subquery(marker.values("last_read_number")[:1], output_field=IntegerField())
    ).annotate(
        # Posts are only counted in a thread with posts after the read position: a thread
        # read to its end (most of a regular's list) costs no count, nor does one never
        # opened by a reader of visible posts only (its post_count counts those).
        unread_count=Case(
            When(read_number__gte=F("last_number"), then=Value(0)),
            *(
                [When(read_number__isnull=True, then=F("post_count"))]
                if policy.readable_posts_q(user) == Q(state=Post.State.VISIBLE)
                else []
            ),
            default=Coalesce(Subquery(unread, output_field=IntegerField()), 0),
            output_field=IntegerField(),
        ),
        is_subscribed=Exists(watching),
    )


# The longest plain-text excerpt of a post in lists (threads, notifications, search results).
EXCERPT_LENGTH = 200


def with_previews(threads: QuerySet[Thread], *, user: AnyUser) -> QuerySet[Thread]:
    """`threads` where each also carries `first_post_html` (the first post's HTML when the
    viewer may read it, else None: the list's excerpt) and `notice_severity` (the strongest
    live notice on a post of the thread that the viewer may read, None without one), in the
    same query. The notices come from forum.hooks, so the forum needs no moderation."""
    first = Post.objects.filter(
        policy.readable_posts_q(user), thread=OuterRef("pk"), number=1
    ).values("html")[:1]
    noticed = policy.readable_posts_q(user, prefix="post__") & Q(post__thread=OuterRef("pk"))
    return threads.annotate(
        first_post_html=Subquery(first, output_field=TextField()),
        notice_severity=hooks.notice_severity(noticed),
    )


def notifications_with_previews(
    notifications: QuerySet[Notification], *, user: AnyUser
) -> QuerySet[Notification]:
    """`notifications` where each also carries `notice_severity`: the strongest live notice
    on the notified post, when the viewer may read the post."""
    noticed = policy.readable_posts_q(user, prefix="post__") & Q(post=OuterRef("post_id"))
    return notifications.annotate(notice_severity=hooks.notice_severity(noticed))


def first_unread_number(*, thread: Thread, user: AnyUser) -> int:
    """The number of the first post the member has not read (1 for a thread never opened,
    the last post when everything is read)."""
    if not policy.is_member(user):
        return 1
    read = (
        ReadMarker.objects.filter(user=user, thread=thread)
        .values_list("last_read_number", flat=True)
        .first()
    )
    return max(1, min((read or 0) + 1, thread.last_number))


# A member with no subscription row: notified only when quoted or mentioned.
NOT_WATCHING = "normal"


def subscription_level(*, thread: Thread, user: AnyUser) -> str:
    """ "watching", "muted", or NOT_WATCHING for the member's choice for this thread."""
    if not policy.can_follow(user):
        return NOT_WATCHING
    level = (
        Subscription.objects.filter(user=user, thread=thread)
        .values_list("level", flat=True)
        .first()
    )
    return level or NOT_WATCHING


def thread_for_reader(*, pk: int, user: AnyUser) -> Thread:
    """The thread of a thread page with its category (the page names no author of the
    thread: it reads the author's id only, for the policy). For a member it also
    carries, in the same query, `read_through` (their read position, None when never opened),
    `subscription_level` (as subscription_level() answers) and `bookmarked` (as
    thread_bookmarked() answers), so the page neither asks for them nor writes a read position
    that has not moved. Raises Http404."""
    qs = Thread.objects.select_related("category")
    if policy.can_follow(user):
        sql = _readers_thread_sql()  # the models' names only: every value is a parameter
        qs = qs.annotate(
            read_through=RawSQL(  # noqa: S611
                sql["read_through"], [user.pk], output_field=IntegerField()
            ),
            subscription_level=RawSQL(  # noqa: S611
                sql["subscription_level"], [user.pk, NOT_WATCHING], output_field=CharField()
            ),
            bookmarked=RawSQL(  # noqa: S611
                sql["bookmarked"], [user.pk], output_field=BooleanField()
            ),
        )
    return get_object_or_404(qs, pk=pk)


# What is a member's own on a thread page, as plain EXISTS and scalar subqueries over the
# query's base table (forum_thread or forum_post, so only for querysets that are never nested
# in another query). The ORM's Subquery and Exists expressions said the same, but building and
# compiling them took a signed-in thread page 3 ms of CPU on every view: nine of them, each a
# Query of its own to clone, resolve and compile. These are written once per process, from the
# models' own table and column names, and compile to themselves.


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, field: str) -> str:
    return f"{_table(model)}.{connection.ops.quote_name(model._meta.get_field(field).column)}"


@functools.cache
def _readers_thread_sql() -> dict[str, str]:
    thread = _column(Thread, "id")
    return {
        "read_through": (
            f"SELECT {_column(ReadMarker, 'last_read_number')} FROM "  # noqa: S608 (names only)
            f"{_table(ReadMarker)} WHERE "
            f"{_column(ReadMarker, 'user')} = %s AND {_column(ReadMarker, 'thread')} = {thread}"
        ),
        "subscription_level": (
            f"COALESCE((SELECT {_column(Subscription, 'level')} FROM "  # noqa: S608
            f"{_table(Subscription)} WHERE "
            f"{_column(Subscription, 'user')} = %s AND "
            f"{_column(Subscription, 'thread')} = {thread}), %s)"
        ),
        "bookmarked": (
            f"EXISTS (SELECT 1 FROM {_table(Bookmark)} "  # noqa: S608
            f"WHERE {_column(Bookmark, 'user')} = %s AND {_column(Bookmark, 'thread')} = {thread} "
            f"AND {_column(Bookmark, 'post')} IS NULL)"
        ),
    }


@functools.cache
def _readers_post_sql() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each annotation of _personal: its SQL, whose parameters are the member's id and then
    the values given with it."""
    post, author = _column(Post, "id"), _column(Post, "author")
    reactions, blocks = _table(Reaction), _table(Block)
    sql: dict[str, tuple[str, tuple[str, ...]]] = {
        f"reacted_{kind}": (
            f"EXISTS (SELECT 1 FROM {reactions} WHERE {_column(Reaction, 'post')} = {post} "  # noqa: S608
            f"AND {_column(Reaction, 'user')} = %s AND {_column(Reaction, 'kind')} = %s)",
            (kind,),
        )
        for kind in Reaction.Kind.values
    }
    sql["bookmarked"] = (
        f"EXISTS (SELECT 1 FROM {_table(Bookmark)} "  # noqa: S608
        f"WHERE {_column(Bookmark, 'user')} = %s AND {_column(Bookmark, 'post')} = {post})",
        (),
    )
    sql["author_blocked"] = (
        f"EXISTS (SELECT 1 FROM {blocks} WHERE {_column(Block, 'user')} = %s "  # noqa: S608
        f"AND {_column(Block, 'blocked')} = {author})",
        (),
    )
    sql["author_blocks_viewer"] = (
        f"EXISTS (SELECT 1 FROM {blocks} WHERE {_column(Block, 'user')} = {author} "  # noqa: S608
        f"AND {_column(Block, 'blocked')} = %s)",
        (),
    )
    return sql


def post_queryset(user: AnyUser | None = None) -> QuerySet[Post]:
    """Posts with what their pages and payloads show. With a member `user`, each post also
    carries what is personal to them, as subqueries of the same query (no query per post):
    `reacted_<kind>` for each reaction kind, `bookmarked`, `author_blocked` (they blocked its
    author) and `author_blocks_viewer` (its author blocked them; forum.policy reads both)."""
    qs = Post.objects.select_related("author", "thread").prefetch_related(
        *(prefetch() for prefetch in hooks.post_prefetches),
        "quotes__source__author",
        "quotes__source__thread",
    )
    return _personal(qs, user)


def _personal(qs: QuerySet[Post], user: AnyUser | None) -> QuerySet[Post]:
    if not policy.is_member(user):
        return qs
    # Raw SQL over the posts table (see _readers_thread_sql): every post_queryset is a query
    # of its own (a page, a prefetch, one post), never a subquery of another.
    return qs.annotate(
        **{
            name: RawSQL(sql, [user.pk, *values], output_field=BooleanField())  # noqa: S611
            for name, (sql, values) in _readers_post_sql().items()
        }
    )


def post_as_written(user: User, post: Post) -> Post | None:
    """The post its author just wrote (services.post_reply's), carrying what post_queryset
    gives a post, without reading it back: nobody has reacted to it, bookmarked it or quoted
    it yet, its author is the viewer, and the write left its quotes (with their sources) and
    every hook's prefetched rows on it. None when a prefetch is missing (a hook the write
    does not fill): then read it with post_queryset."""
    cache = getattr(post, "_prefetched_objects_cache", {})
    for prefetch in hooks.post_prefetches:
        attr = prefetch().to_attr or prefetch().prefetch_to
        if not hasattr(post, attr) and attr not in cache:
            return None
    if "quotes" not in cache or post.author_id != user.pk:
        return None
    for kind in Reaction.Kind.values:
        setattr(post, f"reacted_{kind}", False)
    post.bookmarked = False  # type: ignore[attr-defined]
    # Nobody blocks themselves (services.member_block refuses it).
    post.author_blocked = False  # type: ignore[attr-defined]
    post.author_blocks_viewer = False  # type: ignore[attr-defined]
    return post


@dataclass(frozen=True)
class ReactionCount:
    kind: str
    label: str
    count: int
    reacted: bool


def post_reactions(post: Post) -> list[ReactionCount]:
    """Every reaction kind with the post's count and whether the viewer of `post_queryset`
    reacted so (False when it was read without a member)."""
    counts = post.reaction_counts or {}
    return [
        ReactionCount(
            kind=kind,
            label=label,
            count=int(counts.get(kind, 0)),
            reacted=bool(getattr(post, f"reacted_{kind}", False)),
        )
        for kind, label in Reaction.Kind.choices
    ]


@dataclass(frozen=True)
class PostVersion:
    """One version of a post as `user` may read it, with what changed from the one before."""

    number: int
    text: str
    editor: User
    created: datetime
    is_current: bool
    changes: list[DiffLine]


def post_versions(*, post: Post, user: AnyUser) -> list[PostVersion]:
    """Every version of the post, newest (the current text) first, each with its diff from
    the version before. Earlier versions may quote posts hidden since: every version is cut
    to what `user` may read, so the diff never brings back removed text. The caller checks
    forum.policy.can_view_revisions."""
    revisions = list(post.revisions.select_related("editor").order_by("number"))
    texts = [quotes.readable_text_of(revision.source, user) for revision in revisions]
    texts.append(quotes.readable_source(post, user))
    editors = [revision.editor for revision in revisions]
    editors.append(post.edited_by or post.author)
    times = [revision.created for revision in revisions]
    times.append(post.edited or post.created)
    versions = [
        PostVersion(
            number=index + 1,
            text=text,
            editor=editors[index],
            created=times[index],
            is_current=index == len(texts) - 1,
            changes=line_diff(texts[index - 1], text) if index else [],
        )
        for index, text in enumerate(texts)
    ]
    return versions[::-1]


def visible_posts(*, user: AnyUser) -> QuerySet[Post]:
    """Posts the user may read (forum.policy.can_view_post)."""
    return post_queryset(user).filter(policy.readable_posts_q(user))


def member_recent_posts(*, viewer: AnyUser, member, limit: int = 10) -> QuerySet[Post]:
    """A member's latest posts that the viewer may read, newest first (their profile page)."""
    return visible_posts(user=viewer).filter(author=member).order_by("-created", "-id")[:limit]


def thread_posts(*, thread: Thread, user: AnyUser) -> QuerySet[Post]:
    """Every post of a thread in order. Posts the user may not read keep their place as
    placeholders (number and state only): pages and serializers ask forum.policy."""
    return post_queryset(user).filter(thread=thread).order_by("number")


class PostNumberPaginator(Paginator):
    """A thread's pages by post number. Numbers are gap-free and every post keeps its place
    (placeholders included), so page k holds numbers (k-1)*n+1 to k*n: the count is the
    thread's `last_number` (no COUNT) and a page is an index range on (thread, number) (no
    OFFSET), so the last page of a 2,000-post thread costs what page 1 costs. A page's posts
    are read at once, each given `thread` as its thread (the policy reads post.thread for
    every post)."""

    def __init__(self, thread: Thread, posts: QuerySet[Post], per_page: int):
        super().__init__(posts, per_page)
        self.posts = posts
        self.thread = thread

    @property
    def count(self) -> int:
        return self.thread.last_number

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        posts = list(self.posts.filter(number__gt=bottom, number__lte=bottom + self.per_page))
        for post in posts:
            post.thread = self.thread
        return Page(posts, number, self)


def thread_page(*, thread: Thread, user: AnyUser, page: str | int | None, per_page: int) -> Page:
    """One page of the thread's posts in order (out-of-range and malformed page numbers give
    the nearest page, as Paginator.get_page does), for the thread page: each post with its
    author, `thread` as its thread and what is personal to `user` (post_queryset's
    annotations). What only a post's rendered article shows is left out, for
    post_article_rows() to read for the posts whose article is not stored: its quotes
    (quote_rows() reads them for the posts that quote) and what other apps show with it."""
    posts = _personal(Post.objects.filter(thread=thread).select_related("author"), user)
    return PostNumberPaginator(thread, posts.order_by("number"), per_page).get_page(page)


def quote_rows(posts: list[Post]) -> None:
    """The quotes of the posts that quote (the others have none to read), with their
    sources: what quotes.viewer_states() reads. One query for the lot, none when no post
    quotes, and none for a post that has them already."""
    prefetch_related_objects([p for p in posts if "data-quote=" in p.html], "quotes__source")


def post_article_rows(posts: list[Post]) -> None:
    """What rendering the posts' articles (forum/_post.html) reads besides the post and its
    author: their quotes' sources' authors and what other apps show with a post (forum.hooks'
    prefetches, such as moderation's notices). A query per kind of row for the lot."""
    if posts:
        quote_rows(posts)
        prefetch_related_objects(
            [p for p in posts if "data-quote=" in p.html], "quotes__source__author"
        )
        prefetch_related_objects(posts, *(prefetch() for prefetch in hooks.post_prefetches))


def posts_since(posts: QuerySet[Post], *, user: AnyUser, since) -> QuerySet[Post]:
    """The posts of a thread listing that come after `since`, for `user`.

    Posts the user may read are dated by their time. A placeholder must not be: filtering it
    by its own time would date a hidden post by bisection. It is placed instead: it is listed
    when it comes after the last readable post written by `since`, so whether it is listed
    depends only on the readable posts' times, which the reader sees anyway.
    """
    readable = policy.readable_posts_q(user)
    if readable == Q():
        return posts.filter(created__gt=since)
    last_seen = (
        Post.objects.filter(readable, thread=OuterRef("thread"), created__lte=since)
        .order_by("-number")
        .values("number")[:1]
    )
    return posts.filter(
        Q(readable, created__gt=since)
        | (~readable & Q(number__gt=Coalesce(Subquery(last_seen), 0)))
    )


@dataclass
class SearchPage:
    """One page of search results: posts (best first, each with `.title_html` and `.snippet`,
    escaped HTML with the words found in <mark>) and the cursor of the next page."""

    posts: list[Post]
    next_cursor: str | None
    windowed: bool


_M = TypeVar("_M", bound=Model)


def _loaded(model: type[_M], values: dict[str, object]) -> _M:
    """An instance of `model` as read from the database with only these fields (the others
    deferred): Model.from_db takes the values in the model's field order."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


@functools.cache
def _search_page_posts_sql() -> str:
    qn = connection.ops.quote_name
    return (
        "SELECT p.id, p.number, p.html, p.created, p.state, p.thread_id, p.author_id,"  # noqa: S608
        " t.title AS thread_title, u.username AS author_username,"
        " u.display_name AS author_display_name"
        f" FROM {qn(Post._meta.db_table)} p"
        f" JOIN {qn(Thread._meta.db_table)} t ON t.id = p.thread_id"
        f" JOIN {qn(User._meta.db_table)} u ON u.id = p.author_id"
        " WHERE p.state = %s AND p.id IN ({ids})"
    )


def _search_page_posts(ids: list[int]) -> dict[int, Post]:
    """The visible posts among `ids`, with what the search page shows of them and what the
    headlines read, no more: the whole rows of twenty posts, their threads and authors (their
    Markdown source, the authors' password hashes and profiles) cost a third more to read and
    build. One fixed statement: having the ORM build the joined query (select_related, only)
    was more than half of a rare word's search in process (1.1 of 1.9 ms of the selector's
    CPU, at 100,000 posts)."""
    if not ids:
        return {}
    sql = _search_page_posts_sql().format(ids=", ".join(["%s"] * len(ids)))
    found = {}
    for post in Post.objects.raw(sql, [Post.State.VISIBLE, *ids]):
        row = vars(post)  # the joined columns, set on the post by the raw query
        post.thread = _loaded(Thread, {"id": post.thread_id, "title": row["thread_title"]})
        post.author = _loaded(
            User,
            {
                "id": post.author_id,
                "username": row["author_username"],
                "display_name": row["author_display_name"],
            },
        )
        found[post.pk] = post
    return found


def _visible_posts(ids: list[int], *, user: AnyUser, full: bool) -> dict[int, Post]:
    if not full:
        return _search_page_posts(ids)
    return {p.pk: p for p in post_queryset(user).filter(pk__in=ids, state=Post.State.VISIBLE)}


def search_posts(
    *,
    user: AnyUser,
    query: str,
    filters: search.Filters | None = None,
    cursor: str | None = None,
    limit: int = 20,
    full: bool = True,
) -> SearchPage:
    """Visible posts matching `query` for this reader. Hidden and deleted posts have no place in
    the index, and the posts are checked again here, so a change of state racing the search
    cannot show one. `full`: the posts as `post_queryset` gives them (the API's payloads);
    without, with their thread and author only (the search page shows no more).

    The hits with their titles and snippets are the same for every reader (only visible posts
    are found, and every reader may read those): with the page cache on they are kept under
    the content version, so the same search by anyone, on the page or through the API, runs
    no search until something readers see changes. The posts are read for each reader."""
    filters = filters or search.Filters()
    timeout = pagecache.seconds() if settings.STOA.get("SEARCH_KEEP_RESULTS", True) else 0
    key = ""
    if timeout:
        # The version is read before the search: a result made from rows a write is changing
        # is stored under a version that write has moved past (forum.pagecache).
        parts = json.dumps([query, astuple(filters), cursor, limit], default=str)
        digest = hashlib.sha256(parts.encode()).hexdigest()[:32]
        key = f"search:{pagecache.version()}:{digest}"
        stored = cache.get(key)
        if stored is not None:
            hits, next_cursor, windowed = stored
            found = _visible_posts([h[0] for h in hits], user=user, full=full)
            posts = []
            for pk, title_html, snippet in hits:
                post = found.get(pk)
                if post is not None and policy.can_view_post(user, post):
                    post.title_html = mark_safe(title_html)  # noqa: S308 (search's own markup)
                    post.snippet = mark_safe(snippet)  # noqa: S308
                    posts.append(post)
            return SearchPage(posts=posts, next_cursor=next_cursor, windowed=windowed)
    result = search.search(query=query, filters=filters, cursor=cursor, limit=limit)
    ids = [hit.post_id for hit in result.hits]
    found = _visible_posts(ids, user=user, full=full)
    posts = [found[pk] for pk in ids if pk in found and policy.can_view_post(user, found[pk])]
    marked = search.headlines(
        query=query,
        items=[(post.thread.title, search.own_text(post.html)) for post in posts],
    )
    for post, (title_html, snippet) in zip(posts, marked, strict=True):
        post.title_html = title_html
        post.snippet = snippet
    if key:
        hits = [(post.pk, str(post.title_html), str(post.snippet)) for post in posts]
        cache.set(key, (hits, result.next_cursor, result.windowed), timeout)
    return SearchPage(posts=posts, next_cursor=result.next_cursor, windowed=result.windowed)


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The member's notifications, unread first, then newest first. A post hidden or deleted
    after the notification was sent stays out of sight (moderators still see it), except for
    a word from the moderators about it (the outcome of a report), which names the post's
    thread and number but shows none of its text."""
    qs = Notification.objects.filter(recipient=user).select_related(
        "actor", "post__thread", "post__author"
    )
    qs = qs.filter(
        policy.readable_posts_q(user, prefix="post__") | Q(kind=Notification.Kind.MODERATION)
    )
    unread_first = ExpressionWrapper(Q(read__isnull=True), output_field=BooleanField())
    return qs.order_by(unread_first.desc(), "-created", "-id")


def notification_unread_count(*, user: AnyUser) -> int:
    if not policy.is_member(user):
        return 0
    return notification_list(user=user).filter(read__isnull=True).count()


def header_unread_count(*, user: AnyUser) -> int:
    """notification_unread_count, kept for the member under the content and reader versions
    (pagecache.for_reader, with the cache on): the header's count, which every signed-in page
    shows. A new or read notification moves the reader's version, a post hidden since (no
    longer counted) the content's, so the kept count is never one a count now would not give."""
    if not policy.is_member(user):
        return 0
    return pagecache.for_reader(
        user.pk, "unread-notifications", lambda: notification_unread_count(user=user)
    )


# The sync feed: threads, posts and members' public profiles in the order of their change keys
# (forum.changes). Rows touched by one write share a key, so a position is (key, kind, id),
# kind 0 for threads, 1 for posts and 2 for members: a total order that a cursor can resume
# from without skipping or repeating.
FEED_KINDS = ("thread", "post", "member")


@dataclass(frozen=True, order=True)
class FeedPosition:
    changed: int
    kind: int
    id: int

    def token(self) -> str:
        return f"{self.changed}.{self.kind}.{self.id}"

    @classmethod
    def parse(cls, token: str) -> FeedPosition:
        """The position a `token()` names; ValueError for anything else."""
        parts = token.split(".")
        if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
            raise ValueError(token)
        changed, kind, pk = (int(p) for p in parts)
        if kind >= len(FEED_KINDS) or max(changed, pk) >= 2**63:
            raise ValueError(token)
        return cls(changed, kind, pk)


@dataclass
class FeedPage:
    """One page of the sync feed: (kind, object) pairs oldest change first, the position of
    the last one (or the position asked for, when nothing changed since) and whether more
    changes are waiting."""

    items: list[tuple[str, Thread | Post | User]]
    position: FeedPosition | None
    has_more: bool


def _after(position: FeedPosition | None, kind: int) -> Q:
    if position is None:
        return Q()
    later = Q(changed__gt=position.changed)
    if kind > position.kind:
        return later | Q(changed=position.changed)
    if kind == position.kind:
        return later | Q(changed=position.changed, pk__gt=position.id)
    return later


def feed_members(*, user: AnyUser, thread: int | None = None) -> QuerySet[User]:
    """The members whose public profile the sync feed lists: those who changed it since they
    joined (the posts and threads a client fetched first already show the others as they are),
    and with `thread`, only the authors of its posts that `user` may read."""
    members = User.objects.filter(changed__gt=0)
    if thread is not None:
        authors = Post.objects.filter(policy.readable_posts_q(user), thread_id=thread).values(
            "author_id"
        )
        members = members.filter(pk__in=Subquery(authors))
    return members


def change_feed(
    *,
    threads: QuerySet[Thread],
    posts: QuerySet[Post],
    members: QuerySet[User],
    after: FeedPosition | None,
    limit: int,
) -> FeedPage:
    """What changed after `after` among `threads`, `posts` and `members` (querysets that
    already carry what their payloads show). Every post is listed, readable or not: a post the
    viewer may no longer read is listed as its placeholder, the tombstone a client replaces
    its copy with."""
    found: list[tuple[FeedPosition, Thread | Post | User]] = []
    querysets: tuple[QuerySet[Thread] | QuerySet[Post] | QuerySet[User], ...] = (
        threads,
        posts,
        members,
    )
    for kind, qs in enumerate(querysets):
        for obj in qs.filter(_after(after, kind)).order_by("changed", "pk")[: limit + 1]:
            found.append((FeedPosition(obj.changed, kind, obj.pk), obj))
    found.sort(key=lambda item: item[0])
    page = found[:limit]
    return FeedPage(
        items=[(FEED_KINDS[position.kind], obj) for position, obj in page],
        position=page[-1][0] if page else after,
        has_more=len(found) > limit,
    )


def bookmark_list(*, user: AnyUser) -> QuerySet[Bookmark]:
    """The member's bookmarks, newest first, of what they may still read: a bookmarked post
    hidden or deleted since drops out (nothing of it is shown, not even that it was there)."""
    if not policy.is_member(user):
        return Bookmark.objects.none()
    qs = Bookmark.objects.filter(user=user)
    readable = policy.readable_posts_q(user, prefix="post__")
    if readable != Q():  # Q() | Q(a) is Q(a): "everything" must not narrow to thread bookmarks
        qs = qs.filter(Q(post__isnull=True) | readable)
    return qs.select_related("thread__category", "thread__author", "post__author").order_by(
        "-created", "-id"
    )


def thread_bookmarked(*, user: AnyUser, thread: Thread) -> bool:
    """The member bookmarked the thread as a whole (posts carry their own `bookmarked`)."""
    if not policy.is_member(user):
        return False
    return Bookmark.objects.filter(user=user, thread=thread, post__isnull=True).exists()


def followed_threads(*, user: User) -> QuerySet[Thread]:
    """The threads the member watches, latest activity first, each with its unread count and
    read position (the thread list's rule)."""
    watching = Subscription.objects.filter(user=user, level=Subscription.Level.WATCHING)
    return (
        thread_list(user=user)
        .filter(pk__in=watching.values("thread_id"))
        .order_by("-last_activity", "-id")
    )


def blocked_members(*, user: User) -> QuerySet[Block]:
    """Whom the member blocked, latest first."""
    return Block.objects.filter(user=user).select_related("blocked").order_by("-created", "-id")
