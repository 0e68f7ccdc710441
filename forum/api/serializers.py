"""What the API shows and accepts. Serializers here hold no business rules: input serializers
declare the few fields a client may send (everything else is ignored), output serializers show
what forum.policy says the viewer may see and do."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import MemberChangeSerializer, UserSummarySerializer
from core.api.fields import JSONBooleanField, JSONIntegerField, QueryIntegerField, TextField
from forum import hooks, policy, quotes, selectors
from forum.markup import plain_excerpt
from forum.models import (
    Block,
    Bookmark,
    Category,
    Notification,
    Post,
    PostRevision,
    Reaction,
    Thread,
)

# Generous bounds on raw input, so absurd payloads stop at the serializer; the services apply
# the real limits with their own wording.
BODY_INPUT_MAX = settings.STOA["POST_MAX_LENGTH"] * 2
TITLE_INPUT_MAX = settings.STOA["TITLE_MAX_LENGTH"] * 4


CHANGED_HELP = (
    "Change key of the last write that changed this payload (for every viewer); grows in "
    "commit order. The order of GET /api/v1/changes/."
)


EXCERPT_HELP = (
    "Plain text for a one-line preview: no HTML, quoted posts left out, at most "
    f"{selectors.EXCERPT_LENGTH} characters (cut with an ellipsis)."
)
NOTICE_SEVERITY_HELP = (
    "The strongest notice (advice or urgent) on {what} that the viewer may read; null when none."
)


def excerpt_of(html: str | None) -> str | None:
    return plain_excerpt(html, selectors.EXCERPT_LENGTH) if html is not None else None


def _viewer(serializer: serializers.Serializer):
    request = serializer.context.get("request")
    return request.user if request is not None else None


class CategorySerializer(serializers.ModelSerializer):
    thread_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "description", "position", "thread_count"]
        read_only_fields = fields


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]
        read_only_fields = fields


class ThreadPermissionsSerializer(serializers.Serializer):
    can_reply = serializers.BooleanField()
    can_edit_title = serializers.BooleanField()
    can_moderate = serializers.BooleanField()


class ThreadSerializer(serializers.ModelSerializer):
    category = CategoryRefSerializer(read_only=True)
    author = UserSummarySerializer(read_only=True)
    unread_count = serializers.SerializerMethodField()
    last_read_number = serializers.SerializerMethodField()
    is_subscribed = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()
    excerpt = serializers.SerializerMethodField()
    has_notice = serializers.SerializerMethodField()
    notice_severity = serializers.SerializerMethodField()

    class Meta:
        model = Thread
        fields = [
            "id",
            "category",
            "title",
            "slug",
            "author",
            "created",
            "last_activity",
            "post_count",
            "last_number",
            "is_pinned",
            "is_locked",
            "unread_count",
            "last_read_number",
            "is_subscribed",
            "permissions",
            "excerpt",
            "has_notice",
            "notice_severity",
            "changed",
        ]
        read_only_fields = fields
        extra_kwargs = {"changed": {"help_text": CHANGED_HELP}}

    @extend_schema_field(
        serializers.CharField(
            allow_null=True,
            help_text="The first post's text. " + EXCERPT_HELP + " Null when the viewer may "
            "not read the first post.",
        )
    )
    def get_excerpt(self, thread: Thread) -> str | None:
        # Annotated by forum.selectors.with_previews.
        return excerpt_of(getattr(thread, "first_post_html", None))

    @extend_schema_field(
        serializers.BooleanField(help_text="A post of the thread carries a notice.")
    )
    def get_has_notice(self, thread: Thread) -> bool:
        return getattr(thread, "notice_severity", None) is not None

    @extend_schema_field(
        serializers.CharField(
            allow_null=True, help_text=NOTICE_SEVERITY_HELP.format(what="the thread's posts")
        )
    )
    def get_notice_severity(self, thread: Thread) -> str | None:
        return getattr(thread, "notice_severity", None)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_unread_count(self, thread: Thread) -> int | None:
        # Annotated by forum.selectors.thread_list for members; null for anonymous readers.
        return getattr(thread, "unread_count", None)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_last_read_number(self, thread: Thread) -> int | None:
        value = getattr(thread, "read_number", None)
        if value is None and getattr(thread, "unread_count", None) is not None:
            return 0
        return value

    def get_is_subscribed(self, thread: Thread) -> bool:
        return bool(getattr(thread, "is_subscribed", False))

    @extend_schema_field(ThreadPermissionsSerializer)
    def get_permissions(self, thread: Thread) -> dict:
        return policy.thread_capabilities(_viewer(self), thread).actions()


class ThreadCreateSerializer(serializers.Serializer):
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
    title = TextField(max_length=TITLE_INPUT_MAX)
    body = TextField(max_length=BODY_INPUT_MAX, trim_whitespace=False)


class ThreadUpdateSerializer(serializers.Serializer):
    title = TextField(max_length=TITLE_INPUT_MAX)


class ThreadLockSerializer(serializers.Serializer):
    locked = JSONBooleanField()


class ThreadPinSerializer(serializers.Serializer):
    pinned = JSONBooleanField()


class ThreadMoveSerializer(serializers.Serializer):
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all())


class ReadPositionSerializer(serializers.Serializer):
    number = JSONIntegerField(min_value=0, max_value=2_147_483_647)


class ReadPositionResultSerializer(serializers.Serializer):
    thread = serializers.IntegerField()
    last_read_number = serializers.IntegerField()
    unread_count = serializers.IntegerField()


class SubscriptionSerializer(serializers.Serializer):
    thread = serializers.IntegerField()
    is_subscribed = serializers.BooleanField(help_text="Watching: every reply notifies.")
    level = serializers.ChoiceField(
        choices=["watching", "muted", "normal"],
        help_text="muted: nothing in the thread notifies, not even a quote or a mention; "
        "normal: only quotes and mentions do.",
    )


class SubscriptionRequestSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["watching", "muted"], default="watching")


class QuoteStateSerializer(serializers.Serializer):
    source_post = serializers.IntegerField(allow_null=True)
    author = serializers.CharField()
    state = serializers.ChoiceField(choices=["live", "edited", "removed", "unverified"])


class PostNoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    severity = serializers.CharField()
    text = serializers.CharField()
    crisis_line = serializers.CharField(
        allow_null=True,
        help_text="With urgent notices: the deployment's crisis line, shown with the notice.",
    )


class PostPermissionsSerializer(serializers.Serializer):
    can_edit = serializers.BooleanField()
    can_delete = serializers.BooleanField()
    can_quote = serializers.BooleanField()
    can_report = serializers.BooleanField()
    can_view_revisions = serializers.BooleanField()
    can_hide = serializers.BooleanField()
    can_restore = serializers.BooleanField()
    can_add_notice = serializers.BooleanField()
    can_react = serializers.BooleanField()
    can_bookmark = serializers.BooleanField()


class ReactionCountSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Reaction.Kind.choices)
    count = serializers.IntegerField(min_value=0)
    reacted = serializers.BooleanField(help_text="The viewer reacted so.")


VIEW_HELP = (
    "`readable`: the post with its author, text and time; `placeholder`: a post the viewer may "
    "not read (hidden, deleted), which keeps its place and shows only its number and state. "
    "Not `state`: moderators read hidden and deleted posts."
)


class PostSerializer(serializers.Serializer):
    """A post as one viewer may see it.

    Posts the viewer may not read (hidden, deleted; moderators read all) keep their place in
    the thread as a placeholder: id, thread, number and state, every other field null. The
    Markdown source (`body`) goes only to viewers who may edit the post: it holds quoted text
    verbatim, while `html` and `quotes` are checked against the quoted posts at render time.
    The schema describes the two as `ReadablePost` and `PlaceholderPost`, told apart by
    `view` (forum.api.schema).
    """

    id = serializers.IntegerField()
    thread = serializers.IntegerField(source="thread_id")
    number = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Post.State.choices)
    view: serializers.Field = serializers.CharField(help_text=VIEW_HELP)
    is_placeholder = serializers.BooleanField()
    author = UserSummarySerializer(allow_null=True)
    body = serializers.CharField(allow_null=True)
    html = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField(allow_null=True)
    edited = serializers.DateTimeField(allow_null=True)
    edit_count = serializers.IntegerField(allow_null=True)
    quotes = QuoteStateSerializer(many=True, allow_null=True)
    notices = PostNoticeSerializer(many=True, allow_null=True)
    reactions = ReactionCountSerializer(
        many=True, allow_null=True, help_text="Every reaction kind, with its count."
    )
    author_blocked = serializers.BooleanField(
        allow_null=True,
        help_text="The viewer blocked the author: show the post collapsed. Null for placeholders.",
    )
    permissions = PostPermissionsSerializer()
    changed = serializers.IntegerField(help_text=CHANGED_HELP)

    def to_representation(self, post: Post) -> dict:
        user = _viewer(self)
        caps = policy.post_capabilities(user, post)
        perms = caps.actions()
        data = {
            "id": post.pk,
            "thread": post.thread_id,
            "number": post.number,
            "state": post.state,
            "view": "placeholder" if caps.is_placeholder else "readable",
            "is_placeholder": caps.is_placeholder,
            "author": None,
            "body": None,
            "html": None,
            "created": None,
            "edited": None,
            "edit_count": None,
            "quotes": None,
            "notices": None,
            "reactions": None,
            "author_blocked": None,
            "permissions": perms,
            "changed": post.changed,
        }
        if not caps.can_view:
            return data
        # The declared fields write the values, bound once for the whole list: a serializer
        # made per post built its fields each time, a fifth of the API's thread page (20 posts).
        date = self.fields["created"]
        notices = hooks.post_notices(post)
        data.update(
            {
                "author": self.fields["author"].to_representation(post.author)
                if caps.can_see_author
                else None,
                # What the editor may read of it: a quote of a post hidden since is cut out,
                # for the author too (the text was hidden for a reason).
                "body": quotes.readable_source(post, user) if perms["can_edit"] else None,
                "html": quotes.render_post_html(post, user),
                "created": date.to_representation(post.created),
                "edited": date.to_representation(post.edited) if post.edited else None,
                "edit_count": post.edit_count,
                "quotes": [
                    {
                        "source_post": q["source_post"],
                        "author": q["author"],
                        "state": q["state"],
                    }
                    for q in quotes.quote_states(post, user)
                ],
                "notices": [
                    {
                        "id": n.pk,
                        "kind": n.kind,
                        "severity": n.severity,
                        "text": n.text,
                        "crisis_line": (
                            settings.STOA["CRISIS_LINE"] or None if n.severity == "urgent" else None
                        ),
                    }
                    for n in notices
                ],
                "reactions": reaction_counts(post),
                "author_blocked": policy.author_is_blocked(user, post),
            }
        )
        return data


# The two shapes of a post, for the schema only (PostSerializer writes both): a readable post's
# author, text and time are never null, a placeholder's are (and the schema leaves them out).


class ReadablePostSerializer(PostSerializer):
    view = serializers.ChoiceField(choices=["readable"], help_text=VIEW_HELP)
    author = UserSummarySerializer()
    body = serializers.CharField(
        allow_null=True, help_text="The Markdown source: only for those who may edit the post."
    )
    html = serializers.CharField()
    created = serializers.DateTimeField()
    edit_count = serializers.IntegerField()
    quotes = QuoteStateSerializer(many=True)
    notices = PostNoticeSerializer(many=True)
    reactions = ReactionCountSerializer(many=True, help_text="Every reaction kind, with its count.")
    author_blocked = serializers.BooleanField(
        help_text="The viewer blocked the author: show the post collapsed."
    )


class PlaceholderPostSerializer(serializers.Serializer):
    """A post the viewer may not read. Its other fields (author, body, html, created, edited,
    edit_count, quotes, notices, reactions, author_blocked) are present and null."""

    id = serializers.IntegerField()
    thread = serializers.IntegerField()
    number = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Post.State.choices)
    view = serializers.ChoiceField(choices=["placeholder"], help_text=VIEW_HELP)
    is_placeholder = serializers.BooleanField()
    permissions = PostPermissionsSerializer()
    changed = serializers.IntegerField(help_text=CHANGED_HELP)


class PostPositionQuerySerializer(serializers.Serializer):
    """Where a page of a thread's posts opens: at a post, or at the viewer's first unread."""

    around = QueryIntegerField(
        required=False,
        min_value=1,
        max_value=2_147_483_647,
        help_text="Open the page that holds post number N (as the web's pages: page size "
        "`page_size`); past the last post, the last page.",
    )
    first_unread = serializers.BooleanField(
        required=False,
        help_text="true: open the page that holds the viewer's first unread post (the first "
        "post for a thread never opened or for anonymous readers, the last when all is read).",
    )

    def validate(self, attrs):
        if "around" in attrs and attrs.get("first_unread"):
            raise serializers.ValidationError(
                {"around": ["Give `around` or `first_unread`, not both."]}, code="invalid"
            )
        if self.initial_data.get("cursor") and ("around" in attrs or attrs.get("first_unread")):
            raise serializers.ValidationError(
                {"cursor": ["A cursor continues a page: leave `around` and `first_unread` out."]},
                code="invalid",
            )
        return attrs


def reaction_counts(post: Post) -> list[dict]:
    return [
        {"kind": r.kind, "count": r.count, "reacted": r.reacted}
        for r in selectors.post_reactions(post)
    ]


class ReactionRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Reaction.Kind.choices)


class ReactionStateSerializer(serializers.Serializer):
    post = serializers.IntegerField()
    reactions = ReactionCountSerializer(many=True)


class BlockRequestSerializer(serializers.Serializer):
    username = TextField(max_length=150)


class BlockSerializer(serializers.ModelSerializer):
    member = UserSummarySerializer(source="blocked", read_only=True)

    class Meta:
        model = Block
        fields = ["member", "created"]
        read_only_fields = fields


class BookmarkRequestSerializer(serializers.Serializer):
    post = JSONIntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Bookmark this post."
    )
    thread = JSONIntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Or this whole thread."
    )

    def validate(self, attrs):
        if ("post" in attrs) == ("thread" in attrs):
            raise serializers.ValidationError("Give `post` or `thread`, not both.")
        return attrs


class BookmarkSerializer(serializers.ModelSerializer):
    """A bookmark of a post (`post`, `number` and `author` set) or of a whole thread (null)."""

    thread = serializers.IntegerField(source="thread_id", read_only=True)
    thread_title = serializers.CharField(source="thread.title", read_only=True)
    post = serializers.IntegerField(source="post_id", read_only=True, allow_null=True)
    number = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()

    class Meta:
        model = Bookmark
        fields = ["id", "thread", "thread_title", "post", "number", "author", "created"]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_number(self, bookmark: Bookmark) -> int | None:
        return bookmark.post.number if bookmark.post is not None else None

    @extend_schema_field(UserSummarySerializer(allow_null=True))
    def get_author(self, bookmark: Bookmark) -> dict | None:
        if bookmark.post is None:
            return None
        return self._author.to_representation(bookmark.post.author)

    @cached_property
    def _author(self) -> UserSummarySerializer:
        # One for the list, not one per bookmark (each built its fields anew).
        return UserSummarySerializer(context=self.context)


class PostBodySerializer(serializers.Serializer):
    body = TextField(max_length=BODY_INPUT_MAX, trim_whitespace=False)


class PostRevisionSerializer(serializers.ModelSerializer):
    editor = UserSummarySerializer(read_only=True)
    body = serializers.SerializerMethodField()

    class Meta:
        model = PostRevision
        fields = ["number", "body", "editor", "created"]
        read_only_fields = fields

    def get_body(self, revision: PostRevision) -> str:
        return quotes.readable_text_of(revision.source, _viewer(self))


class QuoteMarkupSerializer(serializers.Serializer):
    markup = serializers.CharField()


class SearchResultSerializer(PostSerializer):
    thread_title = serializers.CharField()
    title_html = serializers.CharField(help_text="The thread's title, words found in <mark>.")
    snippet = serializers.CharField(
        help_text="Escaped excerpt of the post's own text (not what it quotes), words in <mark>."
    )
    excerpt = serializers.CharField(help_text="The post's text. " + EXCERPT_HELP)

    def to_representation(self, post: Post) -> dict:
        data = super().to_representation(post)
        data["thread_title"] = post.thread.title
        data["excerpt"] = excerpt_of(post.html)
        data["title_html"] = str(post.title_html)
        data["snippet"] = str(post.snippet)
        return data


class NotificationSerializer(serializers.ModelSerializer):
    """A notification; ``kind: moderation`` is a word from the moderators about the post (the
    outcome of the member's report): ``message`` holds it, and no moderator is named."""

    actor = UserSummarySerializer(read_only=True, allow_null=True)
    post = serializers.IntegerField(source="post_id", read_only=True)
    thread = serializers.IntegerField(source="post.thread_id", read_only=True)
    thread_title = serializers.CharField(source="post.thread.title", read_only=True)
    number = serializers.IntegerField(source="post.number", read_only=True)
    excerpt = serializers.SerializerMethodField()
    has_notice = serializers.SerializerMethodField()
    notice_severity = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "actor",
            "post",
            "thread",
            "thread_title",
            "number",
            "created",
            "read",
            "message",
            "excerpt",
            "has_notice",
            "notice_severity",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.CharField(
            allow_null=True,
            help_text="The post's text. " + EXCERPT_HELP + " Null when the viewer may no "
            "longer read the post (a word from the moderators about a post hidden since).",
        )
    )
    def get_excerpt(self, notification: Notification) -> str | None:
        if not policy.can_view_post(_viewer(self), notification.post):
            return None
        return excerpt_of(notification.post.html)

    @extend_schema_field(serializers.BooleanField(help_text="The post carries a notice."))
    def get_has_notice(self, notification: Notification) -> bool:
        return getattr(notification, "notice_severity", None) is not None

    @extend_schema_field(
        serializers.CharField(
            allow_null=True, help_text=NOTICE_SEVERITY_HELP.format(what="the post")
        )
    )
    def get_notice_severity(self, notification: Notification) -> str | None:
        # Annotated by forum.selectors.notifications_with_previews.
        return getattr(notification, "notice_severity", None)

    def to_representation(self, notification: Notification) -> dict:
        data = super().to_representation(notification)
        if notification.kind == Notification.Kind.MODERATION:
            data["actor"] = None
        return data


