"""Write operations of the forum. Each one checks forum.policy and the rules before it writes
anything, runs in one transaction, and keeps counters exact:

- Thread.post_count and User.post_count count visible posts;
- Thread.last_number hands out post numbers 1..n without gaps or reuse, under the thread's
  row lock, and UNIQUE(thread, number) backs it up.
"""

from __future__ import annotations

from datetime import timedelta
from types import EllipsisType

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from accounts import names
from accounts.models import User
from core import snapshots
from forum import changes, events, hooks, pagecache, policy, search
from forum import tasks as forum_tasks
from forum.content import (
    PreparedContent,
    is_replaying_history,
    post_content_sync,
    prepare_post_content,
)
from forum.models import (
    Block,
    Bookmark,
    Category,
    Notification,
    Post,
    PostRevision,
    Reaction,
    ReadMarker,
    Subscription,
    Thread,
)
from integrations.queue import enqueue


def _limits() -> dict:
    return settings.STOA


def clean_body(body: str, *, field: str = "body") -> str:
    if not isinstance(body, str):
        raise ValidationError({field: [ValidationError("Enter some text.", code="not_a_string")]})
    body = body.replace("\r\n", "\n").replace("\x00", "")
    if not body.strip():
        raise ValidationError({field: [ValidationError("A post cannot be empty.", code="blank")]})
    limit = _limits()["POST_MAX_LENGTH"]
    if len(body) > limit:
        message = f"A post can hold at most {limit:,} characters (this one has {len(body):,})."
        raise ValidationError({field: [ValidationError(message, code="max_length")]})
    return body


def clean_title(title: str) -> str:
    title = " ".join(str(title or "").split())
    if not title:
        raise ValidationError({"title": [ValidationError("A thread needs a title.", code="blank")]})
    # A zero-width-only title lists as an invisible thread; an override reorders the list.
    names.check_visible_text(title, field="title", what="A title")
    limit = _limits()["TITLE_MAX_LENGTH"]
    if len(title) > limit:
        message = f"A title can hold at most {limit} characters."
        raise ValidationError({"title": [ValidationError(message, code="max_length")]})
    return title


# A member who sends the same text twice within this window almost always double-submitted.
DUPLICATE_WINDOW = timedelta(minutes=5)


def refuse_repeat(*, author: User, body: str) -> None:
    """Refuse a post whose text repeats one the author wrote moments ago (whitespace aside).

    The posting throttles bound how many recent posts there can be, and the (author, -created)
    index finds them.
    """
    since = timezone.now() - DUPLICATE_WINDOW
    # Newest first, which the (author, -created) index reads in order: the posts' default
    # order (thread, number) read every post the author ever wrote to sort the window's.
    recent = (
        Post.objects.filter(author=author, created__gte=since)
        .order_by("-created")
        .values_list("source", flat=True)[:100]
    )
    words = body.split()
    if any(source.split() == words for source in recent):
        message = "You posted this same text a moment ago."
        raise ValidationError({"body": [ValidationError(message, code="duplicate")]})


def _lock_author(author: User) -> None:
    """Take the author's row lock for the rest of the transaction: one member's new posts are
    written one at a time, so the double-submit check sees every earlier copy, whichever
    thread the copies were sent to. Taken after any thread lock (the order _set_state also
    follows: thread, then the author's counter), so the two never deadlock."""
    User.objects.select_for_update().filter(pk=author.pk).values_list("pk", flat=True).first()


def _slug_for(title: str) -> str:
    return slugify(title)[:200] or "thread"


def _lock_thread(thread: Thread) -> Thread:
    return Thread.objects.select_for_update().get(pk=thread.pk)


def _thread_columns() -> tuple[list[str], str]:
    fields = Thread._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    return [f.attname for f in fields], columns


