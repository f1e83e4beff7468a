"""Sets of row ids in SQL: a per-connection temp table, or parameter-sized slices.

Bulk edits select thousands of rows by id; a temp table filled with the driver's
executemany lets one ``UPDATE … WHERE id IN (SELECT id FROM _sel_ids)`` do the work
instead of one statement per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection

from studio.core.db.dialect import driver_placeholder


def load_id_set(conn: Connection, ids: Iterable[int], table: str = "_sel_ids") -> int:
    """Fill a per-connection temp table with ``ids``; returns how many distinct ids."""
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY)")
    conn.exec_driver_sql(f"DELETE FROM {table}")
    raw: Any = conn.connection.driver_connection
    cur = raw.cursor()
    try:
        mark = driver_placeholder(conn)
        cur.executemany(
            f"INSERT INTO {table} (id) VALUES ({mark}) ON CONFLICT DO NOTHING",
            [(int(i),) for i in ids],
        )
    finally:
        cur.close()
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def chunks(seq: Sequence[int], size: int = 900) -> Iterator[Sequence[int]]:
    """Slices of at most ``size`` (below SQLite's bound-parameter limit)."""
    for start in range(0, len(seq), size):
        yield seq[start : start + size]
