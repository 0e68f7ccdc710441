"""The moderators' workplace: the review queue, notices, reports and the audit log.

Every change goes through moderation.services / forum.services, so it is permission-checked
and audited exactly like the same change made through the API. Nothing here saves a model
directly except the administrators' NoticeTemplate and CategorySettings. Member-written text is
always shown escaped (plain strings and format_html; never mark_safe on member input).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator

from forum import policy
from forum import services as forum_services
from moderation import selectors, services
from moderation.models import (
    AuditLog,
    CategorySettings,
    Notice,
    NoticeTemplate,
    Report,
    Review,
    Severity,
)

EXCERPT_CHARS = 160


def _excerpt(text: str) -> str:
    # A plain str: the admin escapes it.
    return Truncator(" ".join(text.split())).chars(EXCERPT_CHARS)


def _post_link(post) -> str:
    return format_html(
        '<a href="{}">{} #{}</a>', post.get_absolute_url(), post.thread.title, post.number
    )


def _run(modeladmin, request, items, do, done: str):
    """Apply a service to each selected item; report successes and refusals, never a 500."""
    ok, failed = 0, []
    for item in items:
        try:
            do(item)
        except (PermissionDenied, ValidationError) as exc:
            failed.append(f"{item}: {'; '.join(getattr(exc, 'messages', [str(exc)]))}")
        else:
            ok += 1
    if ok:
        modeladmin.message_user(request, f"{done}: {ok}.", messages.SUCCESS)
    for message in failed:
        modeladmin.message_user(request, message, messages.ERROR)
    # The buttons on a review's own page send it back there.
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return None


class QueueFilter(admin.SimpleListFilter):
    """The queue by default: pending posts and decided posts with new reports."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("todo", "Needs review"), ("all", "All reviews")]

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        return queryset.filter(pk__in=selectors.review_queue().order_by().values("pk"))

    def choices(self, changelist):
        for value, title in self.lookup_choices:
            selected = self.value() == value or (self.value() is None and value == "todo")
            yield {
                "selected": selected,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": title,
            }


class ModerationActionsMixin:
    """Queue actions shared by reviews: they act on each review's post."""

    @admin.action(
        description="Confirm: asks for medical advice (keeps a notice)", permissions=["change"]
    )
    def confirm(self, request, queryset):
        return _run(
            self,
            request,
            queryset,
            lambda r: services.review_confirm(moderator=request.user, review=r),
            "Confirmed",
        )

    @admin.action(description="Dismiss: no notice needed", permissions=["change"])
    def dismiss(self, request, queryset):
        return _run(
            self,
            request,
            queryset,
            lambda r: services.review_dismiss(moderator=request.user, review=r),
            "Dismissed",
        )

    @admin.action(description="Hide the post", permissions=["change"])
    def hide_post(self, request, queryset):
        return _run(
            self,
            request,
            queryset,
            lambda r: forum_services.post_hide(actor=request.user, post=r.post),
            "Hidden",
        )

    @admin.action(description="Restore the hidden post", permissions=["change"])
    def restore_post(self, request, queryset):
        return _run(
            self,
            request,
            queryset,
            lambda r: forum_services.post_restore(actor=request.user, post=r.post),
            "Restored",
        )

    @admin.action(description="Add an advice notice", permissions=["add_notice"])
    def add_advice_notice(self, request, queryset):
        return _run(
            self,
            request,
            queryset,
            lambda r: services.notice_add(
                moderator=request.user, post=r.post, severity=Severity.ADVICE
            ),
            "Advice notices added",
        )

    @admin.action(description="Add an urgent notice", permissions=["add_notice"])
    def add_urgent_notice(self, request, queryset):
        return _run(
            self,
            request,
            queryset,
            lambda r: services.notice_add(
                moderator=request.user, post=r.post, severity=Severity.URGENT
            ),
            "Urgent notices added",
        )

    @admin.action(description="Remove the post's notice", permissions=["change_notice"])
    def remove_notice(self, request, queryset):
        notices = Notice.objects.filter(
            post__in=[r.post_id for r in queryset], removed__isnull=True
        ).select_related("post__thread")
        return _run(
            self,
            request,
            notices,
            lambda n: services.notice_remove(moderator=request.user, notice=n),
            "Notices removed",
        )

    def has_add_notice_permission(self, request):
        return request.user.has_perm("moderation.add_notice")

    def has_change_notice_permission(self, request):
        return request.user.has_perm("moderation.change_notice")


