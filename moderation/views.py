"""Members' side of moderation: reporting a post. Thin: parse input, call a service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from forum import selectors as forum_selectors
from moderation import services
from moderation.forms import ReportForm

REPORTS_PER_HOUR = 10
WINDOW_SECONDS = 3600
RATE_KEY = "moderation:report-rate:{}"


def reports_per_hour() -> int:
    return settings.STOA.get("REPORTS_PER_HOUR", REPORTS_PER_HOUR)


def report_throttled(user) -> bool:
    """Count one report attempt for the member; True once they are past the hourly limit.

    A fixed window in the shared cache (Redis when REDIS_URL is set, so every worker sees the
    same count); ``cache.incr`` is atomic there, so parallel posts cannot slip past the limit.
    """
    key = RATE_KEY.format(user.pk)
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        count = 1
    return count > reports_per_hour()


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def report_create(request: HttpRequest, pk: int) -> HttpResponse:
    # Posts the member cannot read are 404, as on every other page: nothing to learn here.
    post = get_object_or_404(
        forum_selectors.visible_posts(user=request.user).select_related("thread"), pk=pk
    )
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if report_throttled(request.user):
            form.add_error(None, "You have sent a lot of reports; please try again later.")
            status = 429
        else:
            try:
                services.report_create(
                    reporter=request.user,
                    post=post,
                    reason=form.cleaned_data["reason"],
                    comment=form.cleaned_data["comment"],
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, "Thank you: the moderators will look at this post.")
                return redirect(post)
    return render(
        request, "moderation/report_form.html", {"post": post, "form": form}, status=status
    )
