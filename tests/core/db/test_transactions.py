"""core/db/transactions: one transaction per change, errors in the studio's words, busy retried."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from studio.core.db import transactions
from studio.core.db.project import new_project
from studio.core.errors import (
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseReadOnlyError,
    DiskFullError,
)


@pytest.mark.parametrize(
    ("sqlite_says", "kind"),
    [
        ("database is locked", DatabaseBusyError),
        ("attempt to write a readonly database", DatabaseReadOnlyError),
        ("database disk image is malformed", DatabaseCorruptError),
        ("database or disk is full", DiskFullError),
    ],
)
def test_each_database_error_maps_to_its_own_kind_naming_the_file(
    tmp_path: Path, sqlite_says: str, kind: type[Exception]
) -> None:
    path = tmp_path / "p.studio"
    err = transactions.map_db_error(sqlite3.OperationalError(sqlite_says), path)
    assert type(err) is kind and str(path) in err.message


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    with new_project(tmp_path / "p.studio") as project:
        with transactions.write_tx(project) as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        with pytest.raises(RuntimeError), transactions.write_tx(project) as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("half-way")
        with transactions.read_conn(project) as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM t")).scalar_one() == 0


def test_retry_write_waits_out_a_lock_another_program_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio.core.db import engine

    # SQLite waits busy_timeout itself; a short one shows the whole-write retry at work.
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "p.studio"
    with new_project(path) as project:
        with transactions.write_tx(project) as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        other = sqlite3.connect(str(path), timeout=0, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        released = threading.Timer(0.4, other.commit)
        released.start()
        attempts: list[int] = []

        def work(conn: object) -> int:
            attempts.append(1)
            from sqlalchemy import Connection

            assert isinstance(conn, Connection)
            conn.execute(text("INSERT INTO t VALUES (7)"))
            return 7

        try:
            t0 = time.monotonic()
            assert transactions.retry_write(project, work, attempts=20, pause_s=0.05) == 7
            # write_tx takes the write lock first (BEGIN IMMEDIATE), so the attempts that
            # met the lock failed before the work ran: it ran once, after the release
            assert time.monotonic() - t0 >= 0.3
            assert len(attempts) == 1
        finally:
            released.join()
            other.close()
        with transactions.read_conn(project) as conn:
            assert conn.execute(text("SELECT x FROM t")).scalars().all() == [7]
