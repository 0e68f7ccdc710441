"""Server-rendered pages for members. Thin: parse input, call a service, render."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.requests import AuthenticatedHttpRequest
from core import throttles
from forum import fragments, policy, quotes, selectors, services
from forum.content import prepare_post_content
from forum.forms import (
    NotificationReadForm,
    PostForm,
    SearchForm,
    SubscriptionForm,
    ThreadForm,
    ThreadMoveForm,
    ThreadTitleForm,
    add_service_errors,
)
from forum.markup import plain_excerpt
from forum.models import Category, Notification, Post, Thread

NOTIFICATIONS_PER_PAGE = 30


def _throttled(request: HttpRequest, form, kind=throttles.POSTING) -> float | None:
    """Count a posting (or editing) attempt, shared with the API; on refusal, say so on the
    form."""
    wait = throttles.throttle_wait(request, kind)
    if wait is not None:
        doing = "editing" if kind is throttles.EDITING else "posting"
        form.add_error(None, f"You are {doing} too fast. Please wait a minute and try again.")
    return wait


def _render_form(request, template, context, wait: float | None) -> HttpResponse:
    response = render(request, template, context, status=200 if wait is None else 429)
    if wait is not None:
        response["Retry-After"] = str(math.ceil(wait))
    return response


def _preview(request: AuthenticatedHttpRequest, form) -> str | None:
    """The HTML a post would be stored with, for the Preview button: the same cleaning, checks
    and rendering as a save, and nothing written or counted against the posting limits."""
    if "preview" not in request.POST or not form.is_valid():
        return None
    try:
        body = services.clean_body(form.cleaned_data["body"])
        return prepare_post_content(body=body, author=request.user).html
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "forum/index.html",
        {
            "categories": selectors.category_list(),
            "threads": selectors.thread_list(user=request.user)[
                : settings.STOA["THREADS_PER_PAGE"]
            ],
        },
    )


def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    page = Paginator(
        selectors.thread_list(category=category, user=request.user),
        settings.STOA["THREADS_PER_PAGE"],
    ).get_page(request.GET.get("page"))
    return render(request, "forum/category.html", {"category": category, "page": page})


def _post_url(thread: Thread, number: int) -> str:
    """Where post `number` of the thread is shown: its page, at its anchor."""
    page = (number - 1) // settings.STOA["POSTS_PER_PAGE"] + 1
    query = f"?page={page}" if page > 1 else ""
    return f"{thread.get_absolute_url()}{query}#post-{number}"


def thread_detail(request: HttpRequest, pk: int, slug: str | None = None) -> HttpResponse:
    user = request.user
    thread = selectors.thread_for_reader(pk=pk, user=user)
    if slug != thread.slug:
        # The short or an old URL: keep the query (?page=2) on the way to the canonical one.
        query = request.META.get("QUERY_STRING", "")
        return redirect(
            f"{thread.get_absolute_url()}{'?' + query if query else ''}", permanent=True
        )
    page = selectors.thread_page(
        thread=thread,
        user=user,
        page=request.GET.get("page"),
        per_page=settings.STOA["POSTS_PER_PAGE"],
    )
    # What each post shows and offers is asked of forum.policy by the template
    # (post|capabilities:user), exactly as the API's serializer asks it.
    thread_caps = policy.thread_capabilities(user, thread)
    context = {
        "thread": thread,
        "page": page,
        "form": PostForm(),
        "thread_caps": thread_caps,
        # The in-thread tools (lock, pin, move) are for moderators only.
        "move_form": (
            ThreadMoveForm(initial={"category": thread.category_id})
            if policy.can_moderate(user)
            else None
        ),
        # Annotated by selectors.thread_for_reader (read with the thread, for a member).
        "subscription": getattr(thread, "subscription_level", None)
        if policy.can_follow(user)
        else None,
        "thread_bookmarked": policy.can_follow(user) and getattr(thread, "bookmarked", False),
    }
    fragments.prepare(page, user=user, thread_caps=thread_caps)
    if policy.can_follow(user) and page.object_list:
        # Reading a page moves the read position and settles notifications about its posts,
        # writing only what changes: most views of a page write nothing.
        services.thread_read_through(
            user=user,
            thread=thread,
            number=page[len(page) - 1].number,
            current=getattr(thread, "read_through", None),
        )
        # The header's count, which also says whether anything on the page may be unread.
        unread = selectors.header_unread_count(user=user)
        if unread and services.notifications_mark_read(
            user=user, post_ids=[post.pk for post in page]
        ):
            unread = selectors.header_unread_count(user=user)  # under the moved version
        context["unread_notifications"] = unread
    return render(request, "forum/thread.html", context)


# The subscription form's choices, by the service that makes each one.
_SUBSCRIBE = {
    "watching": services.thread_subscribe,
    "normal": services.thread_unsubscribe,
    "muted": services.thread_mute,
}


@login_required
@require_POST
def thread_subscription(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Watch, mute or neither, from the thread page; back to where the member was."""
    thread = get_object_or_404(Thread, pk=pk)
    form = SubscriptionForm(request.POST)
    if not form.is_valid():
        raise BadRequest("Choose to watch the thread, mute it, or neither.")
    level = form.cleaned_data["level"]
    _SUBSCRIBE[level](user=request.user, thread=thread)
    messages.success(
        request,
        {
            "watching": "You are watching this thread: every reply will notify you.",
            "normal": "You will be notified here only when someone quotes or mentions you.",
            "muted": "Thread muted: nothing in it will notify you.",
        }[level],
    )
    page = request.POST.get("page", "")
    query = f"?page={page}" if page.isascii() and page.isdigit() and page != "1" else ""
    return redirect(f"{thread.get_absolute_url()}{query}")


