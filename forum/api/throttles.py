"""Rate limits of the API, per account and per address.

Addresses come from DRF's `get_ident`, which trusts X-Forwarded-For only NUM_PROXIES deep, so
a client rotating that header still counts as one address. Counters live in the default cache
(Redis when REDIS_URL is set): every process shares them.
"""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle as _DRFSimpleRateThrottle


class SimpleRateThrottle(_DRFSimpleRateThrottle):
    """A fixed-window counter kept with the cache's atomic add/incr.

    DRF's own throttle reads a history list, then writes it back: parallel requests all read
    the same history and all get through. An increment cannot be lost that way, so the limit
    holds under concurrency (in Redis across processes, in local memory within one).
    """

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        key = f"{self.key}:{window}"
        self._wait = (window + 1) * self.duration - now
        for _ in range(2):
            self.cache.add(key, 0, timeout=self.duration + 1)
            try:
                count = self.cache.incr(key)
                break
            except ValueError:
                # The counter expired between add and incr: start the window again.
                continue
        else:
            return True
        return count <= self.num_requests

    def wait(self):
        return max(self._wait, 1)


class _UserThrottle(SimpleRateThrottle):
    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": f"user-{request.user.pk}"}


class _AddressThrottle(SimpleRateThrottle):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginAccountThrottle(SimpleRateThrottle):
    """Attempts against one username, from anywhere: stops a distributed password guess."""

    scope = "login_account"

    def get_cache_key(self, request, view):
        try:
            username = request.data.get("username")
        except AttributeError:
            username = None
        if not isinstance(username, str) or not username:
            return None
        return self.cache_format % {"scope": self.scope, "ident": username.strip().lower()[:150]}


class LoginAddressThrottle(_AddressThrottle):
    scope = "login_address"


class PostUserThrottle(_UserThrottle):
    """New threads and replies by one member: a burst limit against floods."""

    scope = "post_user"


class PostAddressThrottle(_AddressThrottle):
    scope = "post_address"


class ReportUserThrottle(_UserThrottle):
    scope = "report_user"


class ReportAddressThrottle(_AddressThrottle):
    scope = "report_address"


class UploadUserThrottle(_UserThrottle):
    scope = "upload_user"
