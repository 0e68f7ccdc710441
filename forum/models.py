from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from integrations.models import BatchJob


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first.")
    # Kept by forum.services (thread_create, thread_move) under F() updates, so the index
    # never counts threads; `manage.py recount` checks it.
    thread_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("forum:category", kwargs={"slug": self.slug})


class Thread(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="threads")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, allow_unicode=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads"
    )
    created = models.DateTimeField(default=timezone.now)
    last_activity = models.DateTimeField(default=timezone.now)
    # Visible posts only: what readers count. Hidden and deleted posts keep their numbers.
    post_count = models.PositiveIntegerField(default=0)
    # The highest number handed out so far; never goes down, so numbers are never reused.
    last_number = models.PositiveIntegerField(default=0)
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False)
    # The change key of the last write that changed what a reader sees of the thread
    # (forum.changes): the sync feed lists threads and posts in this order.
    changed = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-is_pinned", "-last_activity", "-id"]
        indexes = [
            models.Index(fields=["changed", "id"], name="forum_thread_changed_idx"),
            models.Index(
                fields=["category", "-is_pinned", "-last_activity", "-id"],
                name="forum_thread_listing_idx",
            ),
            # The index page's and the API's list of every thread, pinned first.
            models.Index(
                fields=["-is_pinned", "-last_activity", "-id"], name="forum_thread_front_idx"
            ),
            models.Index(fields=["-last_activity", "-id"], name="forum_thread_activity_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forum:thread", kwargs={"pk": self.pk, "slug": self.slug})


class Post(models.Model):
    class State(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HIDDEN = "hidden", "Hidden by a moderator"
        DELETED = "deleted", "Deleted by its author"

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="posts")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    source = models.TextField(help_text="Markdown source as the author wrote it.")
    html = models.TextField(help_text="Sanitised HTML rendered from the source at write time.")
    created = models.DateTimeField(default=timezone.now)
    edited = models.DateTimeField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    edit_count = models.PositiveIntegerField(default=0)
    # Ids of the members any version of this post has quoted or mentioned: the callout cap
    # counts them all, so editing in new names cannot notify more members than one post may.
    called_out = models.JSONField(default=list, blank=True, editable=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.VISIBLE)
    state_changed = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # As Thread.changed: bumped by edits, state changes, notices and changes of quoted posts.
    changed = models.BigIntegerField(default=0, editable=False)
    # Members' reactions by kind ({"like": 3}), kept by forum.services.post_react under the
    # post's row lock: pages and the API show counts without counting rows.
    reaction_counts = models.JSONField(default=dict, blank=True, editable=False)

    # Not columns: set on search results by selectors.search_posts (the thread's title and an
    # excerpt, words found in <mark>); declared for the type checker.
    title_html: str
    snippet: str
    # Set on a page's posts by forum.fragments.prepare (what the viewer may do, the cached HTML).
    viewer_caps: Any
    fragment: str | None
    fragment_key: str | None

    class Meta:
        ordering = ["thread_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["thread", "number"], name="forum_post_thread_number"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="forum_post_number_gte_1"
            ),
        ]
        indexes = [
            models.Index(fields=["author", "-created"], name="forum_post_author_idx"),
            models.Index(fields=["-created"], name="forum_post_created_idx"),
            models.Index(fields=["changed", "id"], name="forum_post_changed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.thread_id}#{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("forum:post", kwargs={"pk": self.pk})

    @property
    def is_visible(self) -> bool:
        return self.state == self.State.VISIBLE


class ChangeClock(models.Model):
    """One row: the last change key handed out (forum.changes.touch).

    Taking the next key locks this row until the transaction ends, so keys are handed out in
    commit order: once a reader has seen key n, no transaction can still commit a smaller one.
    A sequence would not do: a transaction that took key 5 may commit after one that took 6.
    """

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"change {self.value}"


class PostRevision(models.Model):
    """An earlier version of a post, kept on every edit. Revision 1 is the original text;
    `editor` wrote that version and `created` is when it was written."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    source = models.TextField()
    html = models.TextField()
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["post_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="forum_revision_post_number"),
        ]

    def __str__(self) -> str:
        return f"{self.post} r{self.number}"


class Quote(models.Model):
    """A quote of one post inside another, kept as data so it can be checked at render time."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="quotes")
    source = models.ForeignKey(
        Post, on_delete=models.PROTECT, null=True, blank=True, related_name="quoted_by"
    )
    # The source's edit_count when the quote was taken: a later edit means "edited since".
    source_edit_count = models.PositiveIntegerField(default=0)
    username = models.CharField(max_length=150)
    excerpt = models.TextField()
    position = models.PositiveIntegerField(default=0)
    # Computed when the quote was saved: the source existed, was readable by the quoting
    # author, was written by `username`, and its text then contained the excerpt. Readers see
    # a quote that fails this as unverified (a forged quote), without a query per quote.
    verified = models.BooleanField(default=False)

    class Meta:
        ordering = ["post_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["post", "position"], name="forum_quote_post_position"),
        ]

    def __str__(self) -> str:
        return f"{self.post} quotes {self.source_id}"


class ImportedThread(models.Model):
    """A thread brought in from another forum, keyed so that importing it again is a no-op."""

    key = models.CharField(max_length=64, unique=True, help_text="sha256 of source+title+start.")
    source = models.CharField(max_length=50)
    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="imported")
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.source}: {self.thread_id}"