def _lock_thread_for_post(thread: Thread, *, author: User, now) -> Thread:
    """Lock the thread's row and count a new post in it, in one statement: the post's number
    is handed out by the same UPDATE that takes the lock (UPDATE ... RETURNING), rather than a
    SELECT FOR UPDATE and a later UPDATE. The rest of what a new post moves besides the post
    follows: the author's count (which takes their row lock, see _count_author_post) and
    their read position and subscription (_read_and_watch). On PostgreSQL all of it is the
    same statement, data-modifying WITH queries that update the thread first: the lock order
    of every post write, thread then author. The caller checks the policy on the returned
    row and raises if it refuses, which rolls all of it back."""
    table = connection.ops.quote_name(Thread._meta.db_table)
    attnames, columns = _thread_columns()
    update = (
        f"UPDATE {table} SET post_count = post_count + 1, last_number = last_number + 1, "  # noqa: S608
        "last_activity = CASE WHEN last_activity > %s THEN last_activity ELSE %s END "
        f"WHERE id = %s RETURNING {columns}"
    )
    params: list = [now, now, thread.pk]
    together = connection.vendor == "postgresql"
    if together:
        users, (count, user_id) = _names(User, "post_count", "id")
        markers, (m_user, m_thread, m_number, m_updated) = _names(
            ReadMarker, "user", "thread", "last_read_number", "updated"
        )
        watches, (s_user, s_thread, s_level, s_created) = _names(
            Subscription, "user", "thread", "level", "created"
        )
        update = (
            f"WITH locked AS ({update}), "  # noqa: S608
            f"counted AS (UPDATE {users} SET {count} = {count} + 1 "
            f"WHERE {user_id} = %s AND EXISTS (SELECT 1 FROM locked) RETURNING 1), "
            f"marker AS (INSERT INTO {markers} ({m_user}, {m_thread}, {m_number}, {m_updated}) "
            "SELECT %s, id, last_number, %s FROM locked "
            f"ON CONFLICT ({m_user}, {m_thread}) DO UPDATE SET "
            f"{m_number} = EXCLUDED.{m_number}, {m_updated} = EXCLUDED.{m_updated} RETURNING 1), "
            f"watch AS (INSERT INTO {watches} ({s_user}, {s_thread}, {s_level}, {s_created}) "
            "SELECT %s, id, %s, %s FROM locked ON CONFLICT DO NOTHING RETURNING 1) "
            "SELECT * FROM locked"
        )
        params += [author.pk, author.pk, now, author.pk, Subscription.Level.WATCHING, now]
    with connection.cursor() as cursor:
        cursor.execute(update, params)
        row = cursor.fetchone()
    if row is None:
        raise Thread.DoesNotExist("The thread no longer exists.")
    # What the ORM's compiler does to a row it reads (SQLite's datetimes and booleans).
    values = list(row)
    for i, field in enumerate(Thread._meta.concrete_fields):
        col = field.get_col(Thread._meta.db_table)
        for convert in [
            *connection.ops.get_db_converters(col),
            *field.get_db_converters(connection),
        ]:
            values[i] = convert(values[i], col, connection)
    locked = Thread.from_db(connection.alias, attnames, values)
    if not together:
        _count_author_post(author)
        _read_and_watch(author=author, thread=locked, number=locked.last_number, now=now)
    return locked


def _count_author_post(author: User) -> None:
    """Count the author's new post, which also takes their row lock for the rest of the
    transaction (see _lock_author): the double-submit check that follows sees every copy."""
    User.objects.filter(pk=author.pk).update(post_count=F("post_count") + 1)


def _names(model, *fields: str) -> tuple[str, list[str]]:
    quote = connection.ops.quote_name
    return quote(model._meta.db_table), [quote(model._meta.get_field(f).column) for f in fields]


def _read_and_watch(*, author: User, thread: Thread, number: int, now) -> None:
    """The author of a new post has read the thread up to it and watches the thread.

    A member's own post never makes the thread unread for them. It is the thread's last post
    (the thread is locked), so the read position moves to it in one upsert. Posting in a
    thread watches it, unless the member muted it: an existing row is kept."""
    ReadMarker.objects.bulk_create(
        [ReadMarker(user=author, thread=thread, last_read_number=number, updated=now)],
        update_conflicts=True,
        unique_fields=["user", "thread"],
        update_fields=["last_read_number", "updated"],
    )
    Subscription.objects.bulk_create(
        [Subscription(user_id=author.pk, thread_id=thread.pk)], ignore_conflicts=True
    )


