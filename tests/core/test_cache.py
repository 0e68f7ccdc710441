"""core.cache: the counters rate limits and the page cache build on give the same answers on
Redis (one round trip each, a script) as on any other cache backend (Django's API, a step at a
time). The Redis cases run when REDIS_URL names a server, on the test process's own database."""

from __future__ import annotations

import pytest
from django.core.cache import cache, caches

from core import cache as shared


@pytest.fixture(params=["locmem", "redis"])
def backend(request, settings):
    if request.param == "redis":
        location = str(settings.CACHES["default"].get("LOCATION", ""))
        if not isinstance(caches["default"], shared.RedisCache):
            pytest.skip("no Redis (REDIS_URL)")
        assert location.startswith("redis")
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield request.param
    cache.clear()


def test_count_hit_counts_every_hit_and_starts_with_the_window(backend):
    assert [shared.count_hit("hits", timeout=60) for _ in range(3)] == [1, 2, 3]
    assert cache.get("hits") == 3
    assert shared.count_hit("other", timeout=60) == 1


def test_count_hit_gives_a_new_counter_the_window_as_its_lifetime(backend):
    shared.count_hit("hits", timeout=60)
    shared.count_hit("hits", timeout=60)
    if backend == "redis":
        client = caches["default"]._cache.get_client(write=True)
        ttl = client.ttl(caches["default"].make_and_validate_key("hits"))
        assert 58 <= ttl <= 60  # set by the first hit, not moved by the second
    cache.delete("hits")  # the window ended
    assert shared.count_hit("hits", timeout=60) == 1


def test_incr_existing_moves_only_the_counters_that_exist(backend):
    cache.set("a", 10, None)
    cache.set("b", 5, None)
    assert shared.incr_existing(["a", "missing", "b", "a"]) == {"a": 11, "missing": None, "b": 6}
    assert cache.get("a") == 11 and cache.get("b") == 6
    assert cache.get("missing") is None
    assert shared.incr_existing([]) == {}


def test_the_redis_backend_reuses_its_client(backend):
    if backend != "redis":
        pytest.skip("Redis only")
    client = caches["default"]._cache
    assert client.get_client(write=True) is client.get_client(write=False)
