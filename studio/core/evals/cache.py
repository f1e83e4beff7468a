"""Response cache for model calls: a Protocol, a memory store and a SQLite-file store.

The key (:func:`request_hash`) covers everything that changes the answer: the endpoint,
the model, every sampling parameter, the messages, tools, response format and the repeat
index. It never covers the API key or any header, so the key can't leak into the cache,
and changing keys doesn't invalidate it. Only successful responses are stored.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import orjson

DEFAULT_TTL_S = 14 * 24 * 3600.0  # promptfoo's default, docs/engineering-facts.md §1


@runtime_checkable
class CacheStore(Protocol):
    """Where cached responses live. ``get`` returns what ``put`` stored, or None."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, response: dict[str, Any]) -> None: ...


def request_hash(base_url: str, body: dict[str, Any], repeat: int = 0, extra: str = "") -> str:
    """sha256 hex over the endpoint, the full request body and the repeat index.

    Args:
        base_url: the provider's base URL (trailing slash ignored).
        body: the JSON request body (model, messages, sampling params, tools, ...).
        repeat: the repeat index (the same request asked twice on purpose).
        extra: anything else that selects the answer (e.g. an Azure API version).
    """
    canonical = orjson.dumps(
        {"u": base_url.rstrip("/"), "b": body, "r": repeat, "x": extra},
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()


class MemoryCache:
    """A dict-backed :class:`CacheStore` (tests, one-off runs)."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            raw = self._data.get(key)
        return None if raw is None else dict(orjson.loads(raw))

    def put(self, key: str, response: dict[str, Any]) -> None:
        raw = orjson.dumps(response)  # copy, so later mutation of the caller's dict is harmless
        with self._lock:
            self._data[key] = raw

    def __len__(self) -> int:
        return len(self._data)


class SqliteCache:
    """A :class:`CacheStore` in a plain SQLite file (WAL), safe to share across threads.

    Args:
        path: the cache file; its folder is created.
        ttl_s: entries older than this are ignored and pruned (None = keep forever).
    """

    def __init__(self, path: str | Path, ttl_s: float | None = DEFAULT_TTL_S) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS responses ("
            " key TEXT PRIMARY KEY, value BLOB NOT NULL, created_at REAL NOT NULL)"
        )

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT value, created_at FROM responses WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        if self.ttl_s is not None and time.time() - row[1] > self.ttl_s:
            return None
        return dict(orjson.loads(row[0]))

    def put(self, key: str, response: dict[str, Any]) -> None:
        raw = orjson.dumps(response)
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO responses (key, value, created_at) VALUES (?, ?, ?)",
                (key, raw, time.time()),
            )

    def prune(self) -> int:
        """Delete expired entries; returns how many."""
        if self.ttl_s is None:
            return 0
        with self._lock:
            cur = self._conn.execute(
                "DELETE FROM responses WHERE created_at < ?", (time.time() - self.ttl_s,)
            )
        return int(cur.rowcount)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._conn.execute("DELETE FROM responses")

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
