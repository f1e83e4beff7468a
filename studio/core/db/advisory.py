"""PostgreSQL advisory locks held for a long task (a run being executed).

A session-level advisory lock lives as long as the session that took it, so it is taken
on a connection of its own, kept out of the pool until released. The server drops it
when that session ends (the process died, the network went away): exactly the liveness
signal a lock file's ``flock`` gives on one machine (:mod:`studio.core.evals.run_lock`).
"""

from __future__ import annotations

import contextlib

from sqlalchemy import Connection, Engine, text


class AdvisoryLock:
    """A held lock on ``(classid, objid)``; :meth:`release` gives the connection back."""

    def __init__(self, conn: Connection, classid: int, objid: int) -> None:
        self._conn: Connection | None = conn
        self.key = (classid, objid)

    def release(self) -> None:
        """Unlock and give the connection back (idempotent; a dead session lost it already)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            conn.execute(
                text("SELECT pg_advisory_unlock(:c, :o)"), {"c": self.key[0], "o": self.key[1]}
            )
            conn.execute(text("RESET application_name"))
            conn.commit()
        with contextlib.suppress(Exception):
            conn.close()


def try_lock(engine: Engine, classid: int, objid: int, owner: str) -> AdvisoryLock | None:
    """Take the lock without waiting, naming the session ``owner`` (application_name,
    at most 63 bytes); None when another session holds it."""
    conn = engine.connect()
    try:
        got = conn.execute(
            text("SELECT pg_try_advisory_lock(:c, :o)"), {"c": classid, "o": objid}
        ).scalar()
        if not got:
            conn.rollback()
            conn.close()
            return None
        conn.execute(text("SELECT set_config('application_name', :n, false)"), {"n": owner[:63]})
        conn.commit()  # the session keeps the lock; the connection stays out of the pool
    except BaseException:
        conn.close()
        raise
    return AdvisoryLock(conn, classid, objid)


def holder(engine: Engine, classid: int, objid: int) -> tuple[bool, str | None]:
    """``(held, application_name of the holder)`` read from ``pg_locks``, without locking."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT a.application_name FROM pg_locks l "
                "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :c "
                "AND l.objid = :o AND l.objsubid = 2 AND l.database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"c": classid, "o": objid},
        ).first()
    if row is None:
        return False, None
    return True, row[0]
