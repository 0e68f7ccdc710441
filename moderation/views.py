"""Members' side of moderation: reporting a post. Thin: parse input, call a service, render."""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.requests import AuthenticatedHttpRequest
from core import throttles
from forum import policy, quotes
from forum import selectors as forum_selectors
from forum.forms import add_service_errors
from moderation import services
from moderation.forms import ReportForm


@login_required
def report_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # Posts the member may not report are 404, as on every other page: nothing to learn here.
    post = get_object_or_404(forum_selectors.visible_posts(user=request.user), pk=pk)
    if not policy.can_report_post(request.user, post):
        raise Http404
    form = ReportForm(request.POST or None)
    status = 200
    wait = None
    if request.method == "POST" and form.is_valid():
        wait = throttles.throttle_wait(request, throttles.REPORTING)
        if wait is not None:
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
                add_service_errors(form, exc)
            else:
                messages.success(request, "Thank you: the moderators will look at this post.")
                return redirect(post)
    response = render(
        request,
        "moderation/report_form.html",
        # What the member may read of the post, never its raw source: a quote of a post
        # hidden since is cut out, as on the thread page.
        {"post": post, "form": form, "preview": quotes.readable_source(post, request.user)},
        status=status,
    )
    if wait is not None:
        response["Retry-After"] = str(math.ceil(wait))
    return response
