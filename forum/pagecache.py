"""Anonymous pages and API reads served from the cache, never stale after a write.

Every cached answer is keyed by the *content version*, one counter in the shared cache that
every write to what readers see moves forward: a saved or deleted row of a watched model
(categories, threads, posts, member profiles; moderation adds its notices through `watch`)
bumps it when the write happens and again when its transaction commits. The second bump is
what makes a page rendered between the write and its commit, from the old rows, unreachable;
the first lets code running inside one transaction read its own writes. An entry is never
invalidated one by one: a bump makes all of them unreachable, and they expire.

Only requests that carry no identity are served from or stored in the cache: no session or
messages cookie, no Authorization header. A response that sets a cookie (a CSRF token, a
message) or is not a 200 is never stored. Pages answer If-None-Match with a 304 before the
view runs, from an ETag made of the version and the URL.

The cache must be shared by every process that serves pages (Redis, REDIS_URL): with a
per-process cache, a write in one process would not reach the others. So it is on by
default only with REDIS_URL (STOA["PAGE_CACHE_SECONDS"], 0 turns it off).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

from core import cache as shared_cache

VERSION_KEY = "content-version"
# The pages and API reads whose anonymous answer is the same for every anonymous reader.
CACHED_VIEWS = frozenset(
    {
        "forum:index",
        "forum:category",
        "forum:thread",
        "forum:thread_short",
        "forum:post",
        # A search: the same answer for every anonymous reader of the URL until the content
        # changes (what is found, titles, snippets, authors' names). A hit costs no search,
        # so it is not counted by the search throttle either.
        "forum:search",
        "accounts:profile",
        "api:categories",
        "api:threads",
        "api:thread",
        "api:thread_posts",
        "api:post",
        "api:profile",
    }
)
# Profile fields shown on pages; a save touching only others (last_seen, password) is no
# change readers can see.
_USER_FIELDS = frozenset(
    {"username", "display_name", "avatar", "signature", "bio", "location", "website"}
)
_USER_FIELDS |= {"is_staff", "is_superuser", "is_active"}


def seconds() -> int:
    return int(settings.STOA.get("PAGE_CACHE_SECONDS", 0))


def _counters(*keys: str) -> list[int]:
    """The counters at `keys`, read together. One missing starts from the clock, not from 1:
    if a counter is evicted while pages are not, the new count is past every version those
    pages were stored under (and if it is evicted again in between, this read uses the clock)."""
    found = cache.get_many(keys)
    if len(found) < len(keys):
        start = int(time.time() * 1000)
        for key in keys:
            if key not in found:
                cache.add(key, start, timeout=None)
        found = {**dict.fromkeys(keys, start), **cache.get_many(keys)}
    return [int(found[key]) for key in keys]


def version() -> int:
    return _counters(VERSION_KEY)[0]


def _bump_counters(keys: Iterable[str]) -> None:
    """Move the content version and readers' versions at `keys` forward, in one round trip
    (core.cache.incr_existing). A missing content version starts one past every stored page
    (version() starts it from the clock); a reader without a counter starts one at their next
    read."""
    if shared_cache.incr_existing(keys).get(VERSION_KEY, 0) is None:
        version()


def bump() -> None:
    _bump_counters([VERSION_KEY])


def _bump_at_commit(keys: Iterable[str]) -> None:
    """Bump `keys` again once the transaction commits: one round trip for the bumps of the
    transaction (a reply moves the content version and its author's), not one per write. The
    keys join a callback registered under the same savepoints, which runs exactly when a
    callback of their own would (a rolled-back savepoint drops both)."""
    keys = set(keys)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        savepoints = set(connection.savepoint_ids)
        for registered_under, callback, _ in connection.run_on_commit:
            batch = getattr(callback, "pagecache_keys", None)
            if batch is not None and registered_under == savepoints:
                batch |= keys
                return

    def flush() -> None:
        _bump_counters(keys)

    flush.pagecache_keys = keys  # type: ignore[attr-defined]
    transaction.on_commit(flush)


def content_changed() -> None:
    """Call after a write readers can see that no watched model's save reports (bulk
    inserts, queryset updates)."""
    bump()
    _bump_at_commit([VERSION_KEY])


def _on_save(sender, instance, update_fields=None, **kwargs) -> None:
    unseen = update_fields is not None and not _USER_FIELDS & set(update_fields)
    if sender._meta.label == settings.AUTH_USER_MODEL and unseen:
        return
    content_changed()


def _on_delete(sender, instance, **kwargs) -> None:
    content_changed()


def watch(model) -> None:
    """Every save and delete of `model` changes what readers see."""
    post_save.connect(_on_save, sender=model, dispatch_uid=f"pagecache-save-{model._meta.label}")
    post_delete.connect(
        _on_delete, sender=model, dispatch_uid=f"pagecache-delete-{model._meta.label}"
    )


def _anonymous(request: HttpRequest) -> bool:
    return not (
        settings.SESSION_COOKIE_NAME in request.COOKIES
        or "messages" in request.COOKIES
        or "HTTP_AUTHORIZATION" in request.META
    )


def _cached_view(request: HttpRequest, views: frozenset[str] = CACHED_VIEWS) -> bool:
    try:
        return resolve(request.path_info).view_name in views
    except Resolver404:
        return False


def _key(request: HttpRequest, current: int) -> tuple[str, str]:
    """The cache key and the page's ETag: the same URL, host and Accept at one version."""
    parts = "\0".join(
        (request.get_host(), request.get_full_path(), request.META.get("HTTP_ACCEPT", ""))
    )
    digest = hashlib.sha256(parts.encode()).hexdigest()[:32]
    return f"page:{current}:{digest}", f'W/"{current}-{digest[:16]}"'


