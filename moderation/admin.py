"""The moderators' workplace: the review queue, notices, reports and the audit log.

Every change goes through moderation.services / forum.services, so it is permission-checked
and audited exactly like the same change made through the API. Nothing here saves a model
directly except the administrators' NoticeTemplate and CategorySettings. Member-written text is
always shown escaped (plain strings and format_html; never mark_safe on member input).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar, TypedDict

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator

from accounts.models import Sanction, User
from forum import policy
from forum import services as forum_services
from forum.models import Post
from integrations.admin import BatchJobAdmin
from moderation import highlight, rescans, sanctions, selectors, services, tasks
from moderation.models import (
    AuditLog,
    CategorySettings,
    DutyShift,
    Notice,
    NoticeTemplate,
    Report,
    RescanJob,
    Review,
    Severity,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class FalseReports(TypedDict):
    """What the report lists annotate a report with."""

    reporter_false_reports: int


EXCERPT_CHARS = 160
QUEUE_EXCERPT_CHARS = 200


def _excerpt(text: str) -> str:
    # A plain str: the admin escapes it.
    return Truncator(" ".join(text.split())).chars(EXCERPT_CHARS)


def _post_label(post) -> str:
    # Posts of one thread must not differ only by "#1" / "#2": acting on the answer instead of
    # the question is an easy mistake.
    role = "opening post" if post.number == 1 else "reply"
    return f"#{post.number} ({role})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _post_link(post) -> str:
    return format_html(
        '<a href="{}">{}</a> <span class="mod-postno">{}</span>',
        post.get_absolute_url(),
        Truncator(post.thread.title).chars(60),
        _post_label(post),
    )


def _back(request):
    """Where a decision sends the moderator afterwards: the page they came from, if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return None


def _messages_of(exc: Exception) -> str:
    return "; ".join(getattr(exc, "messages", [str(exc)]))


def _run(modeladmin, request, items, do, done: str):
    """Apply a service to each selected item; report successes, no-ops and refusals, never a
    500. A no-op (``NothingToDo``) is said as such: nothing was written or recorded."""
    ok, noop, failed = [], [], []
    for item in items:
        try:
            do(item)
        except services.NothingToDo as exc:
            noop.append(f"{item}: {_messages_of(exc)}")
        except (PermissionDenied, ValidationError) as exc:
            failed.append(f"{item}: {_messages_of(exc)}")
        else:
            ok.append(item)
    if ok:
        modeladmin.message_user(request, f"{done}: {len(ok)}.", messages.SUCCESS)
    for message in noop:
        modeladmin.message_user(request, message, messages.WARNING)
    for message in failed:
        modeladmin.message_user(request, message, messages.ERROR)
    return _back(request)


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