@admin.register(Review)
class ReviewAdmin(ModerationActionsMixin, admin.ModelAdmin):
    list_display = (
        "post_link",
        "excerpt",
        "author",
        "category",
        "status",
        "reason_display",
        "severity",
        "score_display",
        "cues_display",
        "open_reports",
        "screened",
    )
    list_display_links = ("excerpt",)
    list_filter = (
        QueueFilter,
        "status",
        "reason",
        "severity",
        "flagged",
        "post__thread__category",
    )
    list_select_related = ("post__thread__category", "post__author", "decided_by")
    search_fields = ("post__source", "post__thread__title", "post__author__username")
    ordering = ("-screened", "-pk")
    actions = (
        "confirm",
        "dismiss",
        "hide_post",
        "restore_post",
        "add_advice_notice",
        "add_urgent_notice",
        "remove_notice",
    )
    fields = (
        "post_link",
        "post_state",
        "author",
        "category",
        "post_text",
        "status",
        "reason_display",
        "flagged",
        "score_display",
        "severity",
        "cues_display",
        "model_version",
        "screened",
        "decided_by",
        "decided",
        "notices_display",
        "reports_display",
    )
    readonly_fields = fields
    change_form_template = "admin/moderation/review/change_form.html"

    def get_queryset(self, request):
        return selectors.review_list()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Decisions are the actions (buttons above the form); the form itself saves nothing.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            "moderation_actions": [
                (name, self.get_actions(request)[name][2])
                for name in self.actions
                if name in self.get_actions(request)
            ],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="why in the queue", ordering="reason")
    def reason_display(self, obj):
        if obj.reason == Review.Reason.LANGUAGE:
            return f"{obj.get_reason_display()} ({obj.language})"
        return obj.get_reason_display() if obj.reason else ""

    @admin.display(description="post", ordering="post__created")
    def post_link(self, obj):
        return _post_link(obj.post)

    @admin.display(description="text")
    def excerpt(self, obj):
        return _excerpt(obj.post.source)

    @admin.display(description="author", ordering="post__author__username")
    def author(self, obj):
        return obj.post.author.username

    @admin.display(description="category")
    def category(self, obj):
        return obj.post.thread.category.name

    @admin.display(description="post state")
    def post_state(self, obj):
        return obj.post.get_state_display()

    @admin.display(description="score", ordering="score")
    def score_display(self, obj):
        return f"{obj.score:.2f}"

    @admin.display(description="cues")
    def cues_display(self, obj):
        return "; ".join(str(c) for c in obj.cues or [])

    @admin.display(description="open reports", ordering="open_reports")
    def open_reports(self, obj):
        return obj.open_reports

    @admin.display(description="post text")
    def post_text(self, obj):
        # The raw source, escaped: what the author typed, markup and all, shown as text.
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', obj.post.source)

    @admin.display(description="notices")
    def notices_display(self, obj):
        notices = obj.post.notices.select_related("created_by", "removed_by").order_by("created")
        if not notices:
            return "None"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {} ({}{}){}: {}</li>",
                (
                    (
                        n.get_severity_display(),
                        n.get_kind_display().lower(),
                        n.get_origin_display().lower(),
                        ", confirmed" if n.confirmed else "",
                        f", removed {n.removed:%Y-%m-%d %H:%M}" if n.removed else "",
                        n.text,
                    )
                    for n in notices
                ),
            ),
        )

    @admin.display(description="reports")
    def reports_display(self, obj):
        reports = obj.post.reports.select_related("reporter").order_by("created")
        if not reports:
            return "None"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} by {} on {:%Y-%m-%d %H:%M}{}: {}</li>",
                (
                    (
                        r.get_reason_display(),
                        r.reporter.username,
                        r.created,
                        " (resolved)" if r.resolved else "",
                        r.comment or "no comment",
                    )
                    for r in reports
                ),
            ),
        )


