"""API views of the forum. Thin: parse input with a serializer, call a service from
forum/services.py, answer with the object as the viewer may see it. Errors from the services
(ValidationError -> 400, PermissionDenied -> 403) go through core.api.exceptions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, permissions, status
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from accounts.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from accounts.models import User
from accounts.requests import AuthenticatedRequest
from core import throttles
from core.api import pagination
from core.api.conditional import ConditionalGetMixin
from core.api.ratelimit import RateLimitHeadersMixin
from forum import policy, quotes, selectors, services
from forum.api import filters, serializers
from forum.forms import SEARCH_QUERY_MAX, SEARCH_QUERY_PATTERN, SearchForm
from forum.models import Block, Bookmark, Post, PostRevision, Reaction, Subscription, Thread
from forum.policy import AnyUser

EXCERPT_MAX = 5000


def thread_queryset(user: AnyUser) -> QuerySet[Thread]:
    """Threads with the viewer's read position, unread count and subscription in one query:
    the web's rule (forum.selectors.thread_list), and what a list shows of each (excerpt,
    notice)."""
    return selectors.with_previews(selectors.thread_list(user=user), user=user)


def _thread_response(request, thread: Thread, *, code=status.HTTP_200_OK) -> Response:
    thread = thread_queryset(request.user).get(pk=thread.pk)
    return Response(
        serializers.ThreadSerializer(thread, context={"request": request}).data, status=code
    )


@extend_schema_view(get=extend_schema(operation_id="categories_list"))
@extend_schema(summary="Categories, in their order")
class CategoryListView(ConditionalGetMixin, generics.ListAPIView):
    serializer_class = serializers.CategorySerializer
    pagination_class = None
    queryset = selectors.category_list()


@extend_schema_view(
    get=extend_schema(
        operation_id="threads_list",
        summary="List threads",
        responses=serializers.ThreadSerializer(many=True),
    ),
    post=extend_schema(
        operation_id="threads_create",
        summary="Start a thread",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=serializers.ThreadCreateSerializer,
        responses={201: serializers.ThreadSerializer},
    ),
)
class ThreadListView(RateLimitHeadersMixin, ConditionalGetMixin, generics.ListCreateAPIView):
    serializer_class = serializers.ThreadSerializer
    pagination_class = pagination.ThreadPagination
    filterset_class = filters.ThreadFilter

    def get_queryset(self):
        return thread_queryset(self.request.user)

    def get_throttles(self):
        if self.request.method == "POST":
            return [throttle() for throttle in throttles.POSTING]
        return super().get_throttles()

    @idempotent
    def create(self, request: AuthenticatedRequest, *args, **kwargs):
        data = serializers.ThreadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        thread = services.thread_create(
            author=request.user,
            category=data.validated_data["category"],
            title=data.validated_data["title"],
            body=data.validated_data["body"],
        )
        return _thread_response(request, thread, code=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(operation_id="threads_get", summary="A thread"),
    patch=extend_schema(
        operation_id="threads_rename",
        summary="Rename a thread (its author while open, or a moderator)",
        request=serializers.ThreadUpdateSerializer,
        responses=serializers.ThreadSerializer,
    ),
)
class ThreadDetailView(RateLimitHeadersMixin, ConditionalGetMixin, generics.RetrieveAPIView):
    serializer_class = serializers.ThreadSerializer

    def get_queryset(self):
        return thread_queryset(self.request.user)

    def get_throttles(self):
        if self.request.method == "PATCH":
            return [throttle() for throttle in throttles.EDITING]
        return super().get_throttles()

    def patch(self, request: AuthenticatedRequest, pk: int):
        thread = self.get_object()
        # Partial, as the schema says: an empty PATCH changes nothing (once allowed at all).
        data = serializers.ThreadUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if "title" in data.validated_data:
            services.thread_edit_title(
                actor=request.user, thread=thread, title=data.validated_data["title"]
            )
        else:
            policy.check_edit_thread_title(request.user, thread)
        return _thread_response(request, thread)


class _ThreadActionView(APIView):
    """A moderator's action on a thread: the service checks the permission."""

    input_serializer: type[serializers.serializers.Serializer]

    def apply(self, thread: Thread, data: dict) -> None:
        raise NotImplementedError

    def post(self, request: AuthenticatedRequest, pk: int):
        thread = get_object_or_404(Thread, pk=pk)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        self.apply(thread, data.validated_data)
        return _thread_response(request, thread)