def _after_post_write(
    *, post: Post, created: bool, content: PreparedContent, screening: hooks.Screening
) -> None:
    """What follows every write of a post's text: quotes, subscription, screening, search.

    Runs inside the caller's transaction so that a post never exists without its quotes
    and screening; the content and the screening were prepared before any lock was taken, so
    this only writes. Notifying others is queued for after the commit.
    """
    post_content_sync(post=post, created=created, content=content)
    hooks.apply_screening(post=post, screening=screening, created=created)
    search.post_changed(post=post)
    if not is_replaying_history():
        # Notifications (and their push) are written by a worker once this commits.
        enqueue(forum_tasks.post_notify, post.pk, created)


# What a moderator's action on a post or a thread records of it, before and after.
AUDITED_FIELDS: dict[type, tuple[str, ...]] = {
    Post: ("state", "state_changed_by", "edit_count"),
    Thread: ("title", "category", "is_locked", "is_pinned"),
}


def _snapshot(obj: Post | Thread, fields: tuple[str, ...] | None = None) -> dict:
    return snapshots.snapshot(obj, fields or AUDITED_FIELDS[type(obj)])


def _audit(*, actor: User, action: str, obj: Post | Thread, before: dict, fields=None) -> None:
    """Moderators' actions go to the audit sinks (forum.hooks; the moderation app's log),
    inside the action's transaction, so the admin, the pages and the API are all recorded
    whichever of them calls the service."""
    post = obj if isinstance(obj, Post) else None
    hooks.audit(
        actor=actor,
        action=action,
        post=post,
        target=obj,
        before=before,
        after=_snapshot(obj, fields),
    )


def _prepare(
    *, thread: Thread, author: User, body: str, number: int | None, earlier=None
) -> tuple[PreparedContent, hooks.Screening]:
    """The pure work of a write of a post's text, before any lock: parse, resolve quotes and
    mentions, render, screen. `number` None: a reply, numbered under the lock."""
    content = prepare_post_content(body=body, author=author, earlier=earlier)
    post = Post(thread=thread, author=author, source=body)
    if number is not None:
        post.number = number
    screening = hooks.prepare_screening(post=post)
    return content, screening


def _create_post(
    *,
    thread: Thread,
    author: User,
    content: PreparedContent,
    screening: hooks.Screening,
    created=None,
    counted: bool = False,
) -> Post:
    """Add a post to a thread whose row the caller holds locked. `counted`: the caller's lock
    already numbered the post, counted it in the thread and the author, and moved the
    author's read position and subscription (_lock_thread_for_post); otherwise this does."""
    now = created or timezone.now()
    number = thread.last_number if counted else thread.last_number + 1
    post = Post(
        thread=thread,
        number=number,
        author=author,
        source=content.body,
        html=content.html,
        created=now,
        called_out=content.called_out,
    )
    # The constraints are the database's (UNIQUE(thread, number) and the checks): asking it
    # before the INSERT would cost a query per constraint on every post.
    post.full_clean(exclude=["thread", "author"], validate_unique=False, validate_constraints=False)
    post.save()
    if not counted:
        thread.last_number = number
        thread.post_count = F("post_count") + 1
        thread.last_activity = max(thread.last_activity, now) if thread.pk else now
        thread.save(update_fields=["last_number", "post_count", "last_activity"])
        thread.refresh_from_db(fields=["post_count"])
        _count_author_post(author)
        _read_and_watch(author=author, thread=thread, number=number, now=now)
    pagecache.readers_changed([author.pk])  # the read position moved without a signal
    _after_post_write(post=post, created=True, content=content, screening=screening)
    post.changed = thread.changed = changes.touch(threads=[thread.pk], posts=[post.pk])
    return post


@transaction.atomic
def thread_create(*, author: User, category: Category, title: str, body: str) -> Thread:
    policy.check_start_thread(author)
    title = clean_title(title)
    body = clean_body(body)
    now = timezone.now()
    thread = Thread(category=category, title=title, author=author, created=now)
    content, screening = _prepare(thread=thread, author=author, body=body, number=1)
    _lock_author(author)
    refuse_repeat(author=author, body=body)
    thread = _new_thread(category=category, title=title, author=author, created=now)
    post = _create_post(
        thread=thread, author=author, content=content, screening=screening, created=now
    )
    events.thread_created(thread, post)
    return thread