class NoticeAddForm(forms.ModelForm):
    text = forms.CharField(
        widget=forms.Textarea,
        required=False,
        max_length=services.NOTICE_TEXT_MAX_LENGTH,
        help_text="Leave empty to use the administrators' text for the severity.",
    )

    class Meta:
        model = Notice
        fields = ("post", "severity", "text")


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = (
        "post_link",
        "severity",
        "origin",
        "confirmed",
        "text_excerpt",
        "created",
        "created_by",
        "removed",
        "removed_by",
    )
    list_filter = ("severity", "origin", "confirmed", ("removed", admin.EmptyFieldListFilter))
    list_select_related = ("post__thread", "created_by", "removed_by")
    raw_id_fields = ("post",)
    ordering = ("-created", "-pk")
    actions = ("remove",)
    readonly_fields = (
        "post",
        "kind",
        "severity",
        "text",
        "origin",
        "confirmed",
        "created",
        "created_by",
        "removed",
        "removed_by",
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = NoticeAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        return ("post", "severity", "text") if obj is None else self.readonly_fields

    def has_add_permission(self, request):
        return super().has_add_permission(request) and policy.can_moderate(request.user)

    def has_change_permission(self, request, obj=None):
        # Notices change only through the actions (services), never by editing the row.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_remove_permission(self, request):
        return request.user.has_perm("moderation.change_notice") and policy.can_moderate(
            request.user
        )

    def save_model(self, request, obj, form, change):
        notice = services.notice_add(
            moderator=request.user,
            post=form.cleaned_data["post"],
            severity=form.cleaned_data["severity"],
            text=form.cleaned_data["text"] or None,
        )
        # The admin goes on to log and link the object it was given.
        obj.pk = notice.pk
        obj.__dict__.update({k: v for k, v in notice.__dict__.items() if k != "_state"})
        obj._state.adding = False

    @admin.action(description="Remove the selected notices", permissions=["remove"])
    def remove(self, request, queryset):
        return _run(
            self,
            request,
            queryset,
            lambda n: services.notice_remove(moderator=request.user, notice=n),
            "Notices removed",
        )

    @admin.display(description="post")
    def post_link(self, obj):
        return _post_link(obj.post)

    @admin.display(description="text")
    def text_excerpt(self, obj):
        return _excerpt(obj.text)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-only: reports are resolved by confirming or dismissing the post's review."""

    list_display = ("post_link", "reason", "comment_excerpt", "reporter", "created", "resolved")
    list_filter = ("reason", ("resolved", admin.EmptyFieldListFilter))
    list_select_related = ("post__thread", "reporter", "resolved_by")
    search_fields = ("comment", "reporter__username")
    ordering = ("-created", "-pk")
    fields = ("post", "reason", "comment", "reporter", "created", "resolved", "resolved_by")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="post")
    def post_link(self, obj):
        return _post_link(obj.post)

    @admin.display(description="comment")
    def comment_excerpt(self, obj):
        return _excerpt(obj.comment)


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the log is evidence."""

    list_display = ("created", "actor", "action", "target", "post_id")
    list_filter = ("action",)
    list_select_related = ("actor",)
    search_fields = ("action", "target", "actor__username")
    ordering = ("-created", "-pk")
    date_hierarchy = "created"
    fields = ("created", "actor", "action", "post", "target", "before_display", "after_display")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @staticmethod
    def _json(value):
        return format_html(
            '<pre style="white-space: pre-wrap">{}</pre>',
            json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
        )

    @admin.display(description="before")
    def before_display(self, obj):
        return self._json(obj.before)

    @admin.display(description="after")
    def after_display(self, obj):
        return self._json(obj.after)


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    """Administrators' wording of the notice. New notices use it; existing ones keep theirs."""

    list_display = ("severity", "text", "updated")


@admin.register(CategorySettings)
class CategorySettingsAdmin(admin.ModelAdmin):
    list_display = ("category", "notices_enabled", "threshold")
    list_select_related = ("category",)
