from __future__ import annotations

from rest_framework import serializers

from accounts.api.serializers import UserSummarySerializer
from accounts.models import Sanction
from core.api.fields import TextField
from forum.api.serializers import PostSerializer
from moderation.models import Notice, Report, Review, Severity
from moderation.sanctions import MEASURES, REASON_MAX_LENGTH
from moderation.services import REPORT_OUTCOMES


class ReportCreateSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    comment = TextField(max_length=1000, required=False, allow_blank=True, default="")


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
    reporter_false_reports = serializers.IntegerField(
        read_only=True, default=0, help_text="The reporter's reports found false lately."
    )

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
            "outcome",
            "down_weighted",
            "reporter_false_reports",
        ]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    post = PostSerializer(read_only=True)
    decided_by = UserSummarySerializer(read_only=True, allow_null=True)
    report_count = serializers.IntegerField(read_only=True, default=0)
    open_reports = serializers.IntegerField(read_only=True, default=0)
    # None for a review that is not waiting (cleared or decided, no open report).
    waiting_since = serializers.DateTimeField(read_only=True, allow_null=True, default=None)

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
            "open_reports",
            "queued",
            "waiting_since",
        ]
        read_only_fields = fields


class NoticeCreateSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=[Severity.ADVICE, Severity.URGENT])
    text = TextField(max_length=5000, required=False, allow_blank=True)


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


class SeveritySerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=[Severity.ADVICE, Severity.URGENT])


class SanctionCreateSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(
        choices=MEASURES, help_text="warn, or suspend for 1d, 3d, 7d, 30d or indefinite(ly)."
    )
    reason = TextField(max_length=REASON_MAX_LENGTH, help_text="Shown to the member.")


class SanctionSerializer(serializers.ModelSerializer):
    member = UserSummarySerializer(read_only=True)
    created_by = UserSummarySerializer(read_only=True)
    lifted_by = UserSummarySerializer(read_only=True, allow_null=True)
    in_force = serializers.BooleanField(read_only=True)

    class Meta:
        model = Sanction
        fields = [
            "id",
            "member",
            "kind",
            "reason",
            "created",
            "created_by",
            "ends",
            "lifted",
            "lifted_by",
            "in_force",
        ]
        read_only_fields = fields


class ReportsResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=REPORT_OUTCOMES)
    warning = TextField(
        max_length=REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="With outcome `warned`: the warning the post's author is shown.",
    )
