"""Rate limits of the site, per account and per address, shared by the pages and the API:
a flood through both counts once.

Addresses come from DRF's `get_ident`, which trusts X-Forwarded-For only NUM_PROXIES deep, so
a client rotating that header still counts as one address. Counters live in the default cache
(Redis when REDIS_URL is set): every process shares them.
"""

from __future__ import annotations

import math
import time

from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle as _DRFSimpleRateThrottle

from core import cache as shared


def clock() -> float:
    """The time the windows are read from. A function of its own so that the tests can hold it
    still: a test making a limit's worth of requests must not see its window roll over."""
    return time.time()


def hit(key: str, *, limit: int, period: int, now: float | None = None) -> float | None:
    """Count one event under `key`. None while within `limit` per `period` seconds, else the
    seconds left until the window ends (for Retry-After).

    A fixed window counted atomically (core.cache.count_hit), never read-then-written, so parallel
    requests cannot all slip under the limit; with REDIS_URL every process shares it.
    """
    count, left = count_hit(key, period=period, now=now)
    if count <= limit:
        return None
    return max(left, 1.0)


def count_hit(key: str, *, period: int, now: float | None = None) -> tuple[int, float]:
    """Count one event under `key`: how many this window holds now, and the seconds left in
    the window (0 counted when the cache lost the counter twice in a row)."""
    now = clock() if now is None else now
    window = int(now // period)
    window_key = f"ratelimit:{key}:{window}"
    return shared.count_hit(window_key, timeout=period + 1), (window + 1) * period - now


BUDGETS_ATTR = "_ratelimit_budgets"


def record_budget(request, *, limit: int, count: int, left: float) -> None:
    """Note on the request what one limit has left: (limit, remaining, seconds to reset).
    core.middleware.RateLimitHeadersMiddleware sends the tightest as RateLimit-* headers, so
    every limited API answer carries them, whichever limiter counted."""
    request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    if request is None:
        return
    budgets = getattr(request, BUDGETS_ATTR, None)
    if budgets is None:
        budgets = []
        setattr(request, BUDGETS_ATTR, budgets)
    budgets.append((limit, max(limit - count, 0), max(math.ceil(left), 0)))


def throttle_wait(request: HttpRequest, throttle_classes) -> float | None:
    """For plain Django views: count the request against each throttle; None if all allow it,
    else the longest wait. Every throttle counts, as DRF does, even after one refuses."""
    waits = []
    for throttle_class in throttle_classes:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            waits.append(throttle.wait())
    return max(waits) if waits else None


class SimpleRateThrottle(_DRFSimpleRateThrottle):
    """DRF's throttle on Stoa's atomic counter (forum.ratelimit).

    DRF's own throttle reads a history list, then writes it back: parallel requests all read
    the same history and all get through. An increment cannot be lost that way.
    """

    def timer(self) -> float:  # DRF's is time.time itself
        return clock()

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        count, left = count_hit(self.key, period=self.duration, now=self.timer())
        # What the RateLimit-* headers tell the client (core.api.ratelimit).
        self.budget = (self.num_requests, max(self.num_requests - count, 0), math.ceil(left))
        record_budget(request, limit=self.num_requests, count=count, left=left)
        self._wait = None if count <= self.num_requests else max(left, 1.0)
        return self._wait is None

    def wait(self):
        return self._wait


class _UserThrottle(SimpleRateThrottle):
    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": f"user-{request.user.pk}"}


class _AddressThrottle(SimpleRateThrottle):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PostUserThrottle(_UserThrottle):
    """New threads and replies by one member: a burst limit against floods."""

    scope = "post_user"


class PostAddressThrottle(_AddressThrottle):
    scope = "post_address"


class EditUserThrottle(_UserThrottle):
    """Edits of posts and thread titles by one member: every edit stores a revision and is
    screened again, so they are limited like new posts."""

    scope = "edit_user"


class EditAddressThrottle(_AddressThrottle):
    scope = "edit_address"


class ReportUserThrottle(_UserThrottle):
    scope = "report_user"


class ReportAddressThrottle(_AddressThrottle):
    scope = "report_address"


class UploadUserThrottle(_UserThrottle):
    scope = "upload_user"


class PasswordUserThrottle(_UserThrottle):
    """Password changes by one member (each checks the old password: a guess)."""

    scope = "password_user"


class ReactUserThrottle(_UserThrottle):
    """Reactions added and taken back by one member: each one moves the page cache's version
    and queues the author's notification, so a script toggling a like must not do so freely."""

    scope = "react_user"


class SearchAnonThrottle(SimpleRateThrottle):
    """Searches by visitors who are not signed in, per address: search is the most expensive
    read, and the one a scraper or a flood goes for."""

    scope = "search_anon"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SearchUserThrottle(SimpleRateThrottle):
    scope = "search_user"

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"user-{request.user.pk}"}


POSTING = (PostUserThrottle, PostAddressThrottle)
SEARCHING = (SearchAnonThrottle, SearchUserThrottle)
EDITING = (EditUserThrottle, EditAddressThrottle)
REPORTING = (ReportUserThrottle, ReportAddressThrottle)
REACTING = (ReactUserThrottle,)