def _new_thread(*, category: Category, title: str, author: User, created) -> Thread:
    thread = Thread(
        category=category,
        title=title,
        slug=_slug_for(title),
        author=author,
        created=created,
        last_activity=created,
    )
    thread.full_clean(exclude=["category", "author"])
    thread.save()
    Category.objects.filter(pk=category.pk).update(thread_count=F("thread_count") + 1)
    return thread


# History from another forum (forum.importers): an administrator's import, so no policy checks
# or posting caps; original authors and times, numbering, counters, quotes and screening as
# for any post. Run them inside forum.content.replaying_history() so nobody is notified.


@transaction.atomic
def thread_create_imported(*, category: Category, title: str, author: User, created) -> Thread:
    """A thread with no posts yet; add them with post_create_imported in the same
    transaction (until it commits nobody else sees the thread, so no row lock is needed)."""
    return _new_thread(category=category, title=clean_title(title), author=author, created=created)


@transaction.atomic
def post_create_imported(*, thread: Thread, author: User, body: str, created) -> Post:
    """The next post of a thread created by thread_create_imported in this transaction."""
    body = clean_body(body)
    content, screening = _prepare(
        thread=thread, author=author, body=body, number=thread.last_number + 1
    )
    return _create_post(
        thread=thread, author=author, content=content, screening=screening, created=created
    )


@transaction.atomic
def post_reply(*, author: User, thread: Thread, body: str) -> Post:
    body = clean_body(body)
    # Pure work first, with no lock held: parsing, quotes, mentions, rendering, screening.
    content, screening = _prepare(thread=thread, author=author, body=body, number=None)
    now = timezone.now()
    # Lock (numbering the post in the same statement), then check: the thread may have been
    # locked since the caller loaded it. A refusal raises, which rolls the count back.
    thread = _lock_thread_for_post(thread, author=author, now=now)
    policy.check_reply(author, thread)
    author.post_count += 1  # as the lock counted it, for whoever shows the author next
    refuse_repeat(author=author, body=body)
    post = _create_post(
        thread=thread,
        author=author,
        content=content,
        screening=screening,
        # The later of now and the thread's latest post (the UPDATE's GREATEST): a reply
        # that waited for the lock is never dated before the post numbered ahead of it.
        created=thread.last_activity,
        counted=True,
    )
    events.post_created(post)
    return post


@transaction.atomic
def post_edit(*, editor: User, post: Post, body: str) -> Post:
    body = clean_body(body)

    def prepare(post: Post):
        return _prepare(
            thread=post.thread,
            author=post.author,
            body=body,
            number=post.number,
            earlier=post.called_out,
        )

    prepared = prepare(post)
    called_before = post.called_out
    post = Post.objects.select_for_update().select_related("thread").get(pk=post.pk)
    policy.check_edit_post(editor, post)
    if body == post.source:
        return post
    if post.called_out != called_before:  # edited meanwhile: the cap counts the latest version
        prepared = prepare(post)
    content, screening = prepared
    post.called_out = content.called_out
    before = _snapshot(post, ("source", "edit_count"))
    # The version being replaced becomes a revision; revision 1 is the original text.
    PostRevision.objects.create(
        post=post,
        number=post.edit_count + 1,
        source=post.source,
        html=post.html,
        editor_id=post.edited_by_id or post.author_id,
        created=post.edited or post.created,
    )
    post.source = body
    post.html = content.html
    post.edited = timezone.now()
    post.edited_by = editor
    post.edit_count += 1
    post.save(update_fields=["source", "html", "edited", "edited_by", "edit_count", "called_out"])
    _after_post_write(post=post, created=False, content=content, screening=screening)
    # Posts quoting this one show it as edited since; a thread list shows its first post's
    # excerpt.
    changes.touch(
        posts=[post.pk], quoting=[post.pk], threads=[post.thread_id] if post.number == 1 else []
    )
    events.post_edited(post)
    if editor.pk != post.author_id:
        _audit(
            actor=editor,
            action="post.edit",
            obj=post,
            before=before,
            fields=("source", "edit_count"),
        )
    return post