@extend_schema_view(post=extend_schema(operation_id="threads_lock"))
@extend_schema(
    summary="Lock or unlock a thread (moderators)",
    request=serializers.ThreadLockSerializer,
    responses=serializers.ThreadSerializer,
)
class ThreadLockView(_ThreadActionView):
    input_serializer = serializers.ThreadLockSerializer

    def apply(self, thread, data):
        services.thread_lock(actor=self.request.user, thread=thread, locked=data["locked"])


@extend_schema_view(post=extend_schema(operation_id="threads_pin"))
@extend_schema(
    summary="Pin or unpin a thread (moderators)",
    request=serializers.ThreadPinSerializer,
    responses=serializers.ThreadSerializer,
)
class ThreadPinView(_ThreadActionView):
    input_serializer = serializers.ThreadPinSerializer

    def apply(self, thread, data):
        services.thread_pin(actor=self.request.user, thread=thread, pinned=data["pinned"])


@extend_schema_view(post=extend_schema(operation_id="threads_move"))
@extend_schema(
    summary="Move a thread to another category (moderators)",
    request=serializers.ThreadMoveSerializer,
    responses=serializers.ThreadSerializer,
)
class ThreadMoveView(_ThreadActionView):
    input_serializer = serializers.ThreadMoveSerializer

    def apply(self, thread, data):
        services.thread_move(actor=self.request.user, thread=thread, category=data["category"])


@extend_schema_view(post=extend_schema(operation_id="threads_mark_read"))
@extend_schema(
    summary="Set how far the viewer has read a thread",
    request=serializers.ReadPositionSerializer,
    responses=serializers.ReadPositionResultSerializer,
)
class ThreadReadView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request: AuthenticatedRequest, pk: int):
        thread = get_object_or_404(Thread, pk=pk)
        data = serializers.ReadPositionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        number = services.thread_mark_read(
            user=request.user, thread=thread, number=data.validated_data["number"]
        )
        unread = Post.objects.filter(
            thread=thread, state=Post.State.VISIBLE, number__gt=number
        ).count()
        return Response({"thread": thread.pk, "last_read_number": number, "unread_count": unread})


@extend_schema_view(
    post=extend_schema(
        operation_id="threads_follow",
        summary="Watch or mute a thread",
        request=serializers.SubscriptionRequestSerializer,
        responses=serializers.SubscriptionSerializer,
    ),
    delete=extend_schema(
        operation_id="threads_unfollow",
        summary="Neither watch nor mute a thread",
        responses={200: serializers.SubscriptionSerializer},
    ),
)
class ThreadSubscriptionView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request: AuthenticatedRequest, pk: int):
        thread = get_object_or_404(Thread, pk=pk)
        data = serializers.SubscriptionRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        level = data.validated_data["level"]
        if level == Subscription.Level.MUTED:
            services.thread_mute(user=request.user, thread=thread)
        else:
            services.thread_subscribe(user=request.user, thread=thread)
        return Response({"thread": thread.pk, "is_subscribed": level == "watching", "level": level})

    def delete(self, request: AuthenticatedRequest, pk: int):
        thread = get_object_or_404(Thread, pk=pk)
        services.thread_unsubscribe(user=request.user, thread=thread)
        return Response({"thread": thread.pk, "is_subscribed": False, "level": "normal"})


