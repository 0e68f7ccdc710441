"""Change keys: what the sync feed (GET /api/v1/changes/) is ordered by.

Every write that changes what a reader sees of a thread or a post calls `touch` in its
transaction. The key comes from one counter row (ChangeClock) that the transaction then holds
locked until it commits, so keys become visible in the order they were handed out: a client
that remembers the last key it read never misses a later write. Services call `touch` after
their other writes, so the counter is held for as short a time as possible and, since nothing
else is locked after it, two writers never wait on each other in a circle.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Subquery

from accounts.models import User
from forum.models import ChangeClock, Post, Quote, Thread

CLOCK_ID = 1


def _next_key() -> int:
    table = connection.ops.quote_name(ChangeClock._meta.db_table)
    sql = f"UPDATE {table} SET value = value + 1 WHERE id = %s RETURNING value"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [CLOCK_ID])
        row = cursor.fetchone()
        if row is None:
            # The row is made by a migration; a flushed test database has lost it.
            ChangeClock.objects.get_or_create(pk=CLOCK_ID)
            cursor.execute(sql, [CLOCK_ID])
            row = cursor.fetchone()
    return row[0]


def _stamp_in_one_statement(threads: list[int], posts: list[int]) -> int | None:
    """PostgreSQL: the new key and the stamps of `threads` and `posts` in one statement (data-
    modifying WITH queries), the common case of a post written. None when the clock's row is
    missing (see _next_key)."""
    clock = connection.ops.quote_name(ChangeClock._meta.db_table)
    thread_table = connection.ops.quote_name(Thread._meta.db_table)
    post_table = connection.ops.quote_name(Post._meta.db_table)
    sql = (
        f"WITH clock AS (UPDATE {clock} SET value = value + 1 WHERE id = %s RETURNING value), "  # noqa: S608
        # Joined to the clock's row: without it (see _next_key) nothing is stamped.
        f"t AS (UPDATE {thread_table} SET changed = clock.value FROM clock "
        f"WHERE {thread_table}.id = ANY(%s) RETURNING 1), "
        f"p AS (UPDATE {post_table} SET changed = clock.value FROM clock "
        f"WHERE {post_table}.id = ANY(%s) RETURNING 1) "
        "SELECT value FROM clock"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [CLOCK_ID, threads, posts])
        row = cursor.fetchone()
    return None if row is None else row[0]


def touch(
    *,
    threads: Iterable[int] = (),
    posts: Iterable[int] = (),
    quoting: Iterable[int] = (),
    posts_of: Iterable[int] = (),
    members: Iterable[int] = (),
) -> int:
    """Give the threads and posts (ids) a new change key, and the posts that quote any post
    in `quoting` too (their quotes show the quoted post's state), and every post of the
    threads in `posts_of` (what a reader may do with a post follows its thread's lock), and
    the public profiles of `members` (user ids). Returns the key."""
    threads, posts, quoting, posts_of = list(threads), list(posts), list(quoting), list(posts_of)
    members = list(members)
    if connection.vendor == "postgresql" and not quoting and not posts_of and not members:
        key = _stamp_in_one_statement(threads, posts)
        if key is not None:
            return key
    key = _next_key()
    if members:
        # One row per member, not one per post they wrote: a client applies the member's new
        # name and avatar to every post and thread of theirs it keeps.
        User.objects.filter(pk__in=members).update(changed=key)
    if threads:
        Thread.objects.filter(pk__in=threads).update(changed=key)
    if posts:
        Post.objects.filter(pk__in=posts).update(changed=key)
    if quoting:
        quoters = Quote.objects.filter(source_id__in=quoting).values("post_id")
        Post.objects.filter(pk__in=Subquery(quoters)).update(changed=key)
    if posts_of:
        Post.objects.filter(thread_id__in=posts_of).update(changed=key)
    return key
