"""Change sets: what one curation operation changed, and the bulk column write behind it.

A bulk action puts its target ids into a temp table (:mod:`studio.core.db.id_sets`),
writes ``example_history`` rows and the new values in SQL, and returns
:class:`Changes` so views redraw only the rows and columns that changed (Anki's
``OpChanges`` idea). :class:`OpSummary` is an operation undone or redone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, text

from studio.core.datasets.operation_log import finish_operation, new_operation, require_dataset
from studio.core.datasets.queries import ExampleFilter, filter_sql
from studio.core.db.dialect import driver, is_postgresql, json_quote_sql, lock_rows
from studio.core.db.engine import db_time
from studio.core.db.id_sets import load_id_set
from studio.core.db.project import Project, current_user
from studio.core.db.transactions import write_tx

Target = Sequence[int] | ExampleFilter
"""The examples a bulk action applies to: a list of ids, or everything a filter matches."""


@dataclass(frozen=True)
class Changes:
    """What one operation changed, so views redraw only that.

    Attributes:
        op_id: the operation (None when nothing changed and nothing was recorded).
        description: for the Undo/Redo menu ("Set label on 120 examples").
        example_ids: examples whose rows changed (or appeared/disappeared).
        fields: the columns that changed (``"__row__"`` = rows added or removed).
        rows_added_or_removed: the table must re-query its id list.
    """

    op_id: int | None
    description: str
    example_ids: tuple[int, ...]
    fields: frozenset[str]
    rows_added_or_removed: bool = False

    @property
    def count(self) -> int:
        """How many examples changed."""
        return len(self.example_ids)


@dataclass(frozen=True)
class OpSummary:
    """An operation that was undone or redone, with what that changed."""

    op_id: int
    kind: str
    description: str
    count: int
    undone: bool
    changes: Changes
    actor: str = ""  # who made the operation (not who undid it)


def nothing(description: str) -> Changes:
    return Changes(None, description, (), frozenset())


def resolve_target(conn: Connection, dataset_id: int, target: Target) -> int:
    """Put the target ids (limited to this dataset) into the temp table; returns count."""
    if isinstance(target, ExampleFilter):
        where, params = filter_sql(dataset_id, target, postgresql=is_postgresql(conn))
        conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS _sel_ids (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("DELETE FROM _sel_ids")
        raw: Any = driver(conn)
        raw.execute(f"INSERT INTO _sel_ids (id) SELECT id FROM example WHERE {where}", params)
        return int(conn.exec_driver_sql("SELECT count(*) FROM _sel_ids").scalar_one())
    load_id_set(conn, target)
    # Ignore ids of other datasets or deleted rows
    conn.execute(
        text("DELETE FROM _sel_ids WHERE id NOT IN (SELECT id FROM example WHERE dataset_id = :d)"),
        {"d": dataset_id},
    )
    return int(conn.exec_driver_sql("SELECT count(*) FROM _sel_ids").scalar_one())


def changed_ids(conn: Connection, op_id: int) -> tuple[int, ...]:
    raw: Any = driver(conn)
    rows = raw.execute(
        "SELECT DISTINCT example_id FROM example_history WHERE op_id = ? ORDER BY example_id",
        (op_id,),
    ).fetchall()
    return tuple(r[0] for r in rows)


def set_columnbulk_set(
    conn: Connection,
    dataset_id: int,
    op_id: int,
    column: str,
    value: Any,
    *,
    also: dict[str, Any] | None = None,
) -> None:
    """Set ``column`` = ``value`` on every selected row where it differs, with history.

    ``also`` sets further columns on the same rows (history recorded for each).
    """
    sets = {column: value, **(also or {})}
    now = db_time()
    actor = current_user()
    params: dict[str, Any] = {"op": op_id, "d": dataset_id, "now": now, "actor": actor}
    # Only rows whose main column actually changes are touched (and get history)
    params["v_main"] = value
    changed = f"{column} IS DISTINCT FROM :v_main"  # NULL-safe <> (SQLite >= 3.39, PG)
    for i, (col, val) in enumerate(sets.items()):
        params[f"v{i}"] = val
        params[f"after{i}"] = orjson.dumps(val).decode()
        params[f"f{i}"] = col

    # One pass over the selected rows writes the history of every column (a row per
    # column whose value differs): with ``also`` (a classification label also sets the
    # ideal output) this reads each example once instead of once per column. CROSS
    # JOIN keeps SQLite's loop order: selected ids ascending, then the columns in
    # order, so one example's history rows keep the order they had.
    def case(arms: list[str]) -> str:
        return "CASE f.k " + " ".join(f"WHEN {i} THEN {a}" for i, a in enumerate(arms)) + " END"

    cols = list(sets)
    pg = is_postgresql(conn)
    keys = " UNION ALL ".join(f"SELECT {i} AS k" for i in range(len(cols)))
    conn.execute(
        text(
            "INSERT INTO example_history (example_id, dataset_id, op_id, field, before_json, "
            f"after_json, actor, at) SELECT e.id, e.dataset_id, :op, "
            f"{case([f':f{i}' for i in range(len(cols))])}, "
            f"{case([json_quote_sql(f'e.{c}', postgresql=pg) for c in cols])}, "
            f"{case([f':after{i}' for i in range(len(cols))])}, :actor, :now "
            f"FROM _sel_ids s CROSS JOIN example e CROSS JOIN ({keys}) f "
            f"WHERE e.id = s.id AND e.{changed} "
            f"AND {case([f'e.{c} IS DISTINCT FROM :v{i}' for i, c in enumerate(cols)])}"
        ),
        params,
    )
    # Every change bumps the row version and names its author (ISSUE-14 §3)
    assignments = (
        ", ".join(f"{col} = :v{i}" for i, col in enumerate(sets))
        + ", updated_at = :now, version = version + 1, updated_by = :actor"
    )
    conn.execute(
        text(
            f"UPDATE example SET {assignments} WHERE id IN (SELECT id FROM _sel_ids) AND {changed}"
        ),
        params,
    )


def bulk_set(
    project: Project,
    dataset_id: int,
    target: Target,
    kind: str,
    verb: str,
    column: str,
    value: Any,
    also: dict[str, Any] | None = None,
    prepare: Callable[[Connection], None] | None = None,
    narrow_sql: str | None = None,
) -> Changes:
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        if prepare is not None:
            prepare(conn)
        n = resolve_target(conn, dataset_id, target)
        if narrow_sql is not None and n:
            conn.exec_driver_sql(narrow_sql)
            n = int(conn.exec_driver_sql("SELECT count(*) FROM _sel_ids").scalar_one())
        if n == 0:
            return nothing(verb)
        # History's before values are read, then written: no other writer in between
        lock_rows(
            conn, "SELECT id FROM example WHERE id IN (SELECT id FROM _sel_ids) ORDER BY id", {}
        )
        # Keep only the rows whose column actually changes: they are exactly the rows
        # that get history, so their ids come from the (small, ordered) temp table
        # instead of a DISTINCT over the new history rows
        conn.execute(
            text(
                "DELETE FROM _sel_ids WHERE id IN (SELECT e.id FROM _sel_ids s CROSS JOIN "
                f"example e WHERE e.id = s.id AND e.{column} IS NOT DISTINCT FROM :v)"
            ),
            {"v": value},
        )
        op_id = new_operation(conn, dataset_id, kind, verb)
        set_columnbulk_set(conn, dataset_id, op_id, column, value, also=also)
        raw: Any = driver(conn)
        ids = tuple(r[0] for r in raw.execute("SELECT id FROM _sel_ids ORDER BY id"))
        if not ids:
            conn.execute(text("DELETE FROM operation WHERE id = :o"), {"o": op_id})
            return nothing(verb)
        description = f"{verb} on {len(ids):,} example{'s' if len(ids) != 1 else ''}"
        finish_operation(conn, op_id, len(ids), description)
        fields = {column, *(also or {})}
        return Changes(op_id, description, ids, frozenset(fields))
