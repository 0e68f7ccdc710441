"""Rate-limit budget headers on throttled API answers (the `X-RateLimit-*` trio's IETF
successor): `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds), from
the tightest of the view's throttles, on successes and on 429 alike, so an app can slow down
before it is refused."""

from __future__ import annotations


class RateLimitHeadersMixin:
    def check_throttles(self, request):
        # DRF's own loop, keeping the throttles (views choose theirs in get_throttles).
        self._counted_throttles = self.get_throttles()
        waits = [
            throttle.wait()
            for throttle in self._counted_throttles
            if not throttle.allow_request(request, self)
        ]
        if waits:
            self.throttled(request, max((w for w in waits if w is not None), default=None))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        budgets = [
            t.budget
            for t in getattr(self, "_counted_throttles", [])
            if getattr(t, "budget", None) is not None
        ]
        if budgets:
            limit, remaining, reset = min(budgets, key=lambda b: (b[1], -b[2]))
            response["RateLimit-Limit"] = str(limit)
            response["RateLimit-Remaining"] = str(remaining)
            response["RateLimit-Reset"] = str(reset)
        return response
