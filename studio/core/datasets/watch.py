"""A cheap marker of a project's dataset state, to notice changes made by another process.

The app polls :func:`change_marker` about once a second (ISSUE-11 §6: changes made by the
command line or a second window appear within 2 s). Every change to a dataset is an
operation (``operation`` table; undo flips its ``undone`` flag), datasets are created and
deleted as rows of ``dataset``, and an import adds rows of ``example``: so the marker is
those few aggregates, each answered from an index or a small table in well under a
millisecond at 100,000 examples.

On PostgreSQL (ISSUE-14 §3: another labeller's edit shows within 2 s) the same aggregates
cost more — ``count(*)`` is an index scan, not a stored count: 25 ms a poll at 100,000
examples and 15,000 operations on the test server, 2 ms on the demo — and every open app
pays them on the server each second. So the poll first reads the server's transaction
snapshot (``txid_current_snapshot()``, ~0.1 ms, no table read). Its text names exactly
the transactions that have finished (every xid below ``xmin``, and below ``xmax`` all
but the listed ones; ``xmax`` is one past the latest finished), so while it is
unchanged nothing was committed and the aggregates are not read again. Any commit
anywhere on the server moves it (a false alarm costs one full read, never a missed
change); a transaction still open at a poll is not counted as finished, so its commit
moves the snapshot later and is seen then.
LISTEN/NOTIFY was not chosen: it needs triggers in the schema (a migration on both
backends) and a connection held open per app for a gain of at most one poll period.
"""

from __future__ import annotations

import weakref
from typing import Any

from studio.core.db.dialect import driver, is_postgresql
from studio.core.db.project import Project
from studio.core.db.transactions import read_conn

__all__ = ["ChangeMarker", "change_marker"]

ChangeMarker = tuple[int, ...]

_MARKER_SQL = (
    "SELECT (SELECT coalesce(max(id), 0) FROM operation),"
    " (SELECT coalesce(sum(CASE WHEN undone THEN 1 ELSE 0 END), 0) FROM operation),"
    " (SELECT count(*) FROM operation),"
    " (SELECT count(*) FROM dataset),"
    " (SELECT coalesce(max(id), 0) FROM dataset),"
    " (SELECT count(*) FROM example)"
)


_SNAPSHOT_SQL = "SELECT txid_current_snapshot()::text"

# project -> (server snapshot text, marker read right after it); PostgreSQL only
_last_read: weakref.WeakKeyDictionary[Project, tuple[str, ChangeMarker]] = (
    weakref.WeakKeyDictionary()
)


def change_marker(project: Project) -> ChangeMarker:
    """A tuple that differs whenever a dataset, its examples or its history changed."""
    with read_conn(project) as conn:
        raw: Any = driver(conn)
        if not is_postgresql(conn):
            row = raw.execute(_MARKER_SQL).fetchone()
            return tuple(int(v) for v in row)
        # Read the snapshot before the aggregates: a commit between the two moves the
        # next snapshot, so the aggregates are read again then (never a missed change)
        snapshot = str(raw.execute(_SNAPSHOT_SQL).fetchone()[0])
        cached = _last_read.get(project)
        if cached is not None and cached[0] == snapshot:
            return cached[1]
        row = raw.execute(_MARKER_SQL).fetchone()
        marker = tuple(int(v) for v in row)
    _last_read[project] = (snapshot, marker)
    return marker
