from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone

from forum import policy
from forum.models import Category, Post
from integrations.models import BatchJob


class Severity(models.TextChoices):
    NONE = "none", "None"
    ADVICE = "advice", "Advice"
    URGENT = "urgent", "Urgent"


class NoticeTemplate(models.Model):
    """The text of the "refer to a professional" notice, edited by administrators."""

    severity = models.CharField(
        max_length=10,
        choices=[(Severity.ADVICE, "Advice"), (Severity.URGENT, "Urgent")],
        unique=True,
    )
    text = models.TextField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["severity"]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} notice"


class CategorySettings(models.Model):
    """Per-category moderation: a physiotherapists' corner may allow clinical talk."""

    category = models.OneToOneField(
        Category, on_delete=models.CASCADE, related_name="moderation_settings"
    )
    notices_enabled = models.BooleanField(default=True)
    # None: the detector's own threshold. Higher: fewer automatic notices in this category.
    threshold = models.FloatField(null=True, blank=True)
    # The category's own wording of new notices (empty: the administrators' notice templates),
    # e.g. a running category's "talk to a sports physiotherapist".
    advice_text = models.TextField(
        blank=True, max_length=2000, help_text="Empty: the advice notice template."
    )
    urgent_text = models.TextField(
        blank=True, max_length=2000, help_text="Empty: the urgent notice template."
    )

    class Meta:
        verbose_name = "category moderation settings"
        verbose_name_plural = "category moderation settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__isnull=True)
                | models.Q(threshold__gte=0, threshold__lte=1),
                name="moderation_threshold_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"Moderation of {self.category}"

    def notice_text(self, severity: str) -> str:
        texts: dict[str, str] = {
            Severity.ADVICE: self.advice_text,
            Severity.URGENT: self.urgent_text,
        }
        return texts.get(severity, "")


class Review(models.Model):
    """A post's place in the review queue and the moderator's decision about it."""

    class Status(models.TextChoices):
        CLEAR = "clear", "Not flagged"
        PENDING = "pending", "Pending review"
        CONFIRMED = "confirmed", "Confirmed"
        DISMISSED = "dismissed", "Dismissed"

    class Reason(models.TextChoices):
        """Why the detector put a post it did not flag in front of moderators."""

        NONE = "", "-"
        LANGUAGE = "language", "Not screened: language"
        UNSURE = "unsure", "Unsure: just below the threshold"

    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="review")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CLEAR)
    flagged = models.BooleanField(default=False)
    score = models.FloatField(default=0.0)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.NONE)
    cues = models.JSONField(default=list, blank=True)
    model_version = models.CharField(max_length=50, blank=True)
    reason = models.CharField(max_length=10, choices=Reason.choices, blank=True, default="")
    # ISO 639-1 code the detector read the post as ("es"); shown with "not screened: language".
    language = models.CharField(max_length=8, blank=True, default="")
    screened = models.DateTimeField(default=timezone.now)
    # When the post last entered the queue (flagged or reported): "oldest first" waits on this,
    # not on `screened`, which every edit moves.
    queued = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided = models.DateTimeField(null=True, blank=True)
    # When moderators were told that this urgent post waits (moderation.tasks.urgent_alert):
    # once per post, however often it is screened again.
    alerted = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "-screened"], name="moderation_queue_idx")]

    def __str__(self) -> str:
        return f"Review of post {self.post_id}: {self.status}"


