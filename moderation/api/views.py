"""Moderation API: thin views over moderation.services and forum.services. Every moderator
action is also checked by its service; the permission class only spares a useless query."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework import pagination as drf_pagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from accounts.models import Sanction, User
from accounts.requests import AuthenticatedRequest
from core import throttles
from core.api.conditional import ConditionalGetMixin
from core.api.pagination import StrictPageSize
from forum import policy, selectors
from forum import services as forum_services
from forum.api.serializers import PostSerializer
from forum.api.views import get_readable_post, post_response
from moderation import sanctions, services
from moderation import selectors as moderation_selectors
from moderation.api import filters, serializers
from moderation.models import Notice, Report, Review


class IsModerator(permissions.BasePermission):
    message = "Only moderators can do this."

    def has_permission(self, request: Request, view) -> bool:
        return policy.can_moderate(request.user)


def _post_prefetch(path: str, user) -> Prefetch:
    # With the viewer: what is personal to them (reactions, blocks) comes with the posts,
    # not as a query per post.
    return Prefetch(path, queryset=selectors.post_queryset(user))


@extend_schema(
    summary="Report a post to the moderators",
    parameters=[IDEMPOTENCY_PARAMETER],
    request=serializers.ReportCreateSerializer,
    responses={201: serializers.ReportSerializer},
)
class PostReportView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = throttles.REPORTING

    @idempotent
    def post(self, request: AuthenticatedRequest, pk: int):
        post = get_readable_post(request, pk)
        data = serializers.ReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_create(
            reporter=request.user,
            post=post,
            reason=data.validated_data["reason"],
            comment=data.validated_data["comment"],
        )
        return Response(serializers.ReportSerializer(report).data, status=status.HTTP_201_CREATED)


@extend_schema(summary="Hide a post (moderators)", request=None, responses=PostSerializer)
class PostHideView(APIView):
    permission_classes = [IsModerator]

    def post(self, request: AuthenticatedRequest, pk: int):
        post = get_object_or_404(selectors.post_queryset(request.user), pk=pk)
        post = forum_services.post_hide(actor=request.user, post=post)
        return post_response(request, post)


@extend_schema(
    summary="Restore a hidden or deleted post (moderators)", request=None, responses=PostSerializer
)
class PostRestoreView(APIView):
    permission_classes = [IsModerator]

    def post(self, request: AuthenticatedRequest, pk: int):
        post = get_object_or_404(selectors.post_queryset(request.user), pk=pk)
        post = forum_services.post_restore(actor=request.user, post=post)
        return post_response(request, post)


@extend_schema(
    summary="Add a notice to a post (moderators)",
    parameters=[IDEMPOTENCY_PARAMETER],
    request=serializers.NoticeCreateSerializer,
    responses={201: serializers.NoticeSerializer},
)
class PostNoticeView(APIView):
    permission_classes = [IsModerator]

    @idempotent
    def post(self, request: AuthenticatedRequest, pk: int):
        post = get_object_or_404(selectors.post_queryset(request.user), pk=pk)
        data = serializers.NoticeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notice = services.notice_add(
            moderator=request.user,
            post=post,
            severity=data.validated_data["severity"],
            text=data.validated_data.get("text") or None,
        )
        return Response(serializers.NoticeSerializer(notice).data, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="Remove a notice (moderators)", request=None, responses=serializers.NoticeSerializer
)
class NoticeRemoveView(APIView):
    permission_classes = [IsModerator]

    def post(self, request: AuthenticatedRequest, pk: int):
        notice = get_object_or_404(Notice, pk=pk)
        notice = services.notice_remove(moderator=request.user, notice=notice)
        return Response(serializers.NoticeSerializer(notice).data)


@extend_schema(summary="Reports (moderators); unresolved first by default filter")
class ReportListView(ConditionalGetMixin, generics.ListAPIView):
    serializer_class = serializers.ModeratorReportSerializer
    permission_classes = [IsModerator]
    filterset_class = filters.ReportFilter

    def get_queryset(self):
        return moderation_selectors.with_false_reports(
            Report.objects.select_related("reporter", "resolved_by").prefetch_related(
                _post_prefetch("post", self.request.user)
            )
        )


class QueuePagination(StrictPageSize, drf_pagination.PageNumberPagination):
    """Pages by number: the queue's order (urgent first, then longest waiting) is computed, so
    there is no single column a cursor could hold."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def _reviews_for_api(qs, user):
    return qs.prefetch_related(_post_prefetch("post", user)).annotate(
        report_count=Count("post__reports", distinct=True)
    )


