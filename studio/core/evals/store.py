"""The project file as the runner's result sink and response cache.

:class:`ProjectResultSink` implements the runner's ``ResultSink``: every
:class:`~studio.core.evals.calls.CallResult` is scored (answers only, never errors) and
written to ``eval_result`` in its own small transaction before :meth:`save` returns, so
an acknowledged result is never lost: a crash or a cancel loses at most the calls still
in flight, and a resume skips what is stored. One commit in WAL with
``synchronous=NORMAL`` costs ~50 µs (measured: 400 upserts + commits in 20 ms), so
committing each result is far below 400 results/s and there is no buffer to lose.

:class:`ProjectCacheStore` implements the runner's ``CacheStore`` over the
``response_cache`` table of the same project: a re-run of the same comparison (same base
URL, model, sampling parameters and messages) sends no request. It never sees the API
key: keys are not part of the request hash, the body or the response.

Both hold one pooled connection of the project's engine for their lifetime (call
:meth:`close`, or use them as context managers) and are safe to call from the runner's
event-loop thread while the GUI reads from others (WAL).

Why the raw driver connection and not :func:`studio.core.db.transactions.write_tx`: the
runner commits every result on its own, from the event-loop thread, hundreds of times a
second; the sqlite3 connection checked out once skips SQLAlchemy's per-statement
compilation and the pool checkout of each transaction (measured: 400 results saved and
committed one by one take 28-43 ms here, 59-103 ms through ``write_tx``). It is still a
pooled connection of the project's engine (same PRAGMAs, same busy timeout), and every
driver error goes through :func:`~studio.core.db.transactions.map_db_error`, so callers
see the same :class:`~studio.core.errors.DatabaseError` kinds as from the other helpers.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

import orjson

from studio.core.db.dialect import is_driver_error, wrap_driver
from studio.core.db.transactions import db_errors, map_db_error
from studio.core.errors import UserError
from studio.core.evals.cache import DEFAULT_TTL_S
from studio.core.evals.calls import CallResult
from studio.core.redact import redact_optional, redact_values

if TYPE_CHECKING:
    from studio.core.db.project import Project


@dataclass(frozen=True, slots=True)
class Scored:
    """How an answer scored: pass/fail and/or a number, and a reason."""

    passed: bool | None
    score: float | None
    detail: str = ""


ScoreFn = Callable[[CallResult], Scored]


def db_time(moment: datetime | None = None) -> str:
    """A timestamp in the text form SQLAlchemy writes for ``DateTime`` columns on SQLite."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _raw(project: Project) -> tuple[Any, Any]:
    # The driver connection of one pooled connection: see the module docstring for why.
    # sqlite3's, or psycopg's taking the same SQL (studio.core.db.dialect.wrap_driver)
    with db_errors(project):
        proxy = project.engine.raw_connection()
    return proxy, wrap_driver(proxy.driver_connection)


@contextlib.contextmanager
def _driver_errors(project: Project, conn: Any) -> Iterator[None]:
    """Roll back and raise the studio's error for a driver error in the block."""
    try:
        yield
    except Exception as exc:
        if not is_driver_error(exc):
            raise
        with contextlib.suppress(Exception):
            conn.rollback()
        raise map_db_error(exc, project.file or project.location) from exc


_UPSERT = (
    "INSERT INTO eval_result (run_id, variant_id, example_id, output, tool_calls_json, error, "
    "error_kind, latency_ms, tokens_in, tokens_out, cost_usd, cached, attempts, passed, score, "
    "score_detail, request_hash, created_at, response_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (variant_id, example_id) DO UPDATE SET output = excluded.output, "
    "tool_calls_json = excluded.tool_calls_json, error = excluded.error, "
    "error_kind = excluded.error_kind, latency_ms = excluded.latency_ms, "
    "tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out, "
    "cost_usd = excluded.cost_usd, cached = excluded.cached, attempts = excluded.attempts, "
    "passed = excluded.passed, score = excluded.score, score_detail = excluded.score_detail, "
    "request_hash = excluded.request_hash, created_at = excluded.created_at, "
    "response_id = excluded.response_id"
)


# the case's claim is settled in the same commit as its result (studio.core.evals.run_claims)
_CLAIM_DONE = (
    "UPDATE run_claim SET done_at = ? WHERE variant_id = ? AND example_id = ? AND worker = ?"
)


