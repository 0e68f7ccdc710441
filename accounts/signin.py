"""One sign-in limiter for every surface: the login page, the admin's login and the API's
token endpoint all call `django.contrib.auth.authenticate()`, so the limiter sits in the
authentication backend (`SignInLimitBackend`) and nothing can sign in around it.

Only failures count, and they count three ways:

- per account and address pair: a few wrong passwords from one address lock that pair for a
  while. This is the lock an attacker meets first, and it never touches anyone else;
- per address, across accounts: one address spraying many accounts is stopped;
- per account, from anywhere: a distributed guess (many addresses, one account) does not lock
  the account, it *slows* it: from addresses the account has not signed in from before, one
  attempt per `ACCOUNT_SLOW_SECONDS` for the whole account. The owner's usual addresses (where
  they signed in successfully before) are never slowed or blocked by the account or address
  counters, only by their own pair's.

Every refusal says which of these applies and when to try again (429 with Retry-After).
Counters live in the default cache (Redis when REDIS_URL is set, so every process shares
them), moved with atomic add/incr. Addresses are kept only as keyed hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import BaseThrottle

from accounts.models import User, with_moderates
from core import cache as shared_cache
from core import throttles

# The request attribute a refusal is left on, for the views (and the middleware) to answer 429.
REFUSAL_ATTR = "stoa_signin_refusal"


def _limit(name: str) -> tuple[int, int]:
    """(count, seconds) of a rate from settings.SIGNIN_LIMITS: "N/unit" as DRF writes rates
    (s, min, hour, day), optionally with a multiple ("5/15min")."""
    rate = settings.SIGNIN_LIMITS[name]
    num, period = rate.split("/")
    match = re.fullmatch(r"(\d*)\s*([a-z]+)", period.strip().lower())
    if match is None:
        raise ValueError(f"Bad sign-in rate {rate!r}")
    multiple = int(match.group(1) or 1)
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)[0]]
    return int(num), multiple * seconds


def _slow_seconds() -> int:
    return int(settings.SIGNIN_LIMITS["ACCOUNT_SLOW_SECONDS"])


def _known_days() -> int:
    return int(settings.SIGNIN_LIMITS["KNOWN_ADDRESS_DAYS"])


def account_key(username: str) -> str:
    """Usernames are compared NFKC-normalised and case-folded, as sign-up stores them, so
    the full-width and the plain spelling of a name are one account to the limiter."""
    return unicodedata.normalize("NFKC", username).strip().casefold()[:150]


def _digest(value: str) -> str:
    # Keyed, so a cache dump does not list who signed in from where.
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def client_address(request: HttpRequest) -> str:
    """The client's address as every throttle sees it: X-Forwarded-For is trusted only
    NUM_PROXIES deep (DRF's rule), so rotating the header does not make a new address."""
    # DRF's get_ident reads only .headers and .META, which a Django request has too (its stub
    # asks for DRF's Request); pages and the API then count the same address.
    return BaseThrottle().get_ident(request) or "unknown"  # type: ignore[arg-type]


@dataclass(frozen=True)
class Refusal:
    wait: float
    message: str

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.wait))


def _count(key: str) -> int:
    return int(cache.get(key) or 0)


def _bump(key: str, period: int) -> None:
    shared_cache.count_hit(key, timeout=period + 1)