@extend_schema(
    summary="The review queue (moderators): pending posts and decided posts with open "
    "reports, urgent first, then the longest waiting (the admin's order)"
)
class QueueView(ConditionalGetMixin, generics.ListAPIView):
    serializer_class = serializers.ReviewSerializer
    permission_classes = [IsModerator]
    filterset_class = filters.ReviewFilter
    pagination_class = QueuePagination

    def get_queryset(self):
        if "status" in self.request.query_params:
            # Any status, decided ones included, in the queue's order.
            qs = moderation_selectors.review_list(join_posts=False).order_by(
                *moderation_selectors.QUEUE_ORDER
            )
        else:
            qs = moderation_selectors.review_queue(join_posts=False)
        return _reviews_for_api(qs, self.request.user)


class _DecisionView(APIView):
    permission_classes = [IsModerator]

    def decide(self, review: Review) -> None:
        raise NotImplementedError

    def post(self, request: AuthenticatedRequest, pk: int):
        review = get_object_or_404(Review, pk=pk)
        self.decide(review)
        review = _reviews_for_api(
            moderation_selectors.review_list(join_posts=False), request.user
        ).get(pk=pk)
        return Response(serializers.ReviewSerializer(review, context={"request": request}).data)


@extend_schema(
    summary="Confirm a flagged post (moderators)",
    request=None,
    responses=serializers.ReviewSerializer,
)
class ReviewConfirmView(_DecisionView):
    def decide(self, review):
        services.review_confirm(moderator=self.request.user, review=review)


@extend_schema(
    summary="Dismiss a flagged post (moderators)",
    request=None,
    responses=serializers.ReviewSerializer,
)
class ReviewDismissView(_DecisionView):
    def decide(self, review):
        services.review_dismiss(moderator=self.request.user, review=review)


@extend_schema(
    summary="Change a post's severity and its notice's wording (moderators)",
    request=serializers.SeveritySerializer,
    responses=serializers.ReviewSerializer,
)
class ReviewSeverityView(_DecisionView):
    def decide(self, review):
        data = serializers.SeveritySerializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        services.review_set_severity(
            moderator=self.request.user, review=review, severity=data.validated_data["severity"]
        )


@extend_schema(
    summary="Undo the latest decision on the review's post (moderators): the review, its "
    "notice and the reports it resolved are put back as they were",
    request=None,
    responses=serializers.ReviewSerializer,
)
class ReviewUndoView(_DecisionView):
    def decide(self, review):
        entry = services.undoable_entry(post=review.post)
        if entry is None:
            raise ValidationError("There is no decision on this post that can be undone.")
        services.decision_undo(moderator=self.request.user, entry=entry)


@extend_schema(
    summary="Resolve the post's open reports with an outcome (moderators): content hidden, "
    "member warned, no action needed or false report; each reporter is notified",
    request=serializers.ReportsResolveSerializer,
    responses=serializers.ReviewSerializer,
)
class ReviewReportsView(_DecisionView):
    def decide(self, review):
        data = serializers.ReportsResolveSerializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        services.reports_resolve(
            moderator=self.request.user,
            post=review.post,
            outcome=data.validated_data["outcome"],
            warning=data.validated_data["warning"],
        )


def _member(username: str) -> User:
    # By username: that is what the API shows of a member (author summaries).
    return get_object_or_404(User, username__iexact=username, is_active=True)


def _sanctions_of(member: User):
    return Sanction.objects.filter(member=member).select_related(
        "member", "created_by", "lifted_by"
    )


@extend_schema(
    summary="A member's sanctions (moderators), newest first; POST warns or suspends",
    request=serializers.SanctionCreateSerializer,
    responses={200: serializers.SanctionSerializer(many=True), 201: serializers.SanctionSerializer},
)
class MemberSanctionsView(APIView):
    permission_classes = [IsModerator]

    def get(self, request: AuthenticatedRequest, username: str):
        member = _member(username)
        return Response(
            serializers.SanctionSerializer(
                _sanctions_of(member), many=True, context={"request": request}
            ).data
        )

    def post(self, request: AuthenticatedRequest, username: str):
        member = _member(username)
        data = serializers.SanctionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sanction = sanctions.member_sanction(
            moderator=request.user,
            member=member,
            measure=data.validated_data["measure"],
            reason=data.validated_data["reason"],
        )
        return Response(
            serializers.SanctionSerializer(sanction, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(
    summary="Lift a member's suspension now (moderators)",
    request=None,
    responses=serializers.SanctionSerializer(many=True),
)
class MemberLiftView(APIView):
    permission_classes = [IsModerator]

    def post(self, request: AuthenticatedRequest, username: str):
        member = sanctions.suspension_lift(moderator=request.user, member=_member(username))
        return Response(
            serializers.SanctionSerializer(
                _sanctions_of(member), many=True, context={"request": request}
            ).data
        )