def _matches(request: HttpRequest, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or etag in tags or etag.removeprefix("W/") in tags


def _pack(response: HttpResponse) -> dict[str, Any]:
    return {"content": response.content, "headers": list(response.headers.items())}


def _unpack(stored: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(stored["content"])
    for name, value in stored["headers"]:
        response.headers[name] = value
    return response


class AnonymousPageCacheMiddleware:
    """Serves CACHED_VIEWS to anonymous readers from the cache (see the module's doc).
    Sits right after SecurityMiddleware: a hit needs no session, user or view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timeout = seconds()
        if (
            not timeout
            or request.method not in ("GET", "HEAD")
            or not _anonymous(request)
            or not _cached_view(request)
        ):
            return self.get_response(request)
        key, page_etag = _key(request, version())
        stored = cache.get(key)
        if stored is not None:
            etag = dict(stored["headers"]).get("ETag", "")
            if etag and _matches(request, etag):
                return HttpResponseNotModified(headers={"ETag": etag})
            response = _unpack(stored)
            response["X-Page-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            patch_vary_headers(response, ("Cookie", "Authorization"))
            if not response.has_header("ETag"):  # the API's own ETags hash their body
                response["ETag"] = page_etag
                response["Cache-Control"] = "no-cache"
            cache.set(key, _pack(response), timeout)
            response["X-Page-Cache"] = "miss"
            if _matches(request, response["ETag"]):
                return HttpResponseNotModified(headers={"ETag": response["ETag"]})
        return response


# --- signed-in readers ------------------------------------------------------------------------
#
# A signed-in reader's page shows the content and what is theirs: their unread counts and read
# positions, notifications, subscriptions, bookmarks, blocks, reactions, their account and its
# roles. Each member has a *reader version* of their own, moved forward (as the content version
# is, at the write and again at its commit) by every write to those: the saves and deletes of
# the models registered with `watch_reader`, and `readers_changed` where a bulk write sends no
# signal. Their pages are keyed by both versions, their session and their CSRF cookie (the
# page's forms carry a token for it), and answer If-None-Match with a 304 before the view.

# The HTML pages kept per signed-in reader.
READER_VIEWS = frozenset({"forum:index", "forum:category", "forum:thread", "forum:search"})


def _reader_key(user_id: int) -> str:
    return f"reader-version:{user_id}"


def _versions(user_id: int) -> tuple[int, int]:
    """The content version and the reader's, read together."""
    content, reader = _counters(VERSION_KEY, _reader_key(user_id))
    return content, reader


def readers_changed(user_ids) -> None:
    """What these members see of their own changed (read positions, notifications...): call
    after a write that no model's save reports (bulk inserts, queryset updates)."""
    keys = {_reader_key(int(pk)) for pk in user_ids if pk is not None}
    if keys:
        # No counter yet: their next read starts one.
        shared_cache.incr_existing(keys)
        _bump_at_commit(keys)


# Saves of a member's account that touch only these change nothing their pages show.
_READER_UNSEEN_USER_FIELDS = frozenset({"last_seen", "last_login"})


def watch_reader(model, *fields: str) -> None:
    """Every save and delete of `model` changes what the members it names in `fields` (foreign
    keys to them, or "pk" for the user model itself) see on their own pages."""

    def changed(sender, instance, update_fields=None, **kwargs) -> None:
        if update_fields is not None and set(update_fields) <= _READER_UNSEEN_USER_FIELDS:
            return
        readers_changed(
            instance.pk if field == "pk" else getattr(instance, f"{field}_id") for field in fields
        )

    label = model._meta.label
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"reader-save-{label}")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"reader-delete-{label}")


