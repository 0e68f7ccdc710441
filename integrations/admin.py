from django.contrib import admin, messages
from django.forms import CheckboxSelectMultiple, ModelForm, MultipleChoiceField, ValidationError
from django.utils import timezone

from integrations import jobs, webhooks
from integrations.models import (
    BatchJob,
    OutgoingEmail,
    PushDevice,
    TaskFailure,
    WebhookDelivery,
    WebhookEndpoint,
)
from integrations.queue import enqueue


class ReadOnlyAdmin(admin.ModelAdmin):
    """Delivery records are written by the workers; administrators read them and act."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class BatchJobAdmin(admin.ModelAdmin):
    """Jobs run by the workers in batches (integrations.jobs): adding one starts it
    (`start(request, obj)`), the list shows how far each has got, and the actions pause and
    resume. `creation_fields` are what the add form asks; `step_task` runs a step."""

    creation_fields: tuple[str, ...] = ("batch_size",)
    step_task = None
    list_filter = ("status",)
    actions = ("pause", "resume")

    def has_change_permission(self, request, obj=None):
        # Viewing a job shows its progress; only the actions change it.
        return obj is None and super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else [f.name for f in self.model._meta.fields]

    def get_fields(self, request, obj=None):
        return self.creation_fields if obj is None else self.get_readonly_fields(request, obj)

    @admin.display(description="progress")
    def progress(self, job: BatchJob) -> str:
        return f"{job.done:,} of {job.total:,} ({job.percent}%)"

    def start(self, request, obj) -> BatchJob:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        obj.pk = self.start(request, obj).pk

    @admin.action(description="Pause the selected jobs")
    def pause(self, request, queryset):
        for job in queryset:
            jobs.pause(job)

    @admin.action(description="Resume the selected jobs from where they stopped")
    def resume(self, request, queryset):
        for job in queryset:
            jobs.resume(job, self.step_task)


@admin.register(TaskFailure)
class TaskFailureAdmin(ReadOnlyAdmin):
    list_display = ("created", "task_name", "args", "exception", "retries", "resolved")
    list_filter = ("task_name", ("resolved", admin.EmptyFieldListFilter))
    search_fields = ("task_name", "exception")
    date_hierarchy = "created"
    actions = ("run_again", "mark_resolved")

    @admin.action(description="Run the selected tasks again")
    def run_again(self, request, queryset):
        from celery import current_app

        count = 0
        for failure in queryset.filter(resolved__isnull=True):
            task = current_app.tasks.get(failure.task_name)
            if task is None:
                continue
            enqueue(task, *failure.args, **failure.kwargs)
            failure.resolved = timezone.now()
            failure.save(update_fields=["resolved"])
            count += 1
        self.message_user(request, f"{count} tasks queued again.", messages.SUCCESS)

    @admin.action(description="Mark as resolved")
    def mark_resolved(self, request, queryset):
        count = queryset.filter(resolved__isnull=True).update(resolved=timezone.now())
        self.message_user(request, f"{count} failures marked resolved.", messages.SUCCESS)


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ("created", "kind", "to", "status", "attempts", "sent", "last_error")
    list_filter = ("status", "kind")
    search_fields = ("to",)
    date_hierarchy = "created"
    exclude = ("params",)  # may name things only the recipient should read
    actions = ("send_again",)

    @admin.action(description="Send the selected failed e-mails again")
    def send_again(self, request, queryset):
        from integrations import tasks

        ids = list(queryset.filter(status=OutgoingEmail.Status.FAILED).values_list("pk", flat=True))
        OutgoingEmail.objects.filter(pk__in=ids).update(status=OutgoingEmail.Status.PENDING)
        for pk in ids:
            enqueue(tasks.email_send, pk)
        self.message_user(request, f"{len(ids)} e-mails queued again.", messages.SUCCESS)


class WebhookEndpointForm(ModelForm):
    events = MultipleChoiceField(
        choices=WebhookEndpoint.Event.choices, widget=CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "description", "events", "secret", "owner", "is_active")

    def clean_url(self):
        url = self.cleaned_data["url"]
        # Checked again before every delivery, since DNS can change after registration.
        reason = webhooks.refuse_target(url)
        if reason:
            raise ValidationError(reason)
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "description", "is_active", "consecutive_failures", "disabled_reason")
    list_filter = ("is_active",)
    readonly_fields = ("consecutive_failures", "disabled_reason", "created")
    raw_id_fields = ("owner",)

    def save_model(self, request, obj, form, change):
        if obj.is_active and "is_active" in form.changed_data:
            # Turned on again by hand: start counting failures afresh.
            obj.consecutive_failures = 0
            obj.disabled_reason = ""
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "created",
        "event",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "next_attempt",
        "last_error",
    )
    list_filter = ("status", "event", "endpoint")
    list_select_related = ("endpoint",)
    date_hierarchy = "created"
    actions = ("deliver_again",)

    @admin.action(description="Deliver the selected failed deliveries again")
    def deliver_again(self, request, queryset):
        from integrations import tasks

        ids = list(
            queryset.filter(status=WebhookDelivery.Status.FAILED).values_list("pk", flat=True)
        )
        WebhookDelivery.objects.filter(pk__in=ids).update(
            status=WebhookDelivery.Status.PENDING,
            next_attempt=timezone.now(),
            attempts=0,
            created=timezone.now(),
        )
        for pk in ids:
            enqueue(tasks.webhook_deliver, pk)
        self.message_user(request, f"{len(ids)} deliveries queued again.", messages.SUCCESS)


@admin.register(PushDevice)
class PushDeviceAdmin(ReadOnlyAdmin):
    list_display = ("user", "platform", "app_id", "created", "last_pushed")
    list_filter = ("platform", "app_id")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    exclude = ("push_token",)
