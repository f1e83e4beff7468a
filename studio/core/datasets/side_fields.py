"""History fields outside the editable example columns: undo/redo of review decisions.

Accepting a teacher candidate (ISSUE 13 §3, :mod:`studio.core.distil.review`) changes
more than the curation columns: the example's ``ideal_source`` and the candidate's own
status (with who decided and when). Both are recorded as ``example_history`` rows of the
same operation, so the one undo path (:func:`studio.core.datasets.operations.apply_operation`)
reverses them with the ideal output:

* field ``ideal_source``: before/after are JSON strings, like any column;
* field ``candidate:<id>`` (on the candidate's example): before/after are JSON objects
  ``{"status", "decided_at", "decided_by"}`` of candidate ``<id>``.

Two operations overlap (undo refuses one a later one is in the way of) when they share
an example and a field, so two decisions on the same candidate overlap and decisions on
different candidates do not. The datasets layer only touches the ``candidate`` table
through these SQL statements; it does not import the distil package.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, text

from studio.core.db.dialect import is_postgresql, json_value_sql, time_text

CANDIDATE_FIELD_PREFIX = "candidate:"
IDEAL_SOURCE_FIELD = "ideal_source"


def candidate_field(candidate_id: int) -> str:
    """The history field naming candidate ``candidate_id``'s decision."""
    return f"{CANDIDATE_FIELD_PREFIX}{int(candidate_id)}"


def candidate_state(status: str, decided_at: Any, decided_by: str | None) -> dict[str, Any]:
    """The before/after value of a ``candidate:<id>`` history row."""
    return {
        "status": status,
        "decided_at": None if decided_at is None else time_text(decided_at),
        "decided_by": decided_by or "",
    }


def apply_side_fields(
    conn: Connection, op_id: int, fields: Collection[str], value_col: str, handled: Collection[str]
) -> None:
    """Write the ``value_col`` side (``before_json`` undoes, ``after_json`` redoes) of
    the operation's side fields: ``ideal_source`` (unless ``handled`` already covers it
    as an editable column) and every ``candidate:<id>``."""
    assert value_col in ("before_json", "after_json")
    pg = is_postgresql(conn)

    def value(key: str | None, table: str, column: str) -> str:
        return json_value_sql("h.v", key, table, column, postgresql=pg)

    if IDEAL_SOURCE_FIELD in fields and IDEAL_SOURCE_FIELD not in handled:
        conn.execute(
            text(
                f"UPDATE example SET ideal_source = "
                f"coalesce({value(None, 'example', 'ideal_source')}, '') "
                f"FROM (SELECT example_id, {value_col} AS v FROM example_history "
                "WHERE op_id = :op AND field = :f) h WHERE h.example_id = example.id"
            ),
            {"op": op_id, "f": IDEAL_SOURCE_FIELD},
        )
    if any(f.startswith(CANDIDATE_FIELD_PREFIX) for f in fields):
        start = len(CANDIDATE_FIELD_PREFIX) + 1
        conn.execute(
            text(
                f"UPDATE candidate SET status = {value('status', 'candidate', 'status')}, "
                f"decided_at = {value('decided_at', 'candidate', 'decided_at')}, "
                f"decided_by = coalesce({value('decided_by', 'candidate', 'decided_by')}, '') "
                f"FROM (SELECT CAST(substr(field, {start}) AS INTEGER) AS cid, {value_col} AS v "
                "FROM example_history WHERE op_id = :op AND field LIKE :p) h "
                "WHERE candidate.id = h.cid AND h.v IS NOT NULL"
            ),
            {"op": op_id, "p": CANDIDATE_FIELD_PREFIX + "%"},
        )


def side_history_line(field: str, before: Any, after: Any) -> str | None:
    """How ``dataset show`` names a side-field change ("candidate 12: pending → accepted"),
    or None for other fields."""
    if field.startswith(CANDIDATE_FIELD_PREFIX):
        cid = field[len(CANDIDATE_FIELD_PREFIX) :]

        def status(v: Any) -> str:
            return str(v.get("status")) if isinstance(v, dict) else "(none)"

        return f"candidate {cid}: {status(before)} → {status(after)}"
    return None