class Subscription(models.Model):
    """A member's choice for one thread. Watching: every reply notifies them (posting in a
    thread starts watching it). Muted: nothing in the thread notifies them, not even a quote
    or a mention, and posting there again does not undo it. No row: only quotes and
    mentions notify."""

    class Level(models.TextChoices):
        WATCHING = "watching", "Watching"
        MUTED = "muted", "Muted"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="subscriptions")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.WATCHING)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "thread"], name="forum_subscription_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} -> {self.thread_id}"


class ReadMarker(models.Model):
    """How far a member has read a thread: every post numbered up to `last_read_number`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_markers"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_markers")
    last_read_number = models.PositiveIntegerField(default=0)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "thread"], name="forum_readmarker_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.thread_id} to {self.last_read_number}"


class Notification(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"
        QUOTE = "quote", "Quote"
        MENTION = "mention", "Mention"
        # Members reacted to the recipient's own post: one row per post, kept current
        # (actor: the latest; message: how many) by forum.services.reaction_notify.
        REACTION = "reaction", "Reaction"
        # From the moderators about the post (the outcome of the recipient's report): the
        # post's text is never shown with it, only `message`, since the post may be hidden.
        MODERATION = "moderation", "Moderation"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created = models.DateTimeField(default=timezone.now)
    read = models.DateTimeField(null=True, blank=True)
    # When it was sent to the member's devices (forum.tasks.notification_push); set once.
    pushed = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            # One notification per member per post, whatever mix of reply/quote/mention.
            models.UniqueConstraint(
                fields=["recipient", "post"],
                condition=~models.Q(kind="moderation"),
                name="forum_notification_once",
            ),
            # And at most one word from the moderators per member per post (the latest).
            models.UniqueConstraint(
                fields=["recipient", "post"],
                condition=models.Q(kind="moderation"),
                name="forum_notification_moderation_once",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read", "-created"], name="forum_notif_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} on {self.post_id}"


class SearchDocumentField(models.TextField):
    """A `tsvector` on PostgreSQL (weighted, stemmed, GIN-indexed); plain text elsewhere, where
    an FTS5 table or a LIKE scan reads it. Written only by forum.search, in SQL."""

    def db_type(self, connection) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


class PostSearch(models.Model):
    """What search finds: one row per visible post, written by forum.search in the same
    transaction as every write that changes what a reader finds.

    Hidden and deleted posts have no row, so they cannot match. The thread's category and the
    post's author and date are copied here so that filters and the date walk of a common word
    never join the post table.
    """

    post = models.OneToOneField(
        Post, on_delete=models.CASCADE, primary_key=True, related_name="search_row"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+", db_index=False)
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created = models.DateTimeField()
    document = SearchDocumentField()

    class Meta:
        indexes = [
            # The walk of the newest matches of a common word, with or without a filter.
            models.Index(fields=["-created", "-post"], name="forum_search_created_idx"),
            models.Index(fields=["thread", "-created"], name="forum_search_thread_idx"),
            models.Index(fields=["category", "-created"], name="forum_search_category_idx"),
            models.Index(fields=["author", "-created"], name="forum_search_author_idx"),
        ]

    def __str__(self) -> str:
        return f"search row of {self.post_id}"


class SearchReindexJob(BatchJob):
    """A rebuild of the search index on the workers, in batches of posts (forum.reindex)."""

    written = models.PositiveIntegerField(default=0, help_text="Search rows written.")

    class Meta(BatchJob.Meta):
        verbose_name = "search re-index"


class Reaction(models.Model):
    """One member's reaction of one kind to a post; UNIQUE(post, user, kind) makes a second
    one of the same kind impossible, so reacting again is a no-op."""

    class Kind(models.TextChoices):
        LIKE = "like", "Like"
        THANKS = "thanks", "Thanks"
        HELPFUL = "helpful", "Helpful"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user", "kind"], name="forum_reaction_once"),
        ]
        indexes = [models.Index(fields=["user", "-created"], name="forum_reaction_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.post_id}"


class Block(models.Model):
    """`user` blocked (ignores) `blocked`: their posts are collapsed for `user`, and nothing
    they write notifies `user` or quotes them. Never staff: forum.policy.can_block."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "blocked"], name="forum_block_once"),
            models.CheckConstraint(
                condition=~models.Q(user=models.F("blocked")), name="forum_block_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} blocks {self.blocked_id}"


class Bookmark(models.Model):
    """A member's bookmark of a post, or of a whole thread (post None)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="bookmarks")
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, null=True, blank=True, related_name="bookmarks"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "post"],
                condition=models.Q(post__isnull=False),
                name="forum_bookmark_post_once",
            ),
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=models.Q(post__isnull=True),
                name="forum_bookmark_thread_once",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created", "-id"], name="forum_bookmark_list_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} bookmarked {self.post_id or self.thread_id}"