def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A permalink: the page of the thread that holds the post, at its anchor."""
    post = get_object_or_404(Post.objects.select_related("thread"), pk=pk)
    return redirect(_post_url(post.thread, post.number))


def thread_unread(request: HttpRequest, pk: int) -> HttpResponse:
    """The member's first unread post of the thread (the first post for visitors)."""
    thread = get_object_or_404(Thread, pk=pk)
    return redirect(
        _post_url(thread, selectors.first_unread_number(thread=thread, user=request.user))
    )


@login_required
def thread_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    form = ThreadForm(request.POST or None)
    wait = None
    preview = _preview(request, form) if request.method == "POST" else None
    if "preview" in request.POST:
        pass
    elif request.method == "POST" and form.is_valid() and not (wait := _throttled(request, form)):
        try:
            thread = services.thread_create(
                author=request.user,
                category=category,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(thread)
    return _render_form(
        request,
        "forum/thread_form.html",
        {"category": category, "form": form, "preview": preview},
        wait,
    )


@login_required
@require_http_methods(["GET", "POST"])
def thread_rename(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The author (or a moderator) gives the thread a new title; the service checks the
    policy again under the thread's lock and keeps search and screening current."""
    thread = get_object_or_404(Thread.objects.select_related("category"), pk=pk)
    if not policy.can_edit_thread_title(request.user, thread):
        raise PermissionDenied
    form = ThreadTitleForm(request.POST or None, initial={"title": thread.title})
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.thread_edit_title(
                actor=request.user, thread=thread, title=form.cleaned_data["title"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The thread is renamed.")
            return redirect(thread)
    return render(
        request,
        "forum/thread_rename.html",
        {"thread": thread, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_reply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=pk)
    if request.method == "GET":
        # The "Quote" link: the reply form pre-filled with what the member may read of a post
        # the policy lets them quote; anything else is a 404, whether it exists or not.
        initial = {}
        if "quote" in request.GET:
            raw = request.GET["quote"]
            quoted = None
            if raw.isascii() and raw.isdigit() and len(raw) <= 18:
                quoted = selectors.post_queryset().filter(pk=int(raw)).first()
            if quoted is None or not policy.can_quote_post(request.user, quoted):
                raise Http404
            initial["body"] = quotes.quote_markup(post=quoted, user=request.user)
        form = PostForm(initial=initial)
        return render(
            request, "forum/post_form.html", {"thread": thread, "form": form, "action": "reply"}
        )
    form = PostForm(request.POST)
    wait = None
    status = None
    preview = _preview(request, form)
    if "preview" in request.POST:
        pass
    elif form.is_valid() and not (wait := _throttled(request, form)):
        try:
            post = services.post_reply(
                author=request.user, thread=thread, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            # Locked (or the member restricted) while they were typing: keep their text, say
            # why, and let them copy it.
            form.add_error(None, str(exc) or "You cannot reply to this thread.")
            status = 403
        else:
            return redirect(post)
    response = _render_form(
        request,
        "forum/post_form.html",
        {"thread": thread, "form": form, "action": "reply", "preview": preview},
        wait,
    )
    if status is not None:
        response.status_code = status
    return response


@login_required
def post_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(selectors.post_queryset(), pk=pk)
    if not policy.can_edit_post(request.user, post):
        raise PermissionDenied
    # What the editor may read of it, as in the API's `body`: quotes of posts hidden since
    # are cut out (saving then drops them, which readers already see as removed).
    initial = {"body": quotes.readable_source(post, request.user)}
    form = PostForm(request.POST or None, initial=initial)
    preview = _preview(request, form) if request.method == "POST" else None
    wait = None
    if "preview" in request.POST:
        pass
    elif (
        request.method == "POST"
        and form.is_valid()
        and not (wait := _throttled(request, form, throttles.EDITING))
    ):
        try:
            services.post_edit(editor=request.user, post=post, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(post)
    return _render_form(
        request,
        "forum/post_form.html",
        {"thread": post.thread, "post": post, "form": form, "action": "edit", "preview": preview},
        wait,
    )


@login_required
@require_POST
def post_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread"), pk=pk)
    if "confirm" not in request.POST:
        # The Delete button asks first; the page works without JavaScript.
        if not policy.can_delete_post(request.user, post):
            raise PermissionDenied
        return render(request, "forum/post_delete.html", {"post": post, "thread": post.thread})
    services.post_delete(actor=request.user, post=post)
    messages.success(request, "Your post was deleted. You can undo this from the thread.")
    return redirect(post)


@login_required
@require_POST
def post_undelete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread"), pk=pk)
    services.post_undelete(actor=request.user, post=post)
    messages.success(request, "Your post is back.")
    return redirect(post)


@login_required
@require_POST
def post_hide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A moderator hides a post from the thread page (the service checks and audits it)."""
    post = get_object_or_404(Post.objects.select_related("thread"), pk=pk)
    services.post_hide(actor=request.user, post=post)
    messages.success(request, "The post is hidden.")
    return redirect(post)


@login_required
@require_POST
def post_restore(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread"), pk=pk)
    services.post_restore(actor=request.user, post=post)
    messages.success(request, "The post is restored.")
    return redirect(post)


# In-thread tools for moderators: each posts to a forum service (checked by forum.policy,
# audited there); a change that would change nothing says so and records nothing.


def _moderate_thread(
    request: AuthenticatedHttpRequest, pk: int, *, field: str, service, done: tuple[str, str]
):
    thread = get_object_or_404(Thread, pk=pk)
    if not policy.can_moderate(request.user):
        raise PermissionDenied("Only moderators can do this.")
    wanted = request.POST.get(field) == "1"
    if getattr(thread, f"is_{field}") == wanted:
        messages.info(request, f"Nothing to change: the thread is {done[wanted]} already.")
    else:
        service(actor=request.user, thread=thread, **{field: wanted})
        messages.success(request, f"The thread is {done[wanted]}.")
    return redirect(thread)


@login_required
@require_POST
def thread_lock(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _moderate_thread(
        request, pk, field="locked", service=services.thread_lock, done=("open", "locked")
    )


@login_required
@require_POST
def thread_pin(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _moderate_thread(
        request, pk, field="pinned", service=services.thread_pin, done=("unpinned", "pinned")
    )


@login_required
@require_POST
def thread_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(Thread.objects.select_related("category"), pk=pk)
    if not policy.can_moderate(request.user):
        raise PermissionDenied("Only moderators can do this.")
    form = ThreadMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a category to move the thread to.")
        return redirect(thread)
    category = form.cleaned_data["category"]
    if category.pk == thread.category_id:
        messages.info(request, f"Nothing to change: the thread is in {category.name} already.")
    else:
        thread = services.thread_move(actor=request.user, thread=thread, category=category)
        messages.success(request, f"The thread is moved to {category.name}.")
    return redirect(thread)


def post_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Earlier versions of a post, for those the policy lets see them; a 404 for others,
    as for a post that does not exist."""
    post = get_object_or_404(selectors.post_queryset(), pk=pk)
    if not policy.can_view_revisions(request.user, post):
        raise Http404
    revisions = selectors.post_versions(post=post, user=request.user)
    return render(request, "forum/post_history.html", {"post": post, "versions": revisions})


def search(request: HttpRequest) -> HttpResponse:
    """The search page: the same search, filters and messages as the API's."""
    form = SearchForm(request.GET if "q" in request.GET else None)
    context: dict[str, object] = {"form": form, "page": None, "query": ""}
    if not form.is_bound:
        return render(request, "forum/search.html", context)
    wait = throttles.throttle_wait(request, throttles.SEARCHING)
    if wait is not None:
        form.add_error(None, "You are searching too fast. Please wait a minute and try again.")
        return _render_form(request, "forum/search.html", context, wait)
    status = 200
    page: selectors.SearchPage | None = None
    if form.is_valid():
        context["query"] = form.cleaned_data["q"]
        try:
            context["page"] = page = selectors.search_posts(
                user=request.user,
                query=form.cleaned_data["q"],
                filters=form.filters(),
                cursor=form.cleaned_data["cursor"] or None,
                limit=settings.STOA["POSTS_PER_PAGE"],
                full=False,  # titles and snippets: no notices, quotes or reactions
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    if form.errors:
        status = 400
    if page is not None and page.next_cursor:
        params = request.GET.copy()
        params["cursor"] = page.next_cursor
        context["next_url"] = f"?{params.urlencode()}"
    return render(request, "forum/search.html", context, status=status)


def _add_excerpts(page) -> None:
    for notification in page:
        if notification.kind in (Notification.Kind.MODERATION, Notification.Kind.REACTION):
            # The moderators' words only: the post may be hidden from its reader by now. For
            # reactions, how many members reacted.
            notification.excerpt = notification.message
        else:
            notification.excerpt = plain_excerpt(notification.post.html)


@login_required
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(
        selectors.notification_list(user=request.user), NOTIFICATIONS_PER_PAGE
    ).get_page(request.GET.get("page"))
    _add_excerpts(page)
    return render(
        request, "forum/notifications.html", {"page": page, "form": NotificationReadForm()}
    )


@login_required
@require_POST
def notification_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Mark one notification (`id`) or all of them (`all`) read, then back to the list."""
    form = NotificationReadForm(request.POST)
    if not form.is_valid():
        page = Paginator(
            selectors.notification_list(user=request.user), NOTIFICATIONS_PER_PAGE
        ).get_page(1)
        _add_excerpts(page)
        return render(request, "forum/notifications.html", {"page": page, "form": form}, status=400)
    ids = None if form.cleaned_data["all"] else [form.cleaned_data["id"]]
    services.notifications_mark_read(user=request.user, ids=ids)
    return redirect(form.cleaned_data["next"] or "forum:notifications")


# Form fields whose text a member typed, given back on the expired-form page.
_KEPT_FIELDS = ("title", "body")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The CSRF failure page, in the layout: nothing was saved, and a form's text comes back
    in a fresh form (new token) so an expired form does not lose a long post."""
    kept = [
        (name, request.POST[name][: settings.STOA["POST_MAX_LENGTH"]])
        for name in _KEPT_FIELDS
        if request.method == "POST" and request.POST.get(name)
    ]
    return render(request, "csrf_failure.html", {"kept": kept}, status=403)


# Members' social tools: reactions, bookmarks, blocks, and the lists of what they keep. Every
# button is a form that works without JavaScript (forum/static/forum/social.js only saves the
# page reload); each says in a field whether it turns the thing on or off, so a form sent twice
# does what it said once.


def _wants_on(request: HttpRequest) -> bool:
    value = request.POST.get("on")
    if value not in ("0", "1"):
        raise BadRequest("Say whether to turn it on or off.")
    return value == "1"


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _readable_post(request: HttpRequest, pk: int) -> Post:
    """A post the member may read; a 404 for others, as for one that does not exist."""
    post = get_object_or_404(Post.objects.select_related("thread"), pk=pk)
    if not policy.can_view_post(request.user, post):
        raise Http404
    return post


@login_required
@require_POST
def post_react(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = _readable_post(request, pk)
    on = _wants_on(request)
    wait = throttles.throttle_wait(request, throttles.REACTING)
    if wait is not None:
        response = render(
            request,
            "429.html",
            {
                "message": "You are reacting too fast. Please wait a minute and try again.",
                "back_url": post.get_absolute_url(),
            },
            status=429,
        )
        response["Retry-After"] = str(math.ceil(wait))
        return response
    try:
        services.post_react(
            user=request.user, post=post, kind=request.POST.get("kind", ""), active=on
        )
    except ValidationError as exc:
        raise BadRequest(" ".join(exc.messages)) from None
    if _wants_json(request):
        post = selectors.post_queryset(request.user).get(pk=post.pk)
        return JsonResponse(
            {
                "post": post.pk,
                "reactions": [
                    {"kind": r.kind, "count": r.count, "reacted": r.reacted}
                    for r in selectors.post_reactions(post)
                ],
            }
        )
    return redirect(post)


@login_required
@require_POST
def post_bookmark(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = _readable_post(request, pk)
    if _wants_on(request):
        services.bookmark_add(user=request.user, thread=post.thread, post=post)
        messages.success(request, f"Post #{post.number} is in your bookmarks.")
    else:
        services.bookmark_remove(user=request.user, thread=post.thread, post=post)
        messages.success(request, f"Post #{post.number} is out of your bookmarks.")
    return redirect("forum:bookmarks" if request.POST.get("next") == "bookmarks" else post)


@login_required
@require_POST
def thread_bookmark(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=pk)
    if _wants_on(request):
        services.bookmark_add(user=request.user, thread=thread)
        messages.success(request, "The thread is in your bookmarks.")
    else:
        services.bookmark_remove(user=request.user, thread=thread)
        messages.success(request, "The thread is out of your bookmarks.")
    return redirect("forum:bookmarks" if request.POST.get("next") == "bookmarks" else thread)


BOOKMARKS_PER_PAGE = 30


@login_required
def bookmark_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.bookmark_list(user=request.user), BOOKMARKS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "forum/bookmarks.html", {"page": page})


@login_required
def following(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(
        selectors.followed_threads(user=request.user), settings.STOA["THREADS_PER_PAGE"]
    ).get_page(request.GET.get("page"))
    return render(request, "forum/following.html", {"page": page})


@login_required
@require_POST
def member_block(request: AuthenticatedHttpRequest, username: str) -> HttpResponse:
    """Block or unblock from the member's profile (or the list of blocked members)."""
    member = get_object_or_404(User, username=username, is_active=True)
    if _wants_on(request):
        services.member_block(user=request.user, member=member)
        messages.success(
            request,
            f"You blocked {member.name}: their posts are collapsed for you and nothing they "
            "write notifies you.",
        )
    else:
        services.member_unblock(user=request.user, member=member)
        messages.success(request, f"You unblocked {member.name}.")
    if request.POST.get("next") == "blocked":
        return redirect("forum:blocked")
    return redirect(member)


@login_required
def blocked_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Account settings: the members one blocked, each with an Unblock button."""
    return render(
        request, "forum/blocked.html", {"blocks": selectors.blocked_members(user=request.user)}
    )