def _set_state(*, post: Post, actor: User, state: str) -> Post:
    """Move a locked post between states, keeping both visible-post counters exact."""
    was_visible = post.state == Post.State.VISIBLE
    post.state = state
    post.state_changed = timezone.now()
    post.state_changed_by = actor
    post.save(update_fields=["state", "state_changed", "state_changed_by"])
    now_visible = state == Post.State.VISIBLE
    if was_visible != now_visible:
        delta = 1 if now_visible else -1
        Thread.objects.filter(pk=post.thread_id).update(post_count=F("post_count") + delta)
        User.objects.filter(pk=post.author_id).update(post_count=F("post_count") + delta)
        # Hidden and deleted posts leave the search index; restored ones come back.
        search.post_changed(post=post)
    # The thread's counts change, and quotes of the post show its new state.
    changes.touch(threads=[post.thread_id], posts=[post.pk], quoting=[post.pk])
    return post


def _lock_post(post: Post) -> Post:
    # Thread first, then post: the same order as post_reply, so the two never deadlock.
    _lock_thread(post.thread)
    return Post.objects.select_for_update().select_related("thread").get(pk=post.pk)


@transaction.atomic
def post_delete(*, actor: User, post: Post) -> Post:
    """Soft delete by the author: the text is kept, readers see that it was deleted."""
    post = _lock_post(post)
    policy.check_delete_post(actor, post)
    return _set_state(post=post, actor=actor, state=Post.State.DELETED)


@transaction.atomic
def post_undelete(*, actor: User, post: Post) -> Post:
    """The author takes back their own deletion: the post is visible again, counters follow."""
    post = _lock_post(post)
    policy.check_undelete_post(actor, post)
    return _set_state(post=post, actor=actor, state=Post.State.VISIBLE)


@transaction.atomic
def post_hide(*, actor: User, post: Post) -> Post:
    policy.check_moderator(actor, "Only moderators can hide posts.")
    post = _lock_post(post)
    if post.state == Post.State.HIDDEN:
        return post
    before = _snapshot(post)
    post = _set_state(post=post, actor=actor, state=Post.State.HIDDEN)
    _audit(actor=actor, action="post.hide", obj=post, before=before)
    events.post_hidden(post, by=actor)
    return post


@transaction.atomic
def post_restore(*, actor: User, post: Post) -> Post:
    policy.check_moderator(actor, "Only moderators can restore posts.")
    post = _lock_post(post)
    if post.state == Post.State.VISIBLE:
        return post
    before = _snapshot(post)
    post = _set_state(post=post, actor=actor, state=Post.State.VISIBLE)
    _audit(actor=actor, action="post.restore", obj=post, before=before)
    return post


def _moderated_thread_update(*, actor: User, thread: Thread, action: str, **fields) -> Thread:
    """Apply a moderator's change to a thread and audit it; a change that changes nothing
    (locking a locked thread) is neither written nor recorded."""
    policy.check_moderator(actor)
    thread = _lock_thread(thread)
    if all(getattr(thread, field) == value for field, value in fields.items()):
        return thread
    before = _snapshot(thread)
    moved_from = thread.category_id
    for field, value in fields.items():
        setattr(thread, field, value)
    thread.save(update_fields=list(fields))
    if "category" in fields and thread.category_id != moved_from:
        Category.objects.filter(pk=moved_from).update(thread_count=F("thread_count") - 1)
        Category.objects.filter(pk=thread.category_id).update(thread_count=F("thread_count") + 1)
        search.thread_changed(thread=thread)
    _audit(actor=actor, action=action, obj=thread, before=before)
    # Locking changes what a reader may do with each post (reply, quote): they change too.
    changes.touch(threads=[thread.pk], posts_of=[thread.pk] if "is_locked" in fields else [])
    return thread