class Notice(models.Model):
    class Kind(models.TextChoices):
        REFER = "refer_professional", "Refer to a professional"

    class Origin(models.TextChoices):
        DETECTOR = "detector", "Detector"
        # Added by a review decision (confirming a reported post): a later dismissal of the same
        # review takes it off again, unlike a notice a moderator wrote by hand.
        REVIEW = "review", "Review decision"
        MODERATOR = "moderator", "Moderator"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.REFER)
    severity = models.CharField(
        max_length=10, choices=[(Severity.ADVICE, "Advice"), (Severity.URGENT, "Urgent")]
    )
    text = models.TextField()
    origin = models.CharField(max_length=10, choices=Origin.choices)
    # A notice a moderator confirmed or added stays whatever the author edits.
    confirmed = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removed = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["post_id", "created", "id"]
        constraints = [
            # At most one live notice of a kind per post.
            models.UniqueConstraint(
                fields=["post", "kind"],
                condition=models.Q(removed__isnull=True),
                name="moderation_one_live_notice_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on post {self.post_id}"


class Report(models.Model):
    class Reason(models.TextChoices):
        MEDICAL = "medical", "Asks for medical advice"
        SPAM = "spam", "Spam"
        ABUSE = "abuse", "Abuse"
        OTHER = "other", "Other"

    class Outcome(models.TextChoices):
        """What a moderator decided about a report; the reporter is told (see OUTCOME_TEXT)."""

        OPEN = "", "Open"
        NOTICE = "notice", "Notice added"
        HIDDEN = "hidden", "Content hidden"
        WARNED = "warned", "Member warned"
        NO_ACTION = "no_action", "No action needed"
        FALSE = "false", "False report"

    # A TextField's max_length is not checked by full_clean(): services.report_create checks it.
    COMMENT_MAX = 1000

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    comment = models.TextField(max_length=COMMENT_MAX, blank=True)
    created = models.DateTimeField(default=timezone.now)
    resolved = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default="")
    # A report from a member whose recent reports moderators mostly found false: kept and
    # listed, but it does not put a post in the queue on its own.
    down_weighted = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "reporter"], name="moderation_report_once"),
        ]
        indexes = [
            models.Index(
                fields=["reporter", "-resolved"],
                condition=models.Q(outcome="false"),
                name="moderation_false_report_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Report of post {self.post_id} by {self.reporter_id}"


class AuditLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("The audit log cannot be changed.")

    def delete(self):
        raise PermissionDenied("The audit log cannot be changed.")


class AuditLog(models.Model):
    """Append-only record of every moderation action: who, what, when, before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=50)
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target = models.CharField(max_length=100, blank=True, help_text="model:pk of the object.")
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["-created"], name="moderation_audit_created_idx")]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("The audit log cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("The audit log cannot be changed.")


class RescanJob(BatchJob):
    """A re-screening of existing posts with the current detector, done by workers in
    batches (integrations.jobs)."""

    since = models.DateTimeField(
        null=True, blank=True, help_text="Only posts written or edited since then; empty: all."
    )
    detector_version = models.CharField(max_length=100, blank=True)
    written = models.PositiveIntegerField(default=0, help_text="Reviews written or changed.")
    flagged_before = models.PositiveIntegerField(default=0)
    flagged_after = models.PositiveIntegerField(null=True, blank=True)

    class Meta(BatchJob.Meta):
        pass

    def __str__(self) -> str:
        return f"rescan {self.pk} ({self.status}, {self.done}/{self.total})"


class DutyShift(models.Model):
    """The rota: a moderator on duty from ``starts`` to ``ends``. Urgent posts are alerted to
    the moderators on duty when they arrive, to every moderator when nobody is
    (moderation.selectors.on_duty_moderators)."""

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duty_shifts"
    )
    starts = models.DateTimeField()
    ends = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts", "pk"]
        indexes = [models.Index(fields=["ends", "starts"], name="moderation_shift_when_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="moderation_shift_ends_later"
            )
        ]

    def __str__(self) -> str:
        return f"{self.moderator} {self.starts:%Y-%m-%d %H:%M} to {self.ends:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.starts and self.ends and self.ends <= self.starts:
            raise ValidationError({"ends": ["A shift ends after it starts."]})
        if self.moderator_id and not policy.is_moderator(self.moderator):
            raise ValidationError({"moderator": ["Only moderators go on the rota."]})
