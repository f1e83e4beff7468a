"""SQLAlchemy engine for a project file, with the per-connection setup done on connect.

Everything SQLite-specific a connection needs is set here, once per new pooled
connection, so no caller has to remember it: the PRAGMAs and the ``REGEXP`` function
(Python ``re``, which SQLite lacks; the datasets' regex search uses it in SQL).
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool

# 'STUD' as a big-endian int: lets us tell a studio project from any other SQLite file
APPLICATION_ID = 0x53545544
BUSY_TIMEOUT_MS = 5000


@lru_cache(maxsize=64)
def compiled_regexp(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled as SQL's ``REGEXP`` reads it (case-insensitive, multiline), cached.

    Raises:
        re.error: not a valid regular expression.
    """
    # MULTILINE: the searched text joins input, ideal output and notes with newlines,
    # so ^ and $ anchor at each of them (and at each line of a multi-line input)
    return re.compile(pattern, re.IGNORECASE | re.MULTILINE)


def _regexp(pattern: str | None, value: str | None) -> int:
    if pattern is None or value is None:
        return 0
    return 1 if compiled_regexp(pattern).search(value) else 0


def db_time(moment: datetime | None = None) -> str:
    """A timestamp in the text form SQLAlchemy writes for ``DateTime`` columns on SQLite."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _set_up(dbapi_conn: Any, *, read_only: bool) -> None:
    # PRAGMAs and functions are per connection, so they are set on every new pooled
    # connection; ``x REGEXP p`` calls regexp(p, x)
    dbapi_conn.create_function("regexp", 2, _regexp, deterministic=True)
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not read_only:  # changing the journal mode is a write
            cur.execute("PRAGMA journal_mode = WAL")
            # NORMAL is corruption-safe in WAL and survives application crashes (sqlite.org)
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
    finally:
        cur.close()


def _set_up_connection(dbapi_conn: Any, _record: Any) -> None:
    _set_up(dbapi_conn, read_only=False)


def _set_read_only_pragmas(dbapi_conn: Any, _record: Any) -> None:
    _set_up(dbapi_conn, read_only=True)


def make_engine(path: Path, *, read_only: bool = False, immutable: bool = False) -> Engine:
    """Create the engine for ``path``; one engine per open project, shared by threads.

    Each thread must use its own Session/connection (SQLAlchemy's QueuePool for file
    databases hands each thread its own connection).

    ``read_only`` opens every connection with SQLite's ``mode=ro``: reads work, every
    write fails with "attempt to write a readonly database" (ISSUE-11 §6: a read-only
    project opens read-only). ``immutable`` is for a file in a folder that cannot be
    written either: SQLite cannot create the WAL index there, and no one else can be
    writing the file, so it is read as a snapshot.
    """
    if read_only:
        uri = path.resolve().as_uri() + ("?immutable=1" if immutable else "?mode=ro")
        # A creator behind the bare "sqlite://" URL would get SQLAlchemy's in-memory
        # default, SingletonThreadPool, which closes connections other threads are still
        # using once more than five threads have read (a segfault in SQLite): a file
        # needs the same QueuePool as a writable project.
        engine = create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(
                uri, uri=True, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            ),
            poolclass=QueuePool,
        )
        event.listen(engine, "connect", _set_read_only_pragmas)
        return engine
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _set_up_connection)
    return engine


def raw_connect(path: Path, *, timeout: float = BUSY_TIMEOUT_MS / 1000) -> sqlite3.Connection:
    """A plain sqlite3 connection (used for checks and the backup API)."""
    return sqlite3.connect(str(path), timeout=timeout, check_same_thread=False)
