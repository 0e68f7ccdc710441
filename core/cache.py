"""The shared cache's backend (Redis, with REDIS_URL) and the counter operations Stoa builds on
it: a hit counted in a fixed window (rate limits) and counters moved forward only where they
exist (the page cache's versions).

Django's Redis backend makes a new redis-py client object for every call (about as long as a
round trip to Redis itself: the client builds its table of reply parsers each time) and sends a
counter's increment as two commands (EXISTS, then INCRBY). This backend keeps one client per
connection pool, and the two operations below are one round trip each on Redis, a Lua script
that Redis runs atomically. Any other backend (the development and test default, LocMemCache)
gets the same answers from Django's cache API, a step at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

# Count one hit: the counter starts at 1 with the window's expiry, later hits only count. Time
# stands still inside a script, so the counter cannot expire between the INCR and the TTL.
_COUNT_HIT = """
local n = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) == -1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""
# Move each counter forward by one if it exists (a missing one stays missing: its reader
# starts it); the new values, false (nil) where missing.
_INCR_EXISTING = """
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then out[i] = redis.call('INCR', key) else out[i] = false end
end
return out
"""


class RedisCacheClient(DjangoRedisCacheClient):
    """Django's client with one redis-py client per connection pool (redis-py clients are
    safe to share; a cache backend is per thread anyway)."""

    def __init__(self, servers, **options) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, Any] = {}
        self._scripts: dict[tuple[int, str], Any] = {}

    def _pool_and_client(self, write: bool) -> tuple[Any, Any]:
        django_client: Any = self  # Django's client: its pools are in no type stub
        pool = django_client._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = django_client._client(connection_pool=pool)
        return pool, client

    def get_client(self, key=None, *, write=False):
        return self._pool_and_client(write)[1]

    def run_script(self, source: str, keys: list[str], args: list[Any]) -> Any:
        pool, client = self._pool_and_client(True)
        script = self._scripts.get((id(pool), source))
        if script is None:
            # EVALSHA, loading the script on the first call (and again after a SCRIPT FLUSH).
            script = self._scripts[(id(pool), source)] = client.register_script(source)
        return script(keys=keys, args=args)


class RedisCache(DjangoRedisCache):
    """settings.CACHES' backend with REDIS_URL."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count_hit(self, key: str, *, timeout: int) -> int:
        full = self.make_and_validate_key(key)
        client = cast(RedisCacheClient, self._cache)
        return int(client.run_script(_COUNT_HIT, [full], [timeout]))

    def incr_existing(self, keys: list[str]) -> list[int | None]:
        full = [self.make_and_validate_key(key) for key in keys]
        client = cast(RedisCacheClient, self._cache)
        values = client.run_script(_INCR_EXISTING, full, [])
        return [None if value is None else int(value) for value in values]


def count_hit(key: str, *, timeout: int) -> int:
    """Count one hit under `key`, a counter that lives `timeout` seconds from its first hit;
    returns the count. Atomic: parallel hits are all counted (never read, then written). 0
    when the counter was lost twice in a row as it was counted (a cache that evicts it)."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return cache.count_hit(key, timeout=timeout)
    for _ in range(2):
        cache.add(key, 0, timeout=timeout)
        try:
            return cache.incr(key)
        except ValueError:
            # The counter expired between add and incr: start it again.
            continue
    return 0


def incr_existing(keys: Iterable[str]) -> dict[str, int | None]:
    """Move each counter at `keys` forward by one, in one round trip on Redis; a missing one
    is left missing. Returns the new values, None where a counter was missing."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return dict(zip(keys, cache.incr_existing(keys), strict=True))
    values: dict[str, int | None] = {}
    for key in keys:
        try:
            values[key] = cache.incr(key)
        except ValueError:
            values[key] = None
    return values
