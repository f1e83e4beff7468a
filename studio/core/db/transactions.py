"""The only way services reach the database: reads, write transactions, sessions, retries.

Every service calls these; none opens a raw transaction on ``project.engine``. They give
three promises the rest of the core relies on:

* **One transaction per change**: :func:`write_tx` (SQLAlchemy Core, for bulk paths) and
  :func:`session` (SQLModel ORM) commit on success and roll back on any error, so nothing
  is half-written.
* **Errors in the studio's words**: a database error (busy, locked, read-only, damaged,
  disk full, deleted while open) becomes a :class:`~studio.core.errors.DatabaseError`
  subclass whose message names the project file (:func:`map_db_error`).
* **Busy is waited out**: every connection has SQLite's ``busy_timeout`` (engine.py);
  :func:`retry_write` runs a whole write again when the database stayed locked past it
  (another process held a long write), so a short overlap with the CLI or a second window
  costs a pause, not an error.

SQLite specifics (PRAGMAs, REGEXP) stay in :mod:`studio.core.db.engine`, PostgreSQL's
in :mod:`studio.core.db.server`, and SQL that differs between them in
:mod:`studio.core.db.dialect`: never in the services.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from studio.core.db.dialect import is_driver_error
from studio.core.errors import (
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseError,
    DatabaseReadOnlyError,
    DiskFullError,
)

if TYPE_CHECKING:
    from sqlmodel import Session

T = TypeVar("T")


class ProjectLike(Protocol):
    """What these helpers need of an open project (:class:`studio.core.db.project.Project`).

    A protocol rather than an import, so ``project.py`` may use this module without an
    import cycle.
    """

    @property
    def location(self) -> str:
        """The file path, or the server URL (never with a password), named in errors."""
        ...

    @property
    def file(self) -> Path | None:
        """The project file, or None for a server project."""
        ...

    @property
    def engine(self) -> Engine: ...


# How often retry_write runs a write again when it stayed busy past busy_timeout.
BUSY_ATTEMPTS = 3
BUSY_PAUSE_S = 0.2


def _disk_nearly_full(path: Path | str) -> bool:
    if not isinstance(path, Path):
        return False
    try:
        return shutil.disk_usage(path.parent).free < 256 * 1024
    except OSError:
        return False


# PostgreSQL's SQLSTATEs for "someone else holds it": lock_not_available (lock_timeout),
# serialization_failure, deadlock_detected — the server's "database is locked"
_PG_BUSY_STATES = {"55P03", "40001", "40P01"}


def map_db_error(exc: BaseException, path: Path | str) -> DatabaseError:
    """The studio's error for a database error on the project ``path`` (a file or a URL)."""
    original = getattr(exc, "orig", exc)
    msg = str(original).lower()
    where = str(path)
    if getattr(original, "sqlstate", None) in _PG_BUSY_STATES:
        return DatabaseBusyError(
            f"{path} is being changed by another program (a row or table is locked). "
            "Wait, then try again.",
            where=where,
        )
    if (
        "disk is full" in msg
        or "disk full" in msg
        or "no space left on device" in msg
        or getattr(exc, "errno", None) == errno.ENOSPC
    ):
        return DiskFullError(
            f"Could not save to {path}: the disk is full. Nothing was changed; "
            "free some space and try again.",
            where=where,
        )
    if not isinstance(path, Path) and ("permission denied" in msg or "read-only" in msg):
        # PostgreSQL: a login with SELECT rights only, or a read-only standby
        return DatabaseReadOnlyError(
            f"Could not save to {path}: this login may only read (read-only). Nothing was changed.",
            where=where,
        )
    if "readonly" in msg or "read-only" in msg:
        return DatabaseReadOnlyError(
            f"Could not save to {path}: the file or its folder is read-only. Nothing was changed.",
            where=where,
        )
    if "locked" in msg or "busy" in msg:
        return DatabaseBusyError(
            f"{path} is being changed by another program (the database is locked). "
            "Close the other program or wait, then try again.",
            where=where,
        )
    if "disk i/o error" in msg and _disk_nearly_full(path):
        # SQLite says "disk I/O error" when it cannot grow its -shm/-wal files
        return DiskFullError(
            f"Could not open or save {path}: the disk is full. Nothing was changed; "
            "free some space and try again.",
            where=where,
        )
    if (
        "unable to open" in msg
        and isinstance(path, Path)
        and path.exists()
        and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
    ):
        # A WAL file in a read-only folder cannot even be read (SQLite needs its -shm)
        return DatabaseReadOnlyError(
            f"{path} is read-only. Studio saves every change at once, so it needs to write "
            "the file and its folder: change the permissions or use a copy.",
            where=where,
        )
    if "malformed" in msg or "not a database" in msg or "corrupt" in msg:
        return DatabaseCorruptError(
            f"{path} is damaged (SQLite reports: {original}). Open a backup copy.", where=where
        )
    return DatabaseError(f"Could not read or write {path}: {original}", where=where)


def describe_db_error(exc: BaseException, path: Path | str) -> str:
    """The sentence :func:`map_db_error` would raise (for callers that only show text)."""
    return map_db_error(exc, path).message


@contextlib.contextmanager
def db_errors(project: ProjectLike) -> Iterator[None]:
    """Turn database errors raised in the block into the studio's, naming the file."""
    try:
        yield
    except (OperationalError, DBAPIError) as exc:
        raise map_db_error(exc, project.file or project.location) from exc
    except Exception as exc:
        # The fast paths write through the DB-API connection itself (dialect.driver):
        # its sqlite3 / psycopg errors are the same failures, told the same way
        if is_driver_error(exc):
            raise map_db_error(exc, project.file or project.location) from exc
        raise


@contextlib.contextmanager
def read_conn(project: ProjectLike) -> Iterator[Connection]:
    """A connection for reads (WAL: never blocked by a writer); errors mapped."""
    with db_errors(project), project.engine.connect() as conn:
        yield conn


@contextlib.contextmanager
def write_tx(project: ProjectLike) -> Iterator[Connection]:
    """One write transaction on one connection: commit on success, roll back on error.

    On SQLite the transaction takes the write lock first (``BEGIN IMMEDIATE``, waiting
    up to the busy timeout): a deferred one that read before writing fails at once with
    "database is locked" when another process wrote in between (SQLite cannot upgrade a
    stale read snapshot), which made two labellers' bulk edits collide (ISSUE-14 §3).
    """
    with db_errors(project), project.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


@contextlib.contextmanager
def session(project: ProjectLike) -> Iterator[Session]:
    """An ORM unit of work: commits on success, rolls back on any error, errors mapped."""
    # SQLModel (with pydantic) is imported on first use, not when a project opens
    from sqlmodel import Session

    orm = Session(project.engine, expire_on_commit=False)
    try:
        yield orm
        orm.commit()
    except (OperationalError, DBAPIError) as exc:
        orm.rollback()
        raise map_db_error(exc, project.file or project.location) from exc
    except BaseException:
        orm.rollback()
        raise
    finally:
        orm.close()


def retry_write(
    project: ProjectLike,
    work: Callable[[Connection], T],
    *,
    attempts: int = BUSY_ATTEMPTS,
    pause_s: float = BUSY_PAUSE_S,
) -> T:
    """Run ``work`` in one write transaction; run it again while the database stays busy.

    ``work`` must only touch the database through the connection it is given (it may run
    more than once; each failed attempt was rolled back completely).
    """
    for attempt in range(1, attempts + 1):
        try:
            with write_tx(project) as conn:
                return work(conn)
        except DatabaseBusyError:
            if attempt == attempts:
                raise
            time.sleep(pause_s * attempt)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