def _minutes(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class Attempt:
    """One sign-in attempt: `refusal()` before checking the password, then `failed()` or
    `succeeded()`."""

    def __init__(self, request: HttpRequest, username: str, *, now: float | None = None) -> None:
        self.now = time.time() if now is None else now
        self.request = request
        self.account = _digest(account_key(username))
        self.address = _digest(client_address(request))

    def _window_key(self, kind: str, ident: str, period: int) -> tuple[str, float]:
        window = int(self.now // period)
        return f"signin:{kind}:{ident}:{window}", (window + 1) * period - self.now

    @property
    def _known_key(self) -> str:
        return f"signin:known:{self.account}:{self.address}"

    def is_usual_address(self) -> bool:
        return bool(cache.get(self._known_key))

    def refusal(self) -> Refusal | None:
        limit, period = _limit("PAIR")
        key, left = self._window_key("pair", f"{self.account}:{self.address}", period)
        # This attempt counts once it fails: the budget is what a wrong password leaves.
        throttles.record_budget(self.request, limit=limit, count=_count(key) + 1, left=left)
        if _count(key) >= limit:
            return Refusal(
                left,
                "Too many wrong passwords for this account from your address. "
                f"Try again in {_minutes(left)}, or reset your password.",
            )
        if self.is_usual_address():
            return None
        limit, period = _limit("ADDRESS")
        key, left = self._window_key("address", self.address, period)
        if _count(key) >= limit:
            return Refusal(
                left,
                f"Too many failed sign-ins from your address. Try again in {_minutes(left)}.",
            )
        limit, period = _limit("ACCOUNT")
        key, _ = self._window_key("account", self.account, period)
        if _count(key) >= limit:
            slow = _slow_seconds()
            # One attempt per `slow` seconds for the whole account from new addresses: the
            # first caller in each interval takes the slot.
            if not cache.add(f"signin:slow:{self.account}", 1, timeout=slow):
                return Refusal(
                    slow,
                    "This account has had many failed sign-ins, so sign-ins from new "
                    f"addresses are slowed down to one every {slow} seconds. Try again "
                    "shortly; devices this account signed in from before are not affected.",
                )
        return None

    def failed(self) -> None:
        for kind, ident, name in (
            ("pair", f"{self.account}:{self.address}", "PAIR"),
            ("address", self.address, "ADDRESS"),
            ("account", self.account, "ACCOUNT"),
        ):
            _, period = _limit(name)
            key, _ = self._window_key(kind, ident, period)
            _bump(key, period)

    def succeeded(self) -> None:
        _, period = _limit("PAIR")
        key, _ = self._window_key("pair", f"{self.account}:{self.address}", period)
        cache.delete(key)
        cache.set(self._known_key, 1, timeout=_known_days() * 86400)


def count_request(
    kind: str, ident: str, rate_name: str, message: str, *, request: HttpRequest | None = None
) -> Refusal | None:
    """Count one request of `kind` by `ident` (an address, a target e-mail address) against
    the SIGNIN_LIMITS rate `rate_name`; a Refusal once past it. Every request counts: these
    limits are for actions that send mail (sign-up, password reset). With `request`, the
    budget left goes to the API's RateLimit-* headers."""
    limit, period = _limit(rate_name)
    count, left = throttles.count_hit(f"signin:{kind}:{_digest(ident)}", period=period)
    if request is not None:
        throttles.record_budget(request, limit=limit, count=count, left=left)
    if count <= limit:
        return None
    left = max(left, 1.0)
    return Refusal(left, message.format(wait=_minutes(left)))


def mail_request_refusal(request: HttpRequest, *, action: str, email: str) -> Refusal | None:
    """The limits of a request that e-mails `email` (action "signup" or "reset"): per client
    address and per target address, whether or not the address belongs to an account, so
    the answer tells nothing about membership."""
    name = action.upper()
    refusals = [
        count_request(
            f"{action}-address",
            client_address(request),
            f"{name}_ADDRESS",
            "Too many requests from your address. Try again in {wait}.",
            request=request,
        ),
        count_request(
            f"{action}-target",
            email.strip().casefold(),
            f"{name}_TARGET",
            "Too many messages have been requested for this e-mail address. Try again in {wait}.",
            request=request,
        ),
    ]
    found = [r for r in refusals if r is not None]
    return max(found, key=lambda r: r.wait) if found else None


class SignInLimitBackend(ModelBackend):
    """Django's ModelBackend behind the sign-in limiter. A refused attempt never reaches the
    password check (so it cannot confirm a guess) and leaves a `Refusal` on the request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or not isinstance(username, str) or not username:
            return super().authenticate(request, username=username, password=password, **kwargs)
        attempt = Attempt(request, username)
        refusal = attempt.refusal()
        if refusal is not None:
            setattr(request, REFUSAL_ATTR, refusal)
            # Stops authenticate() trying any other backend.
            raise PermissionDenied(refusal.message)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            attempt.failed()
        else:
            attempt.succeeded()
        return user

    def get_user(self, user_id):
        """The session's user (ModelBackend's get_user), read with whether they moderate:
        forum.policy asks it on every page, and it was a query of its own."""
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None  # a session from before a change of key type, or forged
        user = with_moderates(pk)
        if user is None:
            return None
        user.know_moderator(in_group=bool(user.moderates))  # SQLite gives 0 or 1
        return user if self.user_can_authenticate(user) else None


def refusal_of(request: HttpRequest) -> Refusal | None:
    return getattr(request, REFUSAL_ATTR, None)


class SignInRefusalMiddleware:
    """A page that refused a sign-in (the login page, the admin's login) answers 429 with
    Retry-After; the form itself shows the refusal's message."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        refusal = refusal_of(request)
        if refusal is not None and response.status_code == 200:
            response.status_code = 429
            response["Retry-After"] = str(refusal.retry_after)
        return response
