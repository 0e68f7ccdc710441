"""What a post's text sets off: quotes kept as data, mentions, subscriptions, notifications.

Services call `prepare_post_content` before they write or lock anything: it parses the body,
resolves its quotes and mentions, checks the caps on who a post may call out and renders the
HTML, once. `post_content_sync` then writes the quote rows inside the write transaction, from
that same preparation, once the post is saved.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, prefetch_related_objects
from django.utils import timezone

from accounts.models import User
from forum import pagecache, policy
from forum.markup import (
    MAX_MENTION_CANDIDATES,
    Analysis,
    analyse,
    mention_names,
    normalize_text,
    render_markdown,
    resolve_mentions,
)
from forum.models import Block, Notification, Post, Quote, Reaction, Subscription
from forum.quotes import readable_source

# Replaying another forum's history: posts get their quotes and screening, but nobody is
# notified of things that happened years ago.
_replaying = contextvars.ContextVar("stoa_replaying_history", default=False)


@contextlib.contextmanager
def replaying_history():
    token = _replaying.set(True)
    try:
        yield
    finally:
        _replaying.reset(token)


def _setting(name: str, default: int) -> int:
    return settings.STOA.get(name, default)


def callout_cap(author: User) -> int:
    """How many members one post may quote or mention: fewer for brand-new accounts, which
    is where mention spam comes from."""
    young = timezone.now() - author.date_joined < timedelta(hours=_setting("NEW_ACCOUNT_HOURS", 24))
    if young or author.post_count < _setting("NEW_ACCOUNT_POSTS", 5):
        return _setting("CALLOUT_CAP_NEW_ACCOUNT", 2)
    return _setting("CALLOUT_CAP", 10)


def _set_prefetched_quotes(post: Post, rows: list[Quote]) -> None:
    """Give `post` its quotes as prefetch_related("quotes") would (post.quotes.all() reads
    them without a query)."""
    cached = Quote.objects.filter(post=post) if post.pk else Quote.objects.none()
    cached._result_cache = rows
    cached._prefetch_done = True  # type: ignore[attr-defined]
    post._prefetched_objects_cache = {  # type: ignore[attr-defined]
        **getattr(post, "_prefetched_objects_cache", {}),
        "quotes": cached,
    }


def _sources(analysis: Analysis, author: User) -> dict[int, Post]:
    """The quoted posts, each with `blocks_author`: whether its author blocked `author`."""
    ids = {q.post_id for q in analysis.quotes if q.post_id is not None}
    if not ids:
        return {}
    # The sources' own quotes too: an excerpt is checked against the text the quoting author
    # may read of the source (forum.quotes.readable_source), not its raw source.
    blocks = Block.objects.filter(user_id=OuterRef("author_id"), blocked_id=author.pk)
    sources: dict[int, Post] = {
        p.pk: p
        for p in Post.objects.filter(pk__in=ids)
        .select_related("author", "thread")
        .annotate(blocks_author=Exists(blocks))
    }
    # Only a source whose text can hold a quote has Quote rows (readable_source reads none of
    # the others): the common source, plain text, costs no query for its quotes.
    may_quote = [p for p in sources.values() if "[" in p.source]
    for p in sources.values():
        if "[" not in p.source:
            _set_prefetched_quotes(p, [])
    prefetch_related_objects(may_quote, "quotes__source")
    return sources


def _quotes_of_author(quote, sources: dict[int, Post], author: User) -> Post | None:
    """The source of a quote if it really is by the member named, and readable by `author`."""
    source = sources.get(quote.post_id) if quote.post_id is not None else None
    if source is None or source.author.username.lower() != quote.username.lower():
        return None
    if not policy.can_view_post(author, source):
        return None
    return source


def _callouts(
    analysis: Analysis, author: User, sources: dict[int, Post], members: dict
) -> dict[int, str]:
    """Members the post calls out, by id, with the kind of notification they'd get.

    Only the author's own words count: quotes at depth 1 and mentions outside quotes. A quote
    nested inside a quote, or an @name inside quoted text, is someone else's call-out.
    `members` are the resolved mentions (resolve_mentions), `sources` the quoted posts.
    """
    kinds: dict[int, str] = {}
    for name in analysis.own_mentions[:MAX_MENTION_CANDIDATES]:
        if name in members:
            kinds[members[name].pk] = Notification.Kind.MENTION
    for quote in analysis.quotes:
        if quote.depth != 1:
            continue
        source = _quotes_of_author(quote, sources, author)
        if source is not None:
            kinds[source.author_id] = Notification.Kind.QUOTE
    kinds.pop(author.pk, None)
    return kinds


def _refuse_quotes_of_blockers(analysis: Analysis, author: User, sources: dict[int, Post]) -> None:
    """A member who blocked `author` may not be quoted by them (their own quotes, depth 1)."""
    quoted = {
        source.author_id: source.author
        for quote in analysis.quotes
        if quote.depth == 1 and (source := _quotes_of_author(quote, sources, author)) is not None
    }
    if not quoted:
        return
    # Read with the sources (_sources), so refusing costs no query of its own.
    blockers = {
        source.author_id
        for source in sources.values()
        if source.author_id in quoted and getattr(source, "blocks_author", False)
    }
    names = sorted(quoted[uid].username for uid in blockers)
    if names:
        raise ValidationError(
            {"body": [f"{', '.join(names)} blocked you: you cannot quote them."]},
            code="blocked",
        )


@dataclass(frozen=True)
class PreparedContent:
    """A body's pure work, done once before the write takes its locks: what it quotes and
    calls out, and its HTML. Valid for the author and text it was prepared for."""

    body: str
    analysis: Analysis
    sources: dict[int, Post]
    called_out: list[int]
    html: str


def prepare_post_content(
    *, body: str, author: User, earlier: list[int] | None = None
) -> PreparedContent:
    """Parse, resolve and render a body once, refusing (ValidationError) one that calls out
    too many members or is too complex to render. `body` is already cleaned (clean_body);
    `earlier` are the members an edited post called out before (Post.called_out).

    `called_out` is every member the post will have called out, in this version or any earlier
    one, for the caller to store in `Post.called_out`: the cap holds across edits. Two
    queries: the quoted posts (with whether their authors blocked `author`) and the mentioned
    members; two more when a quoted post quotes in turn (its quotes and their sources).
    """
    analysis = analyse(body)  # raises ValidationError for a markup bomb
    max_quotes = _setting("QUOTES_PER_POST_MAX", 50)
    if len(analysis.quotes) > max_quotes:
        raise ValidationError({"body": [f"A post can hold at most {max_quotes} quotes."]})
    rendered = mention_names(analysis)
    # One lookup for both the call-outs (the author's own mentions) and the links (every one).
    members = resolve_mentions(
        [*analysis.own_mentions[:MAX_MENTION_CANDIDATES], *rendered], limit=None
    )
    sources = _sources(analysis, author)
    _refuse_quotes_of_blockers(analysis, author, sources)
    kinds = _callouts(analysis, author, sources, members)
    before = set(earlier or ())
    everyone = before | set(kinds)
    cap = callout_cap(author)
    if len(everyone) > cap:
        if before:
            message = (
                f"A post can quote or mention at most {cap} members across all its versions "
                f"(with this edit it would have called out {len(everyone)})."
            )
        else:
            message = (
                f"A post can quote or mention at most {cap} members "
                f"(this one calls out {len(kinds)})."
            )
        raise ValidationError({"body": [message]})
    html = render_markdown(body, mention_users={n: members[n] for n in rendered if n in members})
    return PreparedContent(body, analysis, sources, sorted(everyone), html)


def _sync_quotes(
    *, post: Post, analysis: Analysis, sources: dict[int, Post], created: bool
) -> None:
    """Replace the post's Quote rows with those of its current text.

    A quote that survives an edit unchanged keeps what was recorded when it was first taken
    (the source's edit count and whether the excerpt matched then): re-checking it against
    today's source would turn an honest quote of since-edited text into an unverified one.
    """
    kept: dict[tuple, Quote] = {}
    if not created:  # a new post has no quote rows yet
        for old in post.quotes.all():
            kept.setdefault((old.source_id, old.username, old.excerpt), old)
        post.quotes.all().delete()
    rows = []
    for spec in analysis.quotes:
        source = sources.get(spec.post_id) if spec.post_id is not None else None
        previous = kept.get((source.pk if source else None, spec.username, spec.excerpt))
        if previous is not None:
            edit_count, verified = previous.source_edit_count, previous.verified
        else:
            edit_count = source.edit_count if source else 0
            # Against what the author may read of the source: checking the raw source would
            # let a forged quote probe the text of quotes removed from it ("verified" or not).
            readable = _quotes_of_author(spec, sources, post.author)
            verified = readable is not None and normalize_text(spec.excerpt) in normalize_text(
                readable_source(readable, post.author)
            )
        rows.append(
            Quote(
                post=post,
                source=source,
                source_edit_count=edit_count,
                username=spec.username[:150],
                excerpt=spec.excerpt,
                position=spec.position,
                verified=verified,
            )
        )
    Quote.objects.bulk_create(rows)
    # What post_queryset prefetches, so the write's answer need not read it back
    # (selectors.post_as_written); the sources carry their author and thread (_sources).
    _set_prefetched_quotes(post, sorted(rows, key=lambda row: row.position))


def is_replaying_history() -> bool:
    return _replaying.get()


def post_content_sync(*, post: Post, created: bool, content: PreparedContent) -> None:
    """Keep the derived data of a post in step with its text (prepared by
    prepare_post_content). Runs in the writer's transaction.

    (The author's subscription to the thread on creation is written with their read position,
    forum.services._create_post.) Notifying others is left to `post_notify`, which a worker
    runs after the commit: a reply in a thread with thousands of followers must not hold the
    thread's lock while their rows are written.
    """
    _sync_quotes(post=post, analysis=content.analysis, sources=content.sources, created=created)


# Rows per INSERT when notifying a thread's followers.
NOTIFY_BATCH = 1000


def post_recipients(*, post: Post, created: bool) -> dict[int, str]:
    """Who hears of this post, with the kind of notification: members it newly quotes or
    mentions and, for a reply, everyone following the thread; never its author."""
    analysis = analyse(post.source)
    kinds = _callouts(
        analysis,
        post.author,
        _sources(analysis, post.author),
        resolve_mentions(analysis.own_mentions),
    )
    if kinds:
        # A member who muted the thread hears nothing of it, not even a quote or a mention.
        muted = Subscription.objects.filter(
            thread_id=post.thread_id, level=Subscription.Level.MUTED, user_id__in=list(kinds)
        ).values_list("user_id", flat=True)
        for uid in muted:
            kinds.pop(uid, None)
    if created and post.number > 1:
        subscribers = (
            Subscription.objects.filter(thread_id=post.thread_id, level=Subscription.Level.WATCHING)
            .exclude(user_id=post.author_id)
            .values_list("user_id", flat=True)
        )
        for uid in subscribers.iterator(chunk_size=NOTIFY_BATCH):
            kinds.setdefault(uid, Notification.Kind.REPLY)
    kinds.pop(post.author_id, None)
    if kinds:
        # Nothing a member wrote reaches those who blocked them: no reply, quote or mention.
        blockers = Block.objects.filter(blocked_id=post.author_id).values_list("user_id", flat=True)
        for uid in blockers:
            kinds.pop(uid, None)
    return kinds


def post_notify(*, post: Post, created: bool) -> list[int]:
    """Write the notifications of a post and return the ids of the members newly notified.

    Safe to run twice (a worker redelivery): UNIQUE(recipient, post) makes it once per member
    per post, and members who already had one are not returned again. A post hidden or
    deleted before this runs notifies nobody.
    """
    if not post.is_visible:
        return []
    kinds = post_recipients(post=post, created=created)
    if not kinds:
        return []
    already = set(
        Notification.objects.filter(post=post, recipient_id__in=list(kinds))
        .exclude(kind=Notification.Kind.MODERATION)
        .values_list("recipient_id", flat=True)
    )
    rows = [
        Notification(recipient_id=uid, actor_id=post.author_id, post=post, kind=kind)
        for uid, kind in kinds.items()
        if uid not in already
    ]
    Notification.objects.bulk_create(rows, batch_size=NOTIFY_BATCH, ignore_conflicts=True)
    recipients = [row.recipient_id for row in rows]
    pagecache.readers_changed(recipients)  # bulk_create sends no signal
    return recipients


# A reacted-to post raises its (one) notification again at most this often: a popular post
# must not buzz its author with every like.
REACTION_RENOTIFY = timedelta(hours=1)


def _reaction_message(name: str, others: int) -> str:
    if not others:
        return f"{name} reacted to your post."
    return f"{name} and {others} other member{'s' if others != 1 else ''} reacted to your post."


@transaction.atomic
def reaction_notify(*, post_id: int) -> Notification | None:
    """Bring the author's one notification about reactions to their post up to date: who
    reacted last, how many members have. Members the author blocked do not count and never
    notify; nothing comes from a thread the author muted or from a post no longer visible.
    A read notification comes back as unread at most once per REACTION_RENOTIFY. Safe to run
    twice (a worker redelivery): it recomputes the same row."""
    post = Post.objects.filter(pk=post_id, state=Post.State.VISIBLE).first()
    if post is None:
        return None
    if Subscription.objects.filter(
        user_id=post.author_id, thread_id=post.thread_id, level=Subscription.Level.MUTED
    ).exists():
        return None
    blocked = Block.objects.filter(user_id=post.author_id).values("blocked_id")
    reactions = Reaction.objects.filter(post=post).exclude(user_id__in=blocked)
    latest = reactions.select_related("user").order_by("-created", "-id").first()
    if latest is None:
        return None
    members = reactions.values("user_id").distinct().count()
    message = _reaction_message(latest.user.name, members - 1)
    now = timezone.now()
    notification = (
        Notification.objects.select_for_update()
        .filter(recipient_id=post.author_id, post=post, kind=Notification.Kind.REACTION)
        .first()
    )
    if notification is None:
        notification, _ = Notification.objects.get_or_create(
            recipient_id=post.author_id,
            post=post,
            kind=Notification.Kind.REACTION,
            defaults={"actor": latest.user, "message": message, "created": now},
        )
        return notification
    notification.actor = latest.user
    notification.message = message
    fields = ["actor", "message"]
    if notification.read is not None and notification.created <= now - REACTION_RENOTIFY:
        notification.read = None
        notification.created = now
        fields += ["read", "created"]
    notification.save(update_fields=fields)
    return notification