@transaction.atomic
def thread_lock(*, actor: User, thread: Thread, locked: bool = True) -> Thread:
    action = "thread.lock" if locked else "thread.unlock"
    return _moderated_thread_update(actor=actor, thread=thread, action=action, is_locked=locked)


@transaction.atomic
def thread_pin(*, actor: User, thread: Thread, pinned: bool = True) -> Thread:
    action = "thread.pin" if pinned else "thread.unpin"
    return _moderated_thread_update(actor=actor, thread=thread, action=action, is_pinned=pinned)


@transaction.atomic
def thread_move(*, actor: User, thread: Thread, category: Category) -> Thread:
    return _moderated_thread_update(
        actor=actor, thread=thread, action="thread.move", category=category
    )


@transaction.atomic
def thread_edit_title(*, actor: User, thread: Thread, title: str) -> Thread:
    title = clean_title(title)
    thread = _lock_thread(thread)
    policy.check_edit_thread_title(actor, thread)
    before = _snapshot(thread)
    renamed = title != thread.title
    thread.title = title
    thread.slug = _slug_for(title)
    thread.save(update_fields=["title", "slug"])
    search.thread_changed(thread=thread)
    if renamed:
        # The title is read with the first post, so a new title is screened like an edit.
        hooks.screen_thread_title(thread=thread)
    if actor.pk != thread.author_id:
        _audit(actor=actor, action="thread.rename", obj=thread, before=before)
    changes.touch(threads=[thread.pk])
    return thread


# Reader state: subscriptions, read positions, notifications. Members only; each write
# touches the viewer's own rows and nothing else.


def _set_subscription(*, user: User, thread: Thread, level: str | None) -> None:
    policy.check(policy.can_follow(user), "You must be signed in to follow a thread.")
    if level is None:
        Subscription.objects.filter(user=user, thread=thread).delete()
        return
    Subscription.objects.update_or_create(user=user, thread=thread, defaults={"level": level})


@transaction.atomic
def thread_subscribe(*, user: User, thread: Thread) -> None:
    """Watch the thread: every reply notifies the member (a mute is lifted)."""
    _set_subscription(user=user, thread=thread, level=Subscription.Level.WATCHING)


@transaction.atomic
def thread_mute(*, user: User, thread: Thread) -> None:
    """Nothing in the thread notifies the member: replies, quotes and mentions alike."""
    _set_subscription(user=user, thread=thread, level=Subscription.Level.MUTED)


@transaction.atomic
def thread_unsubscribe(*, user: User, thread: Thread) -> None:
    """Neither watching nor muted: only quotes and mentions notify the member."""
    _set_subscription(user=user, thread=thread, level=None)


@transaction.atomic
def thread_mark_read(*, user: User, thread: Thread, number: int) -> int:
    """Set how far the member has read the thread (clamped to its posts); returns the
    position stored. Moving it back marks later posts unread again."""
    policy.check(policy.can_follow(user), "You must be signed in to keep a read position.")
    number = max(0, min(int(number), thread.last_number))
    ReadMarker.objects.update_or_create(
        user=user,
        thread=thread,
        defaults={"last_read_number": number, "updated": timezone.now()},
    )
    return number


def _read_advance(*, user: User, thread: Thread, number: int) -> None:
    """Move the read position forward to `number`, never back (two tabs, an old page)."""
    moved = ReadMarker.objects.filter(user=user, thread=thread, last_read_number__lt=number).update(
        last_read_number=number, updated=timezone.now()
    )
    if moved:
        pagecache.readers_changed([user.pk])  # an UPDATE sends no signal
    else:
        ReadMarker.objects.get_or_create(
            user=user, thread=thread, defaults={"last_read_number": number}
        )


def thread_read_through(
    *, user: User, thread: Thread, number: int, current: int | EllipsisType | None = ...
) -> None:
    """The member has seen the thread's posts up to `number` (a page they opened): move the
    read position forward. `current` is their position as read with the thread
    (selectors.thread_for_reader; None: never opened; left out: read it): a page that
    does not move it writes nothing. No transaction: each statement is atomic alone, and the
    conditional UPDATE never moves a position back whatever runs beside it."""
    policy.check_member(user, "You must be signed in to keep a read position.")
    number = max(0, min(int(number), thread.last_number))
    if current is ... or current is None or current < number:
        _read_advance(user=user, thread=thread, number=number)