def for_reader(user_id: int, name: str, compute: Callable[[], Any]) -> Any:
    """`compute()`, kept for the member under both versions (with the cache on): a value made
    of the content and of what is theirs, such as the header's count of unread notifications,
    which every signed-in page shows."""
    timeout = seconds()
    if not timeout:
        return compute()
    content, reader = _versions(user_id)
    key = f"reader-value:{name}:{user_id}:{content}:{reader}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


def _reader_page_key(request: HttpRequest, user_id: int) -> tuple[str, str]:
    content, reader = _versions(user_id)
    parts = "\0".join(
        (
            request.get_host(),
            request.get_full_path(),
            request.META.get("HTTP_ACCEPT", ""),
            request.session.session_key or "",
            request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
        )
    )
    digest = hashlib.sha256(parts.encode()).hexdigest()[:32]
    return f"reader-page:{content}:{reader}:{digest}", f'W/"{content}.{reader}-{digest[:16]}"'


class ReaderPageCacheMiddleware:
    """Serves READER_VIEWS to a signed-in member from what was stored for them (see above).
    Last of the middleware: a hit still passes sessions, CSRF, authentication, last-seen and
    the sign-in checks, and skips only the view. A page stored while its view wrote (the first
    view of a page moves the read position) is stored under the versions read before the
    view, which that write moved on: it is never served, and the next view, which writes
    nothing, is the one kept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timeout = seconds() if settings.STOA.get("READER_PAGE_CACHE", True) else 0
        user = getattr(request, "user", None)
        if (
            not timeout
            or request.method not in ("GET", "HEAD")
            or user is None
            or not user.is_authenticated
            or "messages" in request.COOKIES  # a message to show, kept in a cookie
            or "_messages" in request.session  # or, when long, in the session
            or "HTTP_AUTHORIZATION" in request.META
            or not _cached_view(request, READER_VIEWS)
        ):
            return self.get_response(request)
        key, etag = _reader_page_key(request, user.pk)
        if _matches(request, etag):
            return HttpResponseNotModified(headers={"ETag": etag})
        stored = cache.get(key)
        if stored is not None:
            response = _unpack(stored)
            response["X-Page-Cache"] = "hit"
            return response
        csrf = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
        response = self.get_response(request)
        messages = getattr(request, "_messages", None)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            # Cookies the outer middleware is about to set: a new CSRF cookie (the page's
            # tokens are for it, and the key holds the old one) or a saved session.
            and request.META.get("CSRF_COOKIE", csrf) == csrf
            and not request.session.modified
            and not getattr(messages, "added_new", False)
        ):
            patch_vary_headers(response, ("Cookie",))
            response["ETag"] = etag
            response["Cache-Control"] = "private, no-cache"
            cache.set(key, _pack(response), timeout)
            response["X-Page-Cache"] = "miss"
        return response