@extend_schema_view(
    get=extend_schema(
        operation_id="threads_posts",
        summary="Posts of a thread, in order",
        description="Posts the viewer may not read appear as placeholders in their place. "
        "`around=N` opens the page that holds post N and `first_unread=true` the page that "
        "holds the viewer's first unread post; `target_number` names that post, `previous` "
        "links the page before and `next` continues after.",
        parameters=[serializers.PostPositionQuerySerializer],
    ),
    post=extend_schema(
        operation_id="posts_reply",
        summary="Reply to a thread",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=serializers.PostBodySerializer,
        responses={201: serializers.PostSerializer},
    ),
)
class ThreadPostsView(RateLimitHeadersMixin, ConditionalGetMixin, generics.ListCreateAPIView):
    serializer_class = serializers.PostSerializer
    pagination_class = pagination.ThreadPostPagination
    filterset_class = filters.PostFilter

    def get_thread(self) -> Thread:
        if not hasattr(self, "_thread"):
            self._thread = get_object_or_404(Thread, pk=self.kwargs["pk"])
        return self._thread

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Post.objects.none()
        thread = self.get_thread()
        return selectors.thread_posts(thread=thread, user=self.request.user)

    def get_throttles(self):
        if self.request.method == "POST":
            return [throttle() for throttle in throttles.POSTING]
        return super().get_throttles()

    def list(self, request: Request, *args, **kwargs):
        thread = self.get_thread()
        posts = self.filter_queryset(self.get_queryset())
        # A plain dict: `?around=` must be a 400, not "absent".
        position = serializers.PostPositionQuerySerializer(data=request.query_params.dict())
        position.is_valid(raise_exception=True)
        target = position.validated_data.get("around")
        if position.validated_data.get("first_unread"):
            target = selectors.first_unread_number(thread=thread, user=request.user)
        if target is not None:
            posts = self._open_at(posts, thread=thread, target=target)
        page = self.paginate_queryset(posts) or []
        for post in page:
            # One thread object for the page: permission checks read post.thread.
            post.thread = thread
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _open_at(self, posts: QuerySet[Post], *, thread: Thread, target: int) -> QuerySet[Post]:
        """The posts from the start of the page that holds post `target` (the web's pages:
        numbers are gap-free, placeholders keep their place), and the link to the page
        before."""
        paginator = self.paginator
        assert isinstance(paginator, pagination.ThreadPostPagination)  # pagination_class
        size = paginator.get_page_size(self.request)
        target = max(1, min(target, thread.last_number))
        start = (target - 1) // size * size
        paginator.target_number = target
        if start:
            url = self.request.build_absolute_uri()
            url = remove_query_param(url, "first_unread")
            paginator.previous_url = replace_query_param(url, "around", start)
        return posts.filter(number__gt=start)

    @idempotent
    def create(self, request: AuthenticatedRequest, *args, **kwargs):
        thread = self.get_thread()
        data = serializers.PostBodySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post = services.post_reply(
            author=request.user, thread=thread, body=data.validated_data["body"]
        )
        written = selectors.post_as_written(request.user, post)
        if written is None:
            return post_response(request, post, code=status.HTTP_201_CREATED)
        return Response(
            serializers.PostSerializer(written, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


def get_readable_post(request, pk: int) -> Post:
    """A post the viewer may read (forum.policy); others are 404 whether they exist or not."""
    post = get_object_or_404(selectors.post_queryset(request.user), pk=pk)
    if not policy.can_view_post(request.user, post):
        raise NotFound()
    return post


def post_response(request, post: Post, *, code=status.HTTP_200_OK) -> Response:
    """The post as the viewer may see it, re-read with everything the serializer shows."""
    post = selectors.post_queryset(request.user).get(pk=post.pk)
    return Response(
        serializers.PostSerializer(post, context={"request": request}).data, status=code
    )


@extend_schema_view(
    get=extend_schema(operation_id="posts_get", summary="A post"),
    patch=extend_schema(
        operation_id="posts_edit",
        summary="Edit a post",
        request=serializers.PostBodySerializer,
        responses=serializers.PostSerializer,
    ),
    delete=extend_schema(
        operation_id="posts_delete",
        summary="Delete one's own post",
        responses={200: serializers.PostSerializer},
    ),
)
class PostDetailView(RateLimitHeadersMixin, ConditionalGetMixin, generics.GenericAPIView):
    serializer_class = serializers.PostSerializer

    def get_throttles(self):
        if self.request.method == "PATCH":
            return [throttle() for throttle in throttles.EDITING]
        return super().get_throttles()

    def get(self, request: Request, pk: int):
        # Placeholders of hidden and deleted posts are shown in thread lists; asked for
        # directly, they are a 404 like a post that never existed.
        return Response(self.get_serializer(get_readable_post(request, pk)).data)

    def patch(self, request: AuthenticatedRequest, pk: int):
        post = get_readable_post(request, pk)
        data = serializers.PostBodySerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if "body" not in data.validated_data:
            policy.check_edit_post(request.user, post)
            return post_response(request, post)
        post = services.post_edit(editor=request.user, post=post, body=data.validated_data["body"])
        return post_response(request, post)

    def delete(self, request: AuthenticatedRequest, pk: int):
        post = get_readable_post(request, pk)
        post = services.post_delete(actor=request.user, post=post)
        return post_response(request, post)


@extend_schema_view(get=extend_schema(operation_id="posts_revisions"))
@extend_schema(summary="Earlier versions of a post (its author and moderators)")
class PostRevisionsView(ConditionalGetMixin, generics.ListAPIView):
    serializer_class = serializers.PostRevisionSerializer
    pagination_class = pagination.PostPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PostRevision.objects.none()
        post = get_readable_post(self.request, self.kwargs["pk"])
        # Old versions may quote posts hidden since: only those who may edit the post (or
        # moderate) read them.
        if not self.request.user.is_authenticated:
            raise NotAuthenticated()  # 401, as for any read that needs signing in
        if not policy.can_view_revisions(self.request.user, post):
            raise ApiPermissionDenied("Only the author and moderators can see earlier versions.")
        return PostRevision.objects.filter(post=post).select_related("editor")


@extend_schema_view(get=extend_schema(operation_id="posts_quote_markup"))
@extend_schema(
    summary="Markup that quotes a post, or part of it",
    parameters=[
        OpenApiParameter(
            "excerpt", str, description="The part to quote; the whole post when absent."
        )
    ],
    responses=serializers.QuoteMarkupSerializer,
)
class PostQuoteView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def get(self, request: AuthenticatedRequest, pk: int):
        post = get_readable_post(request, pk)
        excerpt = request.query_params.get("excerpt")
        if excerpt is not None and len(excerpt) > EXCERPT_MAX:
            raise ValidationError({"excerpt": [f"Quote at most {EXCERPT_MAX} characters."]})
        markup = quotes.quote_markup(post=post, user=request.user, excerpt=excerpt or None)
        return Response({"markup": markup})


@extend_schema_view(get=extend_schema(operation_id="search"))
@extend_schema(
    summary="Search posts",
    description=(
        "Full-text search of visible posts, best first (relevance mixed with recency). `q` "
        'takes web search syntax: words, "exact phrases", -excluded, OR. `title_html` and '
        "`snippet` are escaped text with the words found in `<mark>`."
    ),
    parameters=[
        OpenApiParameter(
            "q",
            {
                "type": "string",
                "minLength": 1,
                "maxLength": SEARCH_QUERY_MAX,
                "pattern": SEARCH_QUERY_PATTERN,
            },
            required=True,
            description="What to look for.",
        ),
        OpenApiParameter("category", str, description="A category's slug."),
        OpenApiParameter("author", str, description="A member's username."),
        OpenApiParameter("thread", int, description="Only posts of this thread."),
        OpenApiParameter("since", {"type": "string", "format": "date"}, description="From."),
        OpenApiParameter("until", {"type": "string", "format": "date"}, description="To."),
    ],
    responses=serializers.SearchResultSerializer(many=True),
)
class SearchView(RateLimitHeadersMixin, ConditionalGetMixin, generics.ListAPIView):
    serializer_class = serializers.SearchResultSerializer
    pagination_class = pagination.SearchPagination
    filter_backends: list = []

    def get_throttles(self):
        return [throttle() for throttle in throttles.SEARCHING]

    def list(self, request: Request, *args, **kwargs):
        # The form reads an empty field as "any" (the search page sends its empty fields).
        # Through the API only the text filters may be empty, as the schema says: an empty
        # thread or date is a 400.
        blank = [
            name
            for name in ("thread", "since", "until")
            if name in request.query_params and not request.query_params[name].strip()
        ]
        if blank:
            raise ValidationError(
                {name: ["This field may not be blank."] for name in blank}, code="blank"
            )
        form = SearchForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        found = selectors.search_posts(
            user=request.user,
            query=form.cleaned_data["q"],
            filters=form.filters(),
            cursor=form.cleaned_data["cursor"] or None,
            limit=pagination.SearchPagination().get_page_size(request),
        )
        next_url = None
        if found.next_cursor:
            next_url = replace_query_param(
                request.build_absolute_uri(), "cursor", found.next_cursor
            )
        data = self.get_serializer(found.posts, many=True).data
        return Response(
            {"next": next_url, "next_cursor": found.next_cursor, "previous": None, "results": data}
        )


@extend_schema_view(get=extend_schema(operation_id="notifications_list"))
@extend_schema(summary="The viewer's notifications, newest first")
class NotificationListView(ConditionalGetMixin, generics.ListAPIView):
    serializer_class = serializers.NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = filters.NotificationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.serializer_class.Meta.model.objects.none()
        # The page's list (a post hidden since stays out of sight, a word from the moderators
        # stays); the cursor orders it.
        return selectors.notifications_with_previews(
            selectors.notification_list(user=self.request.user), user=self.request.user
        )


def _unread_notifications(user) -> int:
    # The same count as the web header's.
    return selectors.notification_unread_count(user=user)


@extend_schema_view(get=extend_schema(operation_id="notifications_unread_count"))
@extend_schema(
    summary="How many notifications are unread",
    responses=serializers.CountSerializer,
)
class NotificationUnreadCountView(ConditionalGetMixin, APIView):
    permission_classes = [permissions.IsAuthenticated]

    def get(self, request: AuthenticatedRequest):
        return Response({"count": _unread_notifications(request.user)})


@extend_schema_view(post=extend_schema(operation_id="notifications_mark_read"))
@extend_schema(
    summary="Mark notifications read",
    description=(
        "Marks the notifications in `ids`, or all of them with `all: true`, read and answers "
        "the unread count. An empty body (`{}`, or none) marks nothing and answers the count."
    ),
    request=serializers.NotificationsReadSerializer,
    responses=serializers.CountSerializer,
)
class NotificationMarkReadView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request: AuthenticatedRequest):
        data = serializers.NotificationsReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = None if data.validated_data["all"] else data.validated_data["ids"]
        services.notifications_mark_read(user=request.user, ids=ids)
        return Response({"count": _unread_notifications(request.user)})


@extend_schema_view(get=extend_schema(operation_id="changes"))
@extend_schema(
    summary="What changed since the last sync",
    description=(
        "Threads, posts and members in the order of their last change: new posts, edits, "
        "deletions, hides, restores, renames, moves, locks, pins, notices added or removed, "
        "and members' new display names, avatars and public profile fields. Each entry is the "
        "object as the viewer sees it now; a post the viewer may no longer read comes as its "
        "placeholder. A member entry replaces the `author` of every cached post and thread "
        "with that `username`. Store `next_cursor` and pass it as `after`: no change is "
        "ever missed, since change keys become visible in commit order."
    ),
    parameters=[serializers.ChangeFeedQuerySerializer],
    responses=serializers.ChangeFeedSerializer,
)
class ChangeFeedView(ConditionalGetMixin, APIView):
    def get(self, request: Request):
        # A plain dict: DRF reads an empty form value as "absent", and `?after=` must be a 400.
        query = serializers.ChangeFeedQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        threads = thread_queryset(request.user)
        posts = selectors.post_queryset(request.user)
        thread = query.validated_data.get("thread")
        if thread is not None:
            threads = threads.filter(pk=thread)
            posts = posts.filter(thread_id=thread)
        page = selectors.change_feed(
            threads=threads,
            posts=posts,
            members=selectors.feed_members(user=request.user, thread=thread),
            after=query.validated_data.get("after"),
            limit=query.validated_data["page_size"],
        )
        context = {"request": request}
        results = []
        for kind, obj in page.items:
            results.append(
                {
                    "kind": kind,
                    "id": obj.pk,
                    "thread": serializers.ThreadSerializer(obj, context=context).data
                    if kind == "thread"
                    else None,
                    "post": serializers.PostSerializer(obj, context=context).data
                    if kind == "post"
                    else None,
                    "member": serializers.MemberChangeSerializer(obj, context=context).data
                    if kind == "member"
                    else None,
                }
            )
        return Response(
            {
                "results": results,
                "next_cursor": page.position.token() if page.position else None,
                "has_more": page.has_more,
            }
        )


def _reaction_state(request, post: Post, *, code=status.HTTP_200_OK) -> Response:
    post = selectors.post_queryset(request.user).get(pk=post.pk)
    return Response({"post": post.pk, "reactions": serializers.reaction_counts(post)}, status=code)


@extend_schema_view(
    post=extend_schema(
        operation_id="posts_react",
        summary="React to a post",
        description=(
            "Adds the viewer's reaction of one kind: 201 when new, 200 when it was there "
            "already (nothing changes). Not on one's own post, nor when suspended."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=serializers.ReactionRequestSerializer,
        responses={
            201: serializers.ReactionStateSerializer,
            200: serializers.ReactionStateSerializer,
        },
    ),
)
class PostReactionsView(RateLimitHeadersMixin, APIView):
    permission_classes = [permissions.IsAuthenticated]

    def get_throttles(self):
        return [throttle() for throttle in throttles.REACTING]

    @idempotent
    def post(self, request: AuthenticatedRequest, pk: int):
        post = get_readable_post(request, pk)
        data = serializers.ReactionRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post, added = services.post_react(
            user=request.user, post=post, kind=data.validated_data["kind"]
        )
        return _reaction_state(
            request, post, code=status.HTTP_201_CREATED if added else status.HTTP_200_OK
        )


@extend_schema_view(
    delete=extend_schema(
        operation_id="posts_unreact",
        summary="Take back a reaction",
        description="Idempotent: taking back a reaction that is not there changes nothing.",
        responses={200: serializers.ReactionStateSerializer},
    ),
)
class PostReactionDetailView(RateLimitHeadersMixin, APIView):
    permission_classes = [permissions.IsAuthenticated]

    def get_throttles(self):
        return [throttle() for throttle in throttles.REACTING]

    def delete(self, request: AuthenticatedRequest, pk: int, kind: str):
        post = get_readable_post(request, pk)
        if kind not in Reaction.Kind.values:
            raise NotFound()
        post, _ = services.post_react(user=request.user, post=post, kind=kind, active=False)
        return _reaction_state(request, post)


@extend_schema_view(
    get=extend_schema(operation_id="blocks_list", summary="Members the viewer blocked"),
    post=extend_schema(
        operation_id="blocks_create",
        summary="Block a member",
        description=(
            "Their posts come flagged `author_blocked`, nothing they write notifies the viewer "
            "and they cannot quote the viewer. Staff and oneself cannot be blocked (403). 201 "
            "when new, 200 when already blocked."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=serializers.BlockRequestSerializer,
        responses={201: serializers.BlockSerializer, 200: serializers.BlockSerializer},
    ),
)
class BlockListView(generics.ListAPIView):
    serializer_class = serializers.BlockSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = pagination.CursorPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Block.objects.none()
        return selectors.blocked_members(user=self.request.user)

    @idempotent
    def post(self, request: AuthenticatedRequest):
        data = serializers.BlockRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = User.objects.filter(
            username__iexact=data.validated_data["username"], is_active=True
        ).first()
        if member is None:
            raise ValidationError({"username": ["No member has this name."]})
        before = policy.has_blocked(request.user, member.pk)
        block = services.member_block(user=request.user, member=member)
        return Response(
            serializers.BlockSerializer(block, context={"request": request}).data,
            status=status.HTTP_200_OK if before else status.HTTP_201_CREATED,
        )


@extend_schema_view(
    delete=extend_schema(
        operation_id="blocks_delete",
        summary="Unblock a member",
        responses={204: None},
    ),
)
class BlockDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def delete(self, request: AuthenticatedRequest, username: str):
        member = get_object_or_404(User, username__iexact=username)
        if not services.member_unblock(user=request.user, member=member):
            raise NotFound("You have not blocked this member.")
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(
        operation_id="bookmarks_list",
        summary="The viewer's bookmarks, newest first",
        description="Only what the viewer may still read: posts hidden or deleted since drop out.",
    ),
    post=extend_schema(
        operation_id="bookmarks_create",
        summary="Bookmark a post or a thread",
        description="201 when new, 200 when it was bookmarked already.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=serializers.BookmarkRequestSerializer,
        responses={201: serializers.BookmarkSerializer, 200: serializers.BookmarkSerializer},
    ),
)
class BookmarkListView(ConditionalGetMixin, generics.ListAPIView):
    serializer_class = serializers.BookmarkSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = pagination.CursorPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Bookmark.objects.none()
        return selectors.bookmark_list(user=self.request.user)

    @idempotent
    def post(self, request: AuthenticatedRequest):
        data = serializers.BookmarkRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "post" in data.validated_data:
            post = get_readable_post(request, data.validated_data["post"])
            thread = post.thread
        else:
            post = None
            thread = get_object_or_404(Thread, pk=data.validated_data["thread"])
        bookmark, created = services.bookmark_add(user=request.user, thread=thread, post=post)
        bookmark = selectors.bookmark_list(user=request.user).get(pk=bookmark.pk)
        return Response(
            serializers.BookmarkSerializer(bookmark, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema_view(
    delete=extend_schema(
        operation_id="bookmarks_delete", summary="Remove a bookmark", responses={204: None}
    ),
)
class BookmarkDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def delete(self, request: AuthenticatedRequest, pk: int):
        bookmark = get_object_or_404(Bookmark.objects.filter(user=request.user), pk=pk)
        services.bookmark_remove(user=request.user, thread=bookmark.thread, post=bookmark.post)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(
        operation_id="following_list",
        summary="Threads the viewer watches, latest activity first",
        description="Each with the viewer's `unread_count` and `last_read_number`.",
    )
)
class FollowingListView(ConditionalGetMixin, generics.ListAPIView):
    serializer_class = serializers.ThreadSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = pagination.ActivityPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Thread.objects.none()
        return selectors.followed_threads(user=self.request.user)
