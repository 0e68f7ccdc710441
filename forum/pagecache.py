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
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

VERSION_KEY = "content-version"
# The pages and API reads whose anonymous answer is the same for every anonymous reader.
CACHED_VIEWS = frozenset(
    {
        "forum:index",
        "forum:category",
        "forum:thread",
        "forum:thread_short",
        "forum:post",
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


def version() -> int:
    current = cache.get(VERSION_KEY)
    if current is None:
        # Started from the clock, not from 1: if the counter is evicted while pages are not,
        # the new count is past every version those pages were stored under.
        cache.add(VERSION_KEY, int(time.time() * 1000), timeout=None)
        current = cache.get(VERSION_KEY)
    return int(current)


def bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no counter yet: the first read starts one past every stored page
        version()


def content_changed() -> None:
    """Call after a write readers can see that no watched model's save reports (bulk
    inserts, queryset updates)."""
    bump()
    transaction.on_commit(bump)


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


def _cached_view(request: HttpRequest) -> bool:
    try:
        return resolve(request.path_info).view_name in CACHED_VIEWS
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