class OpenReportsFilter(admin.SimpleListFilter):
    title = "open reports"
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return [("yes", "Has open reports"), ("no", "No open reports")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(has_open_reports=self.value() == "yes")
        return queryset


class WaitingFilter(admin.SimpleListFilter):
    """How long a post has waited for a moderator (pending since, or reported since)."""

    title = "waiting"
    parameter_name = "waiting"
    BANDS: ClassVar[dict[str, tuple[timedelta | None, timedelta | None]]] = {
        "1h": (None, timedelta(hours=1)),
        "1d": (timedelta(hours=1), timedelta(days=1)),
        "7d": (timedelta(days=1), timedelta(days=7)),
        "old": (timedelta(days=7), None),
    }

    def lookups(self, request, model_admin):
        return [
            ("1h", "Less than an hour"),
            ("1d", "1 to 24 hours"),
            ("7d", "1 to 7 days"),
            ("old", "More than a week"),
        ]

    def queryset(self, request, queryset):
        band = self.BANDS.get(self.value() or "")
        if band is None:
            return queryset
        now = timezone.now()
        shortest, longest = band
        if shortest is not None:
            queryset = queryset.filter(waiting_since__lte=now - shortest)
        if longest is not None:
            queryset = queryset.filter(waiting_since__gt=now - longest)
        return queryset


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


class ModerationActionsMixin:
    """Queue actions shared by reviews: they act on each review's post.

    Consequential decisions (confirm, dismiss, change severity, hide) and any action on more
    than one post first show a preview: for each post, what the action will change. Posts on
    which it would change nothing are named as such and left alone.
    """

    CONSEQUENTIAL: ClassVar[set[str]] = {
        services.Decision.CONFIRM,
        services.Decision.DISMISS,
        services.Decision.SEVERITY,
        services.Decision.HIDE,
        services.Decision.RESOLVE,
    }

    def _decide(
        self,
        request,
        queryset,
        *,
        decision,
        do,
        done,
        severity=None,
        outcome=None,
        title="",
        text_label="",
    ):
        reviews = list(queryset.select_related("post__thread", "post__author"))
        plans = [
            (
                review,
                services.decision_effects(
                    review=review, decision=decision, severity=severity, outcome=outcome
                ),
            )
            for review in reviews
        ]
        todo = [review for review, effects in plans if effects]
        if not todo:
            for review, _ in plans:
                self.message_user(
                    request,
                    f"{review.post}: nothing to change, so nothing was done or recorded.",
                    messages.WARNING,
                )
            return _back(request)
        confirmed = request.POST.get("post") == "yes"
        # A decision that sends the moderator's words (a warning) needs them before it runs.
        text = request.POST.get("text", "").strip()
        missing_text = bool(text_label) and confirmed and not text
        if missing_text or (not confirmed and (decision in self.CONSEQUENTIAL or len(reviews) > 1)):
            return TemplateResponse(
                request,
                "admin/moderation/review/decision_preview.html",
                {
                    **self.admin_site.each_context(request),
                    "title": title,
                    "opts": self.model._meta,
                    "plans": plans,
                    "todo": len(todo),
                    "action": request.POST.get("action", ""),
                    "next": request.POST.get("next", ""),
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "text_label": text_label,
                    "text": text,
                    "text_error": "Write the warning: the member is shown this text."
                    if missing_text
                    else "",
                },
            )
        skipped = [review for review, effects in plans if not effects]
        for review in skipped:
            self.message_user(
                request,
                f"{review.post}: nothing to change, so nothing was done or recorded.",
                messages.WARNING,
            )
        return _run(self, request, todo, do, done)

    @admin.action(description="Confirm: asks for medical advice", permissions=["change"])
    def confirm(self, request, queryset):
        return self._decide(
            request,
            queryset,
            decision=services.Decision.CONFIRM,
            do=lambda r: services.review_confirm(moderator=request.user, review=r),
            done="Confirmed",
            title="Confirm: these posts ask for medical advice",
        )

    @admin.action(description="Dismiss: no medical notice needed", permissions=["change"])
    def dismiss(self, request, queryset):
        return self._decide(
            request,
            queryset,
            decision=services.Decision.DISMISS,
            do=lambda r: services.review_dismiss(moderator=request.user, review=r),
            done="Dismissed",
            title="Dismiss: these posts need no medical notice",
        )

    @admin.action(description="Set severity: urgent", permissions=["change"])
    def make_urgent(self, request, queryset):
        return self._decide(
            request,
            queryset,
            decision=services.Decision.SEVERITY,
            severity=Severity.URGENT,
            do=lambda r: services.review_set_severity(
                moderator=request.user, review=r, severity=Severity.URGENT
            ),
            done="Severity set to urgent",
            title="Set the severity to urgent",
        )

    @admin.action(description="Set severity: advice", permissions=["change"])
    def make_advice(self, request, queryset):
        return self._decide(
            request,
            queryset,
            decision=services.Decision.SEVERITY,
            severity=Severity.ADVICE,
            do=lambda r: services.review_set_severity(
                moderator=request.user, review=r, severity=Severity.ADVICE
            ),
            done="Severity set to advice",
            title="Set the severity to advice",
        )

    @admin.action(description="Hide the post", permissions=["change"])
    def hide_post(self, request, queryset):
        return self._decide(
            request,
            queryset,
            decision=services.Decision.HIDE,
            do=lambda r: forum_services.post_hide(actor=request.user, post=r.post),
            done="Hidden",
            title="Hide these posts from members",
        )

    @admin.action(description="Restore the hidden post", permissions=["change"])
    def restore_post(self, request, queryset):
        return self._decide(
            request,
            queryset,
            decision=services.Decision.RESTORE,
            do=lambda r: forum_services.post_restore(actor=request.user, post=r.post),
            done="Restored",
            title="Show these posts to members again",
        )

    def _resolve(self, request, queryset, outcome: str, title: str, text_label: str = ""):
        warning = request.POST.get("text", "").strip()
        return self._decide(
            request,
            queryset,
            decision=services.Decision.RESOLVE,
            outcome=outcome,
            do=lambda r: services.reports_resolve(
                moderator=request.user, post=r.post, outcome=outcome, warning=warning
            ),
            done=f"Reports resolved ({Report.Outcome(outcome).label.lower()})",
            title=title,
            text_label=text_label,
        )

    @admin.action(
        description="Reports: member warned (sends the author your warning)",
        permissions=["change"],
    )
    def reports_warned(self, request, queryset):
        return self._resolve(
            request,
            queryset,
            Report.Outcome.WARNED,
            "Warn the authors and resolve the reports",
            text_label="Warning to the author (they are shown this text)",
        )

    @admin.action(
        description="Reports: content hidden (takes the post down)", permissions=["change"]
    )
    def reports_hidden(self, request, queryset):
        return self._resolve(
            request, queryset, Report.Outcome.HIDDEN, "Hide these posts and resolve their reports"
        )

    @admin.action(description="Reports: no action needed", permissions=["change"])
    def reports_no_action(self, request, queryset):
        return self._resolve(
            request, queryset, Report.Outcome.NO_ACTION, "These reports need no action"
        )

    @admin.action(description="Reports: false report", permissions=["change"])
    def reports_false(self, request, queryset):
        return self._resolve(request, queryset, Report.Outcome.FALSE, "These reports are unfounded")

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
        "status",
        "reason_display",
        "severity_display",
        "score_display",
        "open_reports",
        "waiting",
    )
    list_display_links = ("excerpt",)
    list_filter = (
        QueueFilter,
        "severity",
        "status",
        "reason",
        OpenReportsFilter,
        WaitingFilter,
        "flagged",
        "post__thread__category",
        "post__state",
    )
    list_select_related = ("post__thread__category", "post__author", "decided_by")
    search_fields = ("post__source", "post__thread__title", "post__author__username")
    list_per_page = 50
    # The buttons on a review's own page: the decisions a moderator takes there.
    PAGE_ACTIONS = (
        "confirm",
        "dismiss",
        "make_urgent",
        "make_advice",
        "hide_post",
        "restore_post",
        "reports_hidden",
        "reports_warned",
        "reports_no_action",
        "reports_false",
    )
    actions = (*PAGE_ACTIONS, "add_advice_notice", "add_urgent_notice", "remove_notice")
    fields = (
        "post_link",
        "post_state",
        "author",
        "category",
        "post_text",
        "thread_context",
        "member_history",
        "status",
        "reason_display",
        "flagged",
        "score_display",
        "severity",
        "cues_display",
        "model_version",
        "screened",
        "queued",
        "decided_by",
        "decided",
        "notices_display",
        "reports_display",
    )
    readonly_fields = fields
    change_form_template = "admin/moderation/review/change_form.html"

    class Media:
        css = {"all": ["moderation/admin.css"]}

    def get_queryset(self, request):
        return selectors.review_list()

    def get_ordering(self, request):
        # Annotations of review_list(): the ``ordering`` attribute's system check only knows
        # model fields.
        return selectors.QUEUE_ORDER

    def get_urls(self):
        return [
            path(
                "<int:pk>/undo/",
                self.admin_site.admin_view(self.undo_view),
                name="moderation_review_undo",
            ),
            path(
                "detector/",
                self.admin_site.admin_view(self.detector_view),
                name="moderation_review_detector",
            ),
            path(
                "post/<int:post_id>/",
                self.admin_site.admin_view(self.for_post_view),
                name="moderation_review_for_post",
            ),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        self._now = timezone.now()
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Decisions are the buttons above the form; the form itself saves nothing.
        review = self.get_object(request, object_id)
        available = self.get_actions(request)
        undo = None
        if review is not None and policy.can_moderate(request.user):
            entry = services.undoable_entry(post=review.post)
            if entry is not None:
                undo = {
                    "entry": entry,
                    "label": services.UNDOABLE[entry.action],
                }
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            "moderation_actions": [
                (name, available[name][2]) for name in self.PAGE_ACTIONS if name in available
            ],
            "undo": undo,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="why in the queue", ordering="reason")
    def reason_display(self, obj):
        if obj.reason == Review.Reason.LANGUAGE:
            return f"{obj.get_reason_display()} ({obj.language})"
        return obj.get_reason_display() if obj.reason else ""

    # The periods the detector report offers, in days (None: every decision).
    DETECTOR_PERIODS: ClassVar[dict[str, int | None]] = {
        "7": 7,
        "30": 30,
        "90": 90,
        "365": 365,
        "all": None,
    }

    def detector_view(self, request):
        """The learning loop's numbers: the detector's precision as moderators judged it, per
        severity, over a period; and how to export the decisions for training."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        period = request.GET.get("days", "30")
        if period not in self.DETECTOR_PERIODS:
            period = "30"
        days = self.DETECTOR_PERIODS[period]
        since = timezone.now() - timedelta(days=days) if days is not None else None
        return TemplateResponse(
            request,
            "admin/moderation/review/detector.html",
            {
                **self.admin_site.each_context(request),
                "title": "The detector, judged by moderators",
                "opts": self.model._meta,
                "report": selectors.detector_agreement(since=since),
                "period": period,
                "periods": [
                    (key, f"{key} days" if key != "all" else "all time")
                    for key in self.DETECTOR_PERIODS
                ],
                "since_day": since.date().isoformat() if since else None,
            },
        )

    def for_post_view(self, request, post_id: int):
        """The thread page's "Open in review queue": the post's review, or, for a post never
        screened, the queue searched for it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        review = Review.objects.filter(post_id=post_id).only("pk").first()
        if review is None:
            post = get_object_or_404(Post.objects.select_related("thread"), pk=post_id)
            self.message_user(request, f"{post} has no review yet.", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:moderation_review_changelist"))
        return HttpResponseRedirect(reverse("admin:moderation_review_change", args=[review.pk]))

    def undo_view(self, request, pk: int):
        """Undo the post's latest decision (POST only), then back to the review's page."""
        review = get_object_or_404(Review, pk=pk)
        page = reverse("admin:moderation_review_change", args=[review.pk])
        if request.method != "POST":
            return HttpResponseRedirect(page)
        entry = AuditLog.objects.filter(
            pk=request.POST.get("entry") or 0, post=review.post_id
        ).first()
        if entry is None:
            self.message_user(request, "There is no such decision to undo.", messages.ERROR)
            return HttpResponseRedirect(page)
        try:
            services.decision_undo(moderator=request.user, entry=entry)
        except PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        except ValidationError as exc:
            self.message_user(request, _messages_of(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                f"Undone: the {services.UNDOABLE[entry.action]} of {review.post}. The post, its "
                "notice and its reports are as they were before it.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(page)

    @admin.display(description="post", ordering="post__thread__title")
    def post_link(self, obj):
        return _post_link(obj.post)

    @admin.display(description="text (detector's cues marked)")
    def excerpt(self, obj):
        return highlight.highlighted(obj.post.source, obj.cues, limit=QUEUE_EXCERPT_CHARS)

    @admin.display(description="author", ordering="post__author__username")
    def author(self, obj):
        return obj.post.author.username

    @admin.display(description="category")
    def category(self, obj):
        return obj.post.thread.category.name

    @admin.display(description="post state")
    def post_state(self, obj):
        return obj.post.get_state_display()

    @admin.display(description="severity", ordering="priority")
    def severity_display(self, obj):
        if obj.severity == Severity.URGENT:
            return format_html('<strong class="mod-urgent">{}</strong>', "Urgent")
        return obj.get_severity_display()

    @admin.display(description="score", ordering="score")
    def score_display(self, obj):
        return f"{obj.score:.2f}"

    @admin.display(description="cues")
    def cues_display(self, obj):
        return "; ".join(str(c) for c in obj.cues or [])

    @admin.display(description="reports", ordering="open_reports")
    def open_reports(self, obj):
        return obj.open_reports

    @admin.display(description="waiting", ordering="waiting_since")
    def waiting(self, obj):
        now = getattr(self, "_now", None) or timezone.now()
        return _age(selectors.waited(obj, now))

    @admin.display(description="post text (detector's cues marked)")
    def post_text(self, obj):
        # The raw source, escaped: what the author typed, markup and all, shown as text.
        return format_html(
            '<pre class="mod-source">{}</pre>', highlight.highlighted(obj.post.source, obj.cues)
        )

    @admin.display(description="in the thread")
    def thread_context(self, obj):
        rows = []
        for post in selectors.thread_context(post=obj.post):
            review = getattr(post, "review", None)
            link = (
                format_html(
                    '<a href="{}">review</a>',
                    reverse("admin:moderation_review_change", args=[review.pk]),
                )
                if review is not None and post.pk != obj.post_id
                else ""
            )
            rows.append(
                (
                    "mod-this" if post.pk == obj.post_id else "",
                    _post_label(post),
                    post.author.username,
                    post.get_state_display(),
                    _excerpt(post.source),
                    link,
                )
            )
        return format_html(
            '<ol class="mod-context">{}</ol>',
            format_html_join(
                "",
                '<li class="{}"><strong>{}</strong> by {} ({}): {} {}</li>',
                rows,
            ),
        )

    @admin.display(description="author's moderation history")
    def member_history(self, obj):
        history = selectors.member_history(member_id=obj.post.author_id)
        summary = format_html(
            "<p>{} confirmed, {} dismissed, {} pending; {} hidden. As a reporter: {}, {} false."
            "</p>",
            _plural(history["confirmed"], "post"),
            history["dismissed"],
            history["pending"],
            _plural(history["hidden"], "post"),
            _plural(history["reports"], "report"),
            history["false_reports"],
        )
        if not history["actions"]:
            return format_html("{}<p>No moderator action on their posts yet.</p>", summary)
        return format_html(
            '{}<ul class="mod-history">{}</ul>',
            summary,
            format_html_join(
                "",
                "<li>{} {} by {} on {}</li>",
                (
                    (
                        f"{entry.created:%Y-%m-%d %H:%M}",
                        entry.action,
                        entry.actor.username if entry.actor else "the detector",
                        _post_link(entry.post) if entry.post else "—",
                    )
                    for entry in history["actions"]
                ),
            ),
        )

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
                        ", confirmed" if n.confirmed else ", not yet confirmed",
                        f", removed {n.removed:%Y-%m-%d %H:%M}" if n.removed else "",
                        n.text,
                    )
                    for n in notices
                ),
            ),
        )

    @admin.display(description="reports")
    def reports_display(self, obj):
        reports = selectors.with_false_reports(
            obj.post.reports.select_related("reporter").order_by("created")
        )
        if not reports:
            return "None"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} by {}{} on {}{}: {}</li>",
                (
                    (
                        r.get_reason_display(),
                        r.reporter.username,
                        _false_reporter_note(r),
                        f"{r.created:%Y-%m-%d %H:%M}",
                        f" (resolved: {r.get_outcome_display()})" if r.resolved else "",
                        r.comment or "no comment",
                    )
                    for r in reports
                ),
            ),
        )


