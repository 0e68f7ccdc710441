from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class BatchJob(models.Model):
    """Long work done by workers in batches, one short task per batch (integrations.jobs):
    `last_post` is how far it got, so a restarted or redelivered step carries on from there
    instead of starting over; administrators follow `done` of `total`."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    batch_size = models.PositiveIntegerField(default=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    last_post = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk} ({self.status}, {self.done}/{self.total})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.done / self.total))


class TaskFailure(models.Model):
    """A background task that failed for good (retries exhausted or a permanent error), kept
    so that administrators see it and can run it again from the admin."""

    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    exception = models.TextField()
    traceback = models.TextField(blank=True)
    retries = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    resolved = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["resolved", "-created"], name="integ_failure_open_idx")]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"


class OutgoingEmail(models.Model):
    """One e-mail to send, written in the transaction that called for it and sent by a worker.

    Only its kind and parameters are stored; the text (and any link token) is made when it is
    sent, so no secret sits in the table. `sent` makes sending it twice a no-op.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "No longer needed"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=50)
    to = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    sent = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "outgoing e-mail"
        indexes = [models.Index(fields=["status", "created"], name="integ_email_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}"


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL that receives signed POSTs for the events it subscribes to."""

    class Event(models.TextChoices):
        POST_CREATED = "post.created", "Post created"
        POST_EDITED = "post.edited", "Post edited"
        POST_HIDDEN = "post.hidden", "Post hidden"
        THREAD_CREATED = "thread.created", "Thread created"
        REPORT_FILED = "report.filed", "Report filed"
        REVIEW_DECIDED = "review.decided", "Review decided"
        MEMBER_JOINED = "member.joined", "Member joined"

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(
        max_length=200,
        default=_new_secret,
        help_text="Shared with the receiver, which checks the X-Stoa-Signature header with it.",
    )
    events = models.JSONField(default=list, help_text="Event types this endpoint receives.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Told by e-mail when the endpoint is disabled after repeated failures.",
    )
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return self.is_active and event in (self.events or [])


class WebhookDelivery(models.Model):
    """One event for one endpoint: retried with exponential backoff until delivered or given
    up; `event_id` stays the same across retries so receivers can drop duplicates."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=50, choices=WebhookEndpoint.Event.choices)
    event_id = models.UUIDField(default=uuid.uuid4)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField(default=timezone.now)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    delivered = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="integ_delivery_once_per_endpoint"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt"], name="integ_delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.event} -> {self.endpoint_id} ({self.status})"


class PushDevice(models.Model):
    """A member's mobile app installation (or browser) that receives push notifications via
    the push gateway, which holds the APNs/FCM credentials."""

    class Platform(models.TextChoices):
        IOS = "ios", "iOS"
        ANDROID = "android", "Android"
        WEB = "web", "Web"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_devices"
    )
    platform = models.CharField(max_length=10, choices=Platform.choices)
    app_id = models.CharField(max_length=200, help_text="e.g. org.stoa.ios")
    push_token = models.CharField(max_length=1000)
    created = models.DateTimeField(default=timezone.now)
    last_pushed = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            # A token belongs to one installation: registering it again moves it.
            models.UniqueConstraint(fields=["app_id", "push_token"], name="integ_push_token_once"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} device of {self.user_id}"