class _PooledConnection:
    """The one pooled connection a sink or cache store holds (see :func:`_raw`): closing it
    returns it to the pool; usable in a ``with`` statement."""

    def __init__(self, project: Project) -> None:
        self._lock = threading.Lock()
        self._proxy, self._conn = _raw(project)

    def close(self) -> None:
        """Return the connection to the pool (idempotent)."""
        with self._lock:
            if self._proxy is not None:
                self._proxy.close()
                self._proxy = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProjectResultSink(_PooledConnection):
    """A ``ResultSink`` writing ``eval_result`` rows of one run as results arrive.

    Args:
        project: the open project.
        run_id: the run the rows belong to.
        variant_ids: runner ``variant_key`` -> ``eval_variant.id``.
        score: scores an answer (called only when ``result.error`` is None); an exception
            in it is stored as the score detail (the answer stays unscored, not an error).
        on_saved: called after each commit (e.g. live counters for the GUI).
    """

    def __init__(
        self,
        project: Project,
        run_id: int,
        variant_ids: Mapping[str, int],
        score: ScoreFn | None = None,
        on_saved: Callable[[CallResult, Scored | None], None] | None = None,
        claim_worker: str | None = None,
    ) -> None:
        self.project = project
        # the worker whose run_claim rows are marked done with each result (run_claims)
        self.claim_worker = claim_worker
        self.run_id = run_id
        self.variant_ids = dict(variant_ids)
        self._keys = {vid: key for key, vid in self.variant_ids.items()}
        self.score = score
        self.on_saved = on_saved
        self.saved = 0
        super().__init__(project)

    def already_done(self) -> set[tuple[str, int]]:
        """Keys of this run's stored answers (errors are retried on resume)."""
        with self._lock, _driver_errors(self.project, self._conn):
            rows = self._conn.execute(
                "SELECT variant_id, example_id FROM eval_result WHERE run_id = ? AND error IS NULL",
                (self.run_id,),
            ).fetchall()
        return {(self._keys[v], int(e)) for v, e in rows if v in self._keys}

    def _scored(self, result: CallResult) -> Scored | None:
        if result.error is not None or self.score is None:
            return None
        try:
            return self.score(result)
        except UserError as exc:
            return Scored(None, None, f"not scored: {exc.message}")
        except Exception as exc:  # a scorer bug must not lose the answer
            return Scored(None, None, f"not scored: {type(exc).__name__}: {exc}")

    def save(self, result: CallResult) -> None:
        """Score ``result`` and commit it (replacing an earlier error for the same key)."""
        variant_id = self.variant_ids.get(result.variant_key)
        if variant_id is None:
            raise KeyError(f"unknown variant key {result.variant_key!r}")
        scored = self._scored(result)
        row = (
            self.run_id,
            variant_id,
            result.example_id,
            # a key echoed back by a server never reaches the project (studio.core.redact)
            redact_optional(result.output),
            redact_optional(orjson.dumps(result.tool_calls).decode())
            if result.tool_calls
            else None,
            redact_optional(result.error),
            result.error_kind,
            result.latency_ms,
            result.tokens_in,
            result.tokens_out,
            result.cost_usd,
            bool(result.cached),
            result.attempts,
            None if scored is None or scored.passed is None else bool(scored.passed),
            None if scored is None else scored.score,
            "" if scored is None else redact_values(scored.detail),
            result.request_hash,
            db_time(),
            result.response_id,
        )
        with self._lock:
            with _driver_errors(self.project, self._conn):
                self._conn.execute(_UPSERT, row)
                if self.claim_worker is not None:
                    done = (row[-2], variant_id, row[2], self.claim_worker)
                    self._conn.execute(_CLAIM_DONE, done)
                self._conn.commit()
            self.saved += 1
        if self.on_saved is not None:
            self.on_saved(result, scored)


class ProjectCacheStore(_PooledConnection):
    """A ``CacheStore`` over the project's ``response_cache`` table.

    Args:
        project: the open project.
        ttl_s: entries older than this are ignored (None = keep forever); promptfoo's
            14 days by default.
    """

    def __init__(self, project: Project, ttl_s: float | None = DEFAULT_TTL_S) -> None:
        self.project = project
        self.ttl_s = ttl_s
        self.hits = 0
        self.writes = 0
        super().__init__(project)

    def _oldest(self) -> str | None:
        if self.ttl_s is None:
            return None
        return db_time(datetime.now(UTC) - timedelta(seconds=self.ttl_s))

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry for ``key``, or None (missing, expired or unreadable)."""
        oldest = self._oldest()
        with self._lock, _driver_errors(self.project, self._conn):
            if oldest is None:
                row = self._conn.execute(
                    "SELECT response_json FROM response_cache WHERE key = ?", (key,)
                ).fetchone()
            else:
                row = self._conn.execute(
                    "SELECT response_json FROM response_cache WHERE key = ? AND created_at >= ?",
                    (key, oldest),
                ).fetchone()
        if row is None:
            return None
        try:
            value = orjson.loads(row[0])
        except orjson.JSONDecodeError:
            return None
        if not isinstance(value, dict):
            return None
        self.hits += 1
        return value

    def put(self, key: str, response: dict[str, Any]) -> None:
        """Store a successful response (replacing an older one)."""
        raw = redact_values(orjson.dumps(response).decode())
        inner = response.get("response")
        model = inner.get("model", "") if isinstance(inner, dict) else ""
        with self._lock:
            with _driver_errors(self.project, self._conn):
                self._conn.execute(
                    "INSERT INTO response_cache (key, response_json, model, created_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                    "response_json = excluded.response_json, model = excluded.model, "
                    "created_at = excluded.created_at",
                    (key, raw, str(model)[:200], db_time()),
                )
                self._conn.commit()
            self.writes += 1

    def clear(self) -> int:
        """Forget every cached response; returns how many."""
        with self._lock, _driver_errors(self.project, self._conn):
            cur = self._conn.execute("DELETE FROM response_cache")
            self._conn.commit()
        return int(cur.rowcount or 0)

    def prune(self) -> int:
        """Delete expired entries; returns how many."""
        oldest = self._oldest()
        if oldest is None:
            return 0
        with self._lock, _driver_errors(self.project, self._conn):
            cur = self._conn.execute("DELETE FROM response_cache WHERE created_at < ?", (oldest,))
            self._conn.commit()
        return int(cur.rowcount or 0)

    def __len__(self) -> int:
        with self._lock, _driver_errors(self.project, self._conn):
            return int(self._conn.execute("SELECT count(*) FROM response_cache").fetchone()[0])