def _false_reporter_note(report: WithAnnotations[Report, FalseReports]) -> str:
    n = report.reporter_false_reports
    if not n:
        return ""
    weight = ", down-weighted" if report.down_weighted else ""
    return f" ({_plural(n, 'false report')} in {settings.STOA['FALSE_REPORT_DAYS']} days{weight})"


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
    """Read-only: reports are resolved from the post's review (confirm, dismiss, or an
    outcome: content hidden, no action needed, false report)."""

    list_display = (
        "post_link",
        "reason",
        "comment_excerpt",
        "reporter",
        "false_reports",
        "created",
        "outcome",
    )
    list_filter = (
        "reason",
        "outcome",
        "down_weighted",
        ("resolved", admin.EmptyFieldListFilter),
    )
    list_select_related = ("post__thread", "reporter", "resolved_by")
    search_fields = ("comment", "reporter__username")
    ordering = ("-created", "-pk")
    fields = (
        "post",
        "reason",
        "comment",
        "reporter",
        "false_reports",
        "down_weighted",
        "created",
        "resolved",
        "resolved_by",
        "outcome",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return selectors.with_false_reports(super().get_queryset(request))

    @admin.display(description="reporter's false reports", ordering="reporter_false_reports")
    def false_reports(self, obj):
        return obj.reporter_false_reports

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


class AuditedSettingsAdmin(admin.ModelAdmin):
    """Administrators' settings: every save and delete lands in the audit log with the row
    before and after, like the moderators' decisions."""

    audit_fields: tuple[str, ...] = ()

    def save_model(self, request, obj, form, change):
        old = type(obj).objects.filter(pk=obj.pk).first() if change else None
        with transaction.atomic():
            before = services.snapshot(old, self.audit_fields)
            super().save_model(request, obj, form, change)
            services.audit(
                actor=request.user,
                action=f"{obj._meta.model_name}.{'change' if change else 'add'}",
                target=obj,
                before=before,
                after=services.snapshot(obj, self.audit_fields),
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            before = services.snapshot(obj, self.audit_fields)
            services.audit(
                actor=request.user,
                action=f"{obj._meta.model_name}.delete",
                target=obj,
                before=before,
                after={},
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ModeratorsAdminMixin:
    """Pages that moderators use by their role (forum.policy), not by model permissions."""

    def has_module_permission(self, request):
        return policy.can_moderate(request.user)

    def has_view_permission(self, request, obj=None):
        return policy.can_moderate(request.user)

    def has_add_permission(self, request):
        return policy.can_moderate(request.user)

    def has_change_permission(self, request, obj=None):
        return policy.can_moderate(request.user)

    def has_delete_permission(self, request, obj=None):
        return policy.can_moderate(request.user)


class OnDutyFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return (("now", "On duty now"), ("upcoming", "Upcoming"), ("past", "Past"))

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "now":
            return queryset.filter(starts__lte=now, ends__gt=now)
        if self.value() == "upcoming":
            return queryset.filter(starts__gt=now)
        if self.value() == "past":
            return queryset.filter(ends__lte=now)
        return queryset


@admin.register(DutyShift)
class DutyShiftAdmin(ModeratorsAdminMixin, AuditedSettingsAdmin):
    """The rota: moderators arrange who is on duty when; urgent posts are alerted to them
    (moderation.tasks.urgent_alert). Each change is audited like the administrators' settings."""

    audit_fields = ("id", "moderator", "starts", "ends", "note")
    list_display = ("moderator", "starts", "ends", "note", "on_duty_now")
    list_filter = (OnDutyFilter,)
    list_select_related = ("moderator",)
    search_fields = ("moderator__username", "note")
    ordering = ("-starts", "-pk")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "moderator":
            kwargs["queryset"] = selectors.moderators().order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(boolean=True, description="on duty now")
    def on_duty_now(self, obj):
        return obj.starts <= timezone.now() < obj.ends


def notice_preview(severity: str, text: str) -> str:
    """A notice as members will read it (the thread page's own template, autoescaped: safe to
    show as is), unconfirmed, with the crisis line urgent notices carry."""
    notice = Notice(severity=severity, text=text, confirmed=False)
    return render_to_string(
        "moderation/_notice.html",
        {"notice": notice, "crisis_line": settings.STOA["CRISIS_LINE"]},
    )


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(AuditedSettingsAdmin):
    """Administrators' wording of the notice. New notices use it; existing ones keep theirs."""

    list_display = ("severity", "text", "updated")
    audit_fields = ("severity", "text")
    readonly_fields = ("preview",)

    class Media:
        css = {"all": ["moderation/admin.css"]}

    @admin.display(description="how members read it (saved text)")
    def preview(self, obj):
        if obj.pk is None:
            return "Save to see the preview."
        return notice_preview(obj.severity, obj.text)


@admin.register(CategorySettings)
class CategorySettingsAdmin(AuditedSettingsAdmin):
    list_display = ("category", "notices_enabled", "threshold", "own_wording")
    list_select_related = ("category",)
    audit_fields = ("category", "notices_enabled", "threshold", "advice_text", "urgent_text")
    readonly_fields = ("preview",)

    class Media:
        css = {"all": ["moderation/admin.css"]}

    @admin.display(description="own wording", boolean=True)
    def own_wording(self, obj):
        return bool(obj.advice_text or obj.urgent_text)

    @admin.display(description="how members read its notices (saved text)")
    def preview(self, obj):
        if obj.pk is None:
            return "Save to see the preview."
        return format_html_join(
            "",
            "{}",
            (
                (notice_preview(s, services.notice_text(s, category_settings=obj)),)
                for s in services.NOTICE_SEVERITIES
            ),
        )


class SanctionAddForm(forms.ModelForm):
    """Warn or suspend a member by username (moderators cannot browse the user admin)."""

    username = forms.CharField(label="Member's username", max_length=150)
    measure = forms.ChoiceField(
        label="Sanction",
        choices=[
            ("warn", "Warn (the member is shown your text)"),
            ("1d", "Suspend for 1 day"),
            ("3d", "Suspend for 3 days"),
            ("7d", "Suspend for 7 days"),
            ("30d", "Suspend for 30 days"),
            ("indefinite", "Suspend until a moderator lifts it"),
        ],
    )

    class Meta:
        model = Sanction
        fields = ("reason",)
        help_texts = {"reason": "Shown to the member, with the end of a suspension."}

    def __init__(self, *args, moderator=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.moderator = moderator

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        member = User.objects.filter(username__iexact=username).first()
        if member is None:
            raise ValidationError("No member has this username.")
        try:
            sanctions.check_can_sanction(self.moderator, member)
        except PermissionDenied as exc:
            raise ValidationError(str(exc)) from None
        self.cleaned_data["member"] = member
        return username


@admin.register(Sanction)
class SanctionAdmin(ModeratorsAdminMixin, admin.ModelAdmin):
    """Warnings and suspensions: written through moderation.sanctions (checked, audited),
    never edited; a suspension is ended early with the "Lift" action."""

    list_display = ("member", "kind", "reason_excerpt", "created", "created_by", "ends", "state")
    list_filter = ("kind", ("lifted", admin.EmptyFieldListFilter))
    list_select_related = ("member", "created_by", "lifted_by")
    search_fields = ("member__username", "reason")
    ordering = ("-created", "-pk")
    actions = ("lift",)
    readonly_fields = (
        "member",
        "kind",
        "reason",
        "created",
        "created_by",
        "ends",
        "lifted",
        "lifted_by",
    )

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_lift_permission(self, request):
        return policy.can_moderate(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)

        class Form(SanctionAddForm):
            def __init__(self, *args, **kw):
                super().__init__(*args, moderator=request.user, **kw)

        return Form

    def get_fields(self, request, obj=None):
        return ("username", "measure", "reason") if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_changeform_initial_data(self, request):
        return {"username": request.GET.get("member", "")}

    def save_model(self, request, obj, form, change):
        member = form.cleaned_data["member"]
        measure = form.cleaned_data["measure"]
        reason = form.cleaned_data["reason"]
        sanction = sanctions.member_sanction(
            moderator=request.user, member=member, measure=measure, reason=reason
        )
        # The admin goes on to log and link the object it was given.
        obj.pk = sanction.pk
        obj.__dict__.update({k: v for k, v in sanction.__dict__.items() if k != "_state"})
        obj._state.adding = False

    def log_addition(self, request, obj, message):
        # The audit log has the record (moderation.sanctions); the admin's own history would
        # be a second, editable copy.
        return None

    @admin.action(description="Lift the member's suspension now", permissions=["lift"])
    def lift(self, request, queryset):
        members = {s.member_id: s.member for s in queryset.select_related("member")}
        return _run(
            self,
            request,
            members.values(),
            lambda m: sanctions.suspension_lift(moderator=request.user, member=m),
            "Suspensions lifted",
        )

    @admin.display(description="reason")
    def reason_excerpt(self, obj):
        return _excerpt(obj.reason)

    @admin.display(description="state")
    def state(self, obj):
        if obj.kind == Sanction.Kind.WARNING:
            return "warning"
        if obj.lifted is not None:
            return f"lifted {obj.lifted:%Y-%m-%d %H:%M}"
        if obj.in_force:
            return "in force" if obj.ends else "in force, until lifted"
        return "ended"


class RescanJobForm(forms.ModelForm):
    class Meta:
        model = RescanJob
        fields = ("since", "batch_size")

    def clean_batch_size(self):
        size = self.cleaned_data["batch_size"]
        if not 1 <= size <= 5000:
            raise ValidationError("Between 1 and 5,000 posts per batch.")
        return size


@admin.register(RescanJob)
class RescanJobAdmin(BatchJobAdmin):
    """Re-screen existing posts with the current detector, run by the workers in batches; a
    new model starts one by itself (moderation.tasks.rescan_for_new_model)."""

    form = RescanJobForm
    creation_fields = ("since", "batch_size")
    step_task = tasks.rescan_step
    list_display = (
        "created",
        "status",
        "progress",
        "written",
        "flagged_change",
        "detector_version",
        "created_by",
        "updated",
    )

    @admin.display(description="flagged posts")
    def flagged_change(self, job):
        after = "…" if job.flagged_after is None else f"{job.flagged_after:,}"
        return f"{job.flagged_before:,} → {after}"

    def start(self, request, obj):
        return rescans.job_start(since=obj.since, batch_size=obj.batch_size, actor=request.user)