class NotificationsReadSerializer(serializers.Serializer):
    # Both fields are optional, so the body is: `{}` (or no body) marks nothing and answers the
    # unread count, which a client may use to refresh its badge. Refusing it would contradict
    # the schema, and treating it as "all" would let a client that lost its ids wipe them all.
    ids = serializers.ListField(
        child=JSONIntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=500,
        help_text="The viewer's notifications to mark read (others' ids are ignored).",
    )
    all = JSONBooleanField(
        required=False,
        default=False,
        help_text="`true` marks every notification read (then `ids` is not needed).",
    )


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class ChangeFeedQuerySerializer(serializers.Serializer):
    # The shape of FeedPosition.token(), with numbers that fit the keys' bigint columns. Not
    # trimmed: a cursor comes back as the feed gave it out, and the schema's pattern, anchored at
    # both ends, rules out white space around it (" 1.0.1" was trimmed into a cursor and a 200).
    after = serializers.CharField(
        required=False,
        max_length=64,
        trim_whitespace=False,
        validators=[
            RegexValidator(
                r"^[0-9]{1,18}\.[0-2]\.[0-9]{1,18}$",
                message="Not a cursor this feed gave out.",
                code="invalid_cursor",
            )
        ],
        help_text="`next_cursor` of the previous page; absent for everything from the start.",
    )
    thread = QueryIntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Only this thread's changes."
    )
    page_size = QueryIntegerField(required=False, min_value=1, max_value=500, default=100)

    def validate_after(self, value: str):
        from forum.selectors import FeedPosition

        try:
            return FeedPosition.parse(value)
        except ValueError:
            raise serializers.ValidationError(
                "Not a cursor this feed gave out.", code="invalid_cursor"
            ) from None


class ChangeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["thread", "post", "member"])
    id = serializers.IntegerField()
    thread = ThreadSerializer(allow_null=True, help_text="The thread now, when kind is thread.")
    post = PostSerializer(
        allow_null=True,
        help_text="The post now, when kind is post: a placeholder (tombstone) when the viewer "
        "may no longer read it.",
    )
    member = MemberChangeSerializer(
        allow_null=True,
        help_text="The member now, when kind is member (their display name, avatar or public "
        "profile changed): replace the `author` of every cached post and thread with this "
        "`username` by these summary fields.",
    )


class ChangeFeedSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    next_cursor = serializers.CharField(
        allow_null=True,
        help_text="Pass as `after` to continue; keep it to sync later. Null only when the "
        "forum has no threads yet and no `after` was given.",
    )
    has_more = serializers.BooleanField(help_text="More changes wait: ask again at once.")