def notifications_mark_read(
    *, user: User, ids: list[int] | None = None, post_ids: list[int] | None = None
) -> int:
    """Mark the member's own notifications read: those with the given `ids`, or those about
    the given `post_ids` (posts they have just seen), or all of them when both are None.
    Returns how many changed. Ids of other members' notifications are ignored. One UPDATE,
    atomic alone: no transaction of its own (a thread page calls it on every view)."""
    policy.check_member(user)
    unread = Notification.objects.filter(recipient=user, read__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    if post_ids is not None:
        unread = unread.filter(post_id__in=post_ids)
    changed = unread.update(read=timezone.now())
    if changed:
        pagecache.readers_changed([user.pk])  # an UPDATE sends no signal
    return changed


# Reactions, blocks and bookmarks: members' own rows. A reaction changes what every reader sees
# of the post (its counts), so it moves the post's change key; blocks and bookmarks are private.


def _clean_reaction_kind(kind: object) -> str:
    if kind not in Reaction.Kind.values:
        raise ValidationError({"kind": [f"Choose one of {', '.join(Reaction.Kind.values)}."]})
    return str(kind)


@transaction.atomic
def post_react(*, user: User, post: Post, kind: str, active: bool = True) -> tuple[Post, bool]:
    """Add (`active`) or take back the member's reaction of `kind` to the post; returns the
    post with its new counts and whether anything changed. Idempotent: reacting twice, or
    taking back a reaction that is not there, changes nothing.

    The post's row lock orders one post's reactions, so its counts are exact; UNIQUE(post,
    user, kind) backs the "once per kind" rule. A new reaction notifies the author once the
    transaction commits (reaction_notify, batched into one notification per post)."""
    kind = _clean_reaction_kind(kind)
    post = Post.objects.select_for_update().select_related("thread").get(pk=post.pk)
    policy.check_react(user, post)
    mine = Reaction.objects.filter(post=post, user=user, kind=kind)
    if active:
        _, changed = Reaction.objects.get_or_create(post=post, user=user, kind=kind)
    else:
        changed = mine.delete()[0] > 0
    if not changed:
        return post, False
    counts = dict(post.reaction_counts or {})
    counts[kind] = Reaction.objects.filter(post=post, kind=kind).count()
    post.reaction_counts = {k: n for k, n in counts.items() if n}
    # A saved post moves the page cache's version (forum.pagecache): anonymous pages show counts.
    post.save(update_fields=["reaction_counts"])
    changes.touch(posts=[post.pk])
    if active:
        enqueue(forum_tasks.reaction_notify, post.pk)
    return post, True


@transaction.atomic
def member_block(*, user: User, member: User) -> Block:
    """Block (ignore) `member`: idempotent. Staff cannot be blocked, nor oneself."""
    policy.check_block(user, member)
    block, _ = Block.objects.get_or_create(user=user, blocked=member)
    return block


@transaction.atomic
def member_unblock(*, user: User, member: User) -> bool:
    """Take a block back; True if there was one."""
    policy.check_member(user, "You must be signed in to block a member.")
    return Block.objects.filter(user=user, blocked=member).delete()[0] > 0


@transaction.atomic
def bookmark_add(*, user: User, thread: Thread, post: Post | None = None) -> tuple[Bookmark, bool]:
    """Bookmark a post of the thread, or the thread as a whole (`post` None); idempotent.
    Returns the bookmark and whether it is new."""
    policy.check_member(user, "You must be signed in to keep bookmarks.")
    if post is not None:
        if post.thread_id != thread.pk:
            raise ValidationError({"post": ["This post is not in this thread."]})
        policy.check_bookmark(user, post)
    return Bookmark.objects.get_or_create(user=user, thread=thread, post=post)


@transaction.atomic
def bookmark_remove(*, user: User, thread: Thread, post: Post | None = None) -> bool:
    policy.check_member(user, "You must be signed in to keep bookmarks.")
    return Bookmark.objects.filter(user=user, thread=thread, post=post).delete()[0] > 0
