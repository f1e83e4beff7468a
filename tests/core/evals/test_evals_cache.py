"""The response caches and the cache key."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import studio.core.evals.cache as cache_module
from studio.core.evals.cache import CacheStore, MemoryCache, SqliteCache, request_hash

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0}


def test_request_hash_covers_everything_that_changes_the_answer() -> None:
    base = request_hash("http://h/v1", BODY)
    assert base == request_hash("http://h/v1/", dict(reversed(list(BODY.items()))))
    assert base != request_hash("http://other/v1", BODY)
    assert base != request_hash("http://h/v1", {**BODY, "temperature": 0.1})
    assert base != request_hash("http://h/v1", {**BODY, "seed": 1})
    assert base != request_hash("http://h/v1", BODY, repeat=1)
    assert base != request_hash("http://h/v1", BODY, extra="2024-10-21")
    assert base != request_hash("http://h/v1", {**BODY, "tools": []})


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_round_trip_and_protocol(kind: str, tmp_path: Path) -> None:
    cache = MemoryCache() if kind == "memory" else SqliteCache(tmp_path / "c.sqlite")
    assert isinstance(cache, CacheStore)
    assert cache.get("k") is None
    value = {"response": {"choices": [{"message": {"content": "é"}}]}, "latency_ms": 12.5}
    cache.put("k", value)
    value["latency_ms"] = 99  # later mutation does not leak in
    assert cache.get("k") == {
        "response": {"choices": [{"message": {"content": "é"}}]},
        "latency_ms": 12.5,
    }
    assert len(cache) == 1
    if isinstance(cache, SqliteCache):
        cache.close()


class _Clock:
    """The cache's wall clock, moved by the test (``time.time`` in the cache module)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


def test_sqlite_cache_ttl_prune_clear_and_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A clock the test moves: with the real one, "new" had to be read and pruned within
    # its 0.2 s TTL, which a busy machine does not always manage
    clock = _Clock()
    monkeypatch.setattr(cache_module, "time", clock)
    path = tmp_path / "deep" / "cache.sqlite"
    with SqliteCache(path, ttl_s=0.2) as cache:
        cache.put("old", {"v": 1})
        clock.now += 0.3  # "old" is past its TTL, "new" is fresh
        cache.put("new", {"v": 2})
        assert cache.get("old") is None and cache.get("new") == {"v": 2}
        assert cache.prune() == 1 and len(cache) == 1

        def writer(start: int) -> None:
            for i in range(start, start + 50):
                cache.put(f"k{i}", {"v": i})

        threads = [threading.Thread(target=writer, args=(n * 100,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(cache) == 201
        cache.clear()
        assert len(cache) == 0
    with SqliteCache(path, ttl_s=None) as again:
        assert again.prune() == 0
        again.put("x", {"v": 0})
    with SqliteCache(path) as reopened:
        assert reopened.get("x") == {"v": 0}
