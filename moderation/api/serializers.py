from __future__ import annotations

from rest_framework import serializers

from forum.api.serializers import PostSerializer, UserSummarySerializer
from moderation.models import Notice, Report, Review, Severity


class ReportCreateSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ReportSerializer(serializers.ModelSerializer):
    """A report as its reporter sees it."""

    post = serializers.IntegerField(source="post_id", read_only=True)

    class Meta:
        model = Report
        fields = ["id", "post", "reason", "comment", "created"]
        read_only_fields = fields


class ModeratorReportSerializer(serializers.ModelSerializer):
    post = PostSerializer(read_only=True)
    reporter = UserSummarySerializer(read_only=True)
    resolved_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "post",
            "reporter",
            "reason",
            "comment",
            "created",
            "resolved",
            "resolved_by",
        ]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    post = PostSerializer(read_only=True)
    decided_by = UserSummarySerializer(read_only=True, allow_null=True)
    report_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Review
        fields = [
            "id",
            "post",
            "status",
            "flagged",
            "score",
            "severity",
            "cues",
            "model_version",
            "screened",
            "decided_by",
            "decided",
            "report_count",
        ]
        read_only_fields = fields


class NoticeCreateSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=[Severity.ADVICE, Severity.URGENT])
    text = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class NoticeSerializer(serializers.ModelSerializer):
    post = serializers.IntegerField(source="post_id", read_only=True)

    class Meta:
        model = Notice
        fields = [
            "id",
            "post",
            "kind",
            "severity",
            "text",
            "origin",
            "confirmed",
            "created",
            "removed",
        ]
        read_only_fields = fields
