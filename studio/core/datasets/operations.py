"""Undo and redo (the newest step or by operation id), and a dataset's operation list.

Every change to a dataset is one ``operation`` row with its change set in
``example_history`` (see :mod:`studio.core.datasets.curation`). The app's undo stack
and ``studio dataset undo --op ID`` undo *that* operation, not merely the dataset's
newest one: a label set before an import is undone while the import stays.

Undoing an operation that later operations touched (the same example and field, or
rows one of them created or deleted) would silently overwrite their work, so it is
refused with :class:`OperationConflictError` naming them — unless the caller asks to
undo them first (``cascade=True``; the app asks the user before doing so). Redo has
the mirror rule: the operation must not overlap an earlier one that is still undone,
nor a later one that is done.

Several labellers (ISSUE-14 §3): the rule counts every later operation whoever made it,
and the refusal names who made each one and when, and which examples it changed
("… 12 (Edit example 5) by bob at 2026-12-07 17:40:01 UTC, on example 5 …"); undoing
another labeller's work needs ``cascade=True`` (``--with-later``; the app asks). An
undo or redo locks the examples it changes and then its operation row before it reads
anything (:func:`_lock`): on PostgreSQL (READ COMMITTED) a concurrent edit of those
examples waits for it (and is then refused as stale, since undo bumps the row versions)
or committed before it (and then blocks it), and two labellers undoing the same
operation at once get one undo and one "already undone". SQLite's write transaction
(``BEGIN IMMEDIATE``) serialises the same way.

Personal undo (as in collaborative editors): the steps without an operation id —
:func:`undo`, :func:`redo`, :func:`undo_state`, ``undo_operation(op_id=None)`` (the
CLI's ``studio dataset undo``) — act on the current user's own operations only
(``operation.actor`` = :func:`~studio.core.db.project.current_user`): undo takes *my*
newest done operation, redo *my* oldest undone one (the one undone last when undos
run newest first). "Mine" means *made by me*, not *undone by me*: the log records who
made each operation and not who undid it, and the two differ only when someone undid
another's operation by id, which then stays on its maker's redo stack. The refusal
rules are unchanged and count everyone's operations: my newest operation that a
colleague's later one touched the same examples of is refused naming it. Another
labeller's operation is undone only when named (``--op ID``, the History dialog), and a
new operation discards only its maker's undone ones
(:func:`~studio.core.datasets.operation_log.new_operation`). With one user every
operation is theirs, so all of this is the dataset's plain linear undo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from studio.core.datasets.change_sets import Changes, OpSummary, changed_ids
from studio.core.datasets.operation_log import (
    EDITABLE_COLUMNS,
    FIELD_NAMES,
    ROW_FIELD,
    require_dataset,
    restore_rows_sql,
    snapshot_sql,
)
from studio.core.datasets.queries import HistoryEntry
from studio.core.datasets.side_fields import apply_side_fields, side_history_line
from studio.core.db.dialect import driver, is_postgresql, json_value_sql, lock_rows, time_text
from studio.core.db.engine import db_time
from studio.core.db.project import Project, current_user
from studio.core.db.transactions import read_conn, write_tx
from studio.core.errors import NotFoundError, UserError


# Its to_json spells its keys out like the other records' (duplicates report pairs it with
# datasets/operations, decide/reasons, decide/decision, evals/run_state, export/fit): see the
# note at formats/common.Finding.
@dataclass(frozen=True)
class OperationInfo:
    """One operation of a dataset, as ``studio dataset history`` lists it.

    Attributes:
        id: the operation id (``studio dataset undo --op ID``).
        kind: ``import``, ``set_label``, ``set_status``, ``add_tag``, ``split``, ``edit`` ...
        description: what it did ("Import 1,204 examples from a.csv").
        count: how many examples it changed.
        actor: who made it.
        at: when (UTC, as stored).
        undone: whether it is currently undone (redo brings it back).
    """

    id: int
    kind: str
    description: str
    count: int
    actor: str
    at: str
    undone: bool

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON shape."""
        return {
            "id": self.id,
            "kind": self.kind,
            "description": self.description,
            "count": self.count,
            "actor": self.actor,
            "at": self.at,
            "undone": self.undone,
        }


class OperationConflictError(UserError):
    """Undo/redo refused because other operations touched the same examples.

    Attributes:
        op_id: the operation asked for.
        blockers: the operations in the way, as (id, description), newest first.
    """

    def __init__(self, message: str, op_id: int, blockers: list[tuple[int, str]]) -> None:
        super().__init__(message, where=f"operation {op_id}")
        self.op_id = op_id
        self.blockers = blockers


class OperationStateError(UserError):
    """Undo of an operation already undone, or redo of one that is not (nothing to do)."""


def list_operations(project: Project, dataset_id: int) -> list[OperationInfo]:
    """The dataset's operations, newest first (undone ones flagged)."""
    with read_conn(project) as conn:
        require_dataset(conn, dataset_id)
        rows = conn.execute(
            text(
                "SELECT id, kind, description, count, actor, at, undone FROM operation "
                "WHERE dataset_id = :d ORDER BY id DESC"
            ),
            {"d": dataset_id},
        ).all()
    return [_info(r) for r in rows]


def _operation(conn: Connection, dataset_id: int, op_id: int) -> tuple[str, bool]:
    row = conn.execute(
        text("SELECT description, undone FROM operation WHERE id = :o AND dataset_id = :d"),
        {"o": op_id, "d": dataset_id},
    ).first()
    if row is None:
        raise NotFoundError(
            f"Operation {op_id} does not exist in this dataset (a newer change may have "
            "discarded it from the redo list); `studio dataset history` lists the operations.",
            where="op",
        )
    return str(row[0]), bool(row[1])


def _overlapping(conn: Connection, dataset_id: int, op_id: int, *, for_redo: bool) -> list[int]:
    """Operations in the way of undoing (or redoing) ``op_id``, newest first.

    Two operations overlap when their change sets share an example and either the
    same field or a created/deleted row (``__row__``).
    """
    which = "(o.id > :op AND o.undone = FALSE)"
    if for_redo:
        which = f"({which} OR (o.id < :op AND o.undone = TRUE))"
    raw: Any = driver(conn)
    rows = raw.execute(
        "SELECT DISTINCT b.op_id FROM example_history a "
        "JOIN example_history b ON b.example_id = a.example_id AND b.op_id != a.op_id "
        "JOIN operation o ON o.id = b.op_id "
        f"WHERE a.op_id = :op AND o.dataset_id = :d AND {which} "
        "AND (a.field = b.field OR a.field = :row OR b.field = :row) "
        "ORDER BY b.op_id DESC",
        {"op": op_id, "d": dataset_id, "row": ROW_FIELD},
    ).fetchall()
    return [int(r[0]) for r in rows]


def _lock(conn: Connection, op_ids: list[int]) -> None:
    """Lock the examples the operations changed, then the operation rows (PostgreSQL).

    Examples first, in id order, as every bulk edit takes them (change_sets.bulk_set):
    an edit and an undo of the same rows then queue instead of deadlocking. Rows of a
    created/deleted snapshot that do not exist are simply not locked; the operation row
    lock still serialises two undos of it. SQLite: nothing to do (``BEGIN IMMEDIATE``).
    """
    ids = ", ".join(str(int(o)) for o in op_ids)
    lock_rows(
        conn,
        "SELECT id FROM example WHERE id IN "
        f"(SELECT example_id FROM example_history WHERE op_id IN ({ids})) ORDER BY id",
        {},
    )
    lock_rows(conn, f"SELECT id FROM operation WHERE id IN ({ids}) ORDER BY id", {})


def _describe(conn: Connection, ids: list[int]) -> list[tuple[int, str]]:
    """(id, description) of each operation; another labeller's says who made it and when."""
    me = current_user()
    out = []
    for i in ids:
        row = conn.execute(
            text("SELECT description, actor, at FROM operation WHERE id = :o"), {"o": i}
        ).one()
        desc = str(row[0])
        if str(row[1]) != me:
            desc += f" by {row[1]} at {time_text(row[2])[:19]} UTC"
        out.append((i, desc))
    return out


def _shared_examples(conn: Connection, op_id: int, other: int) -> str:
    """The examples both operations changed, for a refusal ("example 5", "examples 3, 5")."""
    raw: Any = driver(conn)
    rows = raw.execute(
        "SELECT DISTINCT a.example_id FROM example_history a JOIN example_history b "
        "ON b.example_id = a.example_id WHERE a.op_id = ? AND b.op_id = ? "
        "ORDER BY a.example_id LIMIT 6",
        (op_id, other),
    ).fetchall()
    ids = [str(r[0]) for r in rows[:5]]
    more = ", …" if len(rows) > 5 else ""
    return f"example{'s' if len(rows) > 1 else ''} {', '.join(ids)}{more}"


def _undo_conflict(conn: Connection, op_id: int, desc: str, blockers: list[int]) -> str:
    """The refusal of an undo: each later operation in the way, who made it, when, where."""
    me = current_user()
    parts = []
    for i in blockers:
        row = conn.execute(
            text("SELECT description, actor, at FROM operation WHERE id = :o"), {"o": i}
        ).one()
        who = "you" if str(row[1]) == me else str(row[1])
        parts.append(
            f"{i} ({row[0]}) by {who} at {time_text(row[2])[:19]} UTC, on "
            f"{_shared_examples(conn, op_id, i)}"
        )
    return (
        f"Cannot undo operation {op_id} ({desc}): later operations changed the same "
        f"examples after it: {'; '.join(parts)}. Undo those first, or undo them together "
        "with it (`studio dataset undo --with-later`; the app asks)."
    )


def _conflict(verb: str, op_id: int, desc: str, blockers: list[tuple[int, str]]) -> str:
    names = "; ".join(f"{i} ({d})" for i, d in blockers)
    return (
        f"Cannot redo operation {op_id} ({desc}): it overlaps operations {names}; "
        "redo earlier ones (or undo later ones) first."
    )


def undo_operation(
    project: Project, dataset_id: int, op_id: int | None = None, *, cascade: bool = False
) -> list[OpSummary]:
    """Undo one operation by id (the newest done one when ``op_id`` is None).

    Several labellers: an operation is refused while a later operation by *anyone*
    changed the same examples (the same field, or a row it created or deleted), and
    the refusal names each one with who made it, when and on which examples — undo
    never overwrites another labeller's newer edit. ``cascade`` undoes them too (the
    CLI's ``--with-later``; the app asks first). The default (no ``op_id``) is the
    current user's newest done operation (personal undo, module docstring): another
    labeller's is undone only by id (``studio dataset history`` shows who made which;
    :func:`newest_of_others` names it when the user has none). The examples and the
    operation are locked first (:func:`_lock`), so an undo racing an edit or another
    undo of the same operation on PostgreSQL waits, then decides on what committed.

    Args:
        cascade: also undo, first and newest first, every later operation that
            touched the same examples (otherwise they make this raise).

    Returns:
        What was undone, in the order it was undone (empty: nothing to undo, or
        nothing of the current user's when ``op_id`` is None).

    Raises:
        OperationConflictError: later operations touched the same examples (names them,
            who made them and when).
        NotFoundError: no such operation in this dataset.
        OperationStateError: the operation is already undone (perhaps by another
            labeller just now).
    """
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        if op_id is None:
            row = conn.execute(text(_LAST_DONE), {"d": dataset_id, "me": current_user()}).first()
            if row is None:
                return []
            op_id = int(row[0])
        # Lock before reading anything the decision rests on (module docstring)
        _lock(conn, [op_id])
        desc, undone = _operation(conn, dataset_id, op_id)
        if undone:
            raise OperationStateError(
                f"Operation {op_id} ({desc}) is already undone (perhaps by another "
                "labeller or window just now); nothing was changed.",
                where="op",
            )
        blockers = _overlapping(conn, dataset_id, op_id, for_redo=False)
        order = [op_id]
        if blockers and not cascade:
            raise OperationConflictError(
                _undo_conflict(conn, op_id, desc, blockers), op_id, _describe(conn, blockers)
            )
        if blockers:
            # The closure: operations in the way of the ones in the way, too. Their rows
            # are locked as well and the closure taken again until no new one appears
            # (one committed meanwhile on rows not locked yet would be missed).
            closure: set[int] = {op_id}
            while True:
                todo, seen = list(blockers), {op_id}
                while todo:
                    b = todo.pop()
                    if b in seen:
                        continue
                    seen.add(b)
                    todo.extend(_overlapping(conn, dataset_id, b, for_redo=False))
                if seen == closure:
                    break
                _lock(conn, sorted(seen))
                closure = seen
            order = sorted(closure, reverse=True)
        out = []
        for o in order:
            changes = apply_operation(conn, o, dataset_id, forward=False)
            out.append(op_summary(conn, o, changes))
        return out


def redo_operation(project: Project, dataset_id: int, op_id: int) -> OpSummary:
    """Re-apply one undone operation by id.

    Raises:
        OperationConflictError: an earlier undone or a later done operation overlaps it.
        NotFoundError: no such operation (a newer change discards undone ones).
        OperationStateError: the operation is not undone.
    """
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        _lock(conn, [op_id])
        desc, undone = _operation(conn, dataset_id, op_id)
        if not undone:
            raise OperationStateError(f"Operation {op_id} ({desc}) is not undone.", where="op")
        blockers = _overlapping(conn, dataset_id, op_id, for_redo=True)
        if blockers:
            described = _describe(conn, blockers)
            raise OperationConflictError(
                _conflict("redo", op_id, desc, described), op_id, described
            )
        changes = apply_operation(conn, op_id, dataset_id, forward=True)
        return op_summary(conn, op_id, changes)


def _short(value: Any) -> str:
    if value is None:
        return "(none)"
    import json

    s = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return s if len(s) <= 40 else s[:39] + "…"


def history_line(entry: HistoryEntry) -> str:
    """One example's history entry as a sentence with what its operation did.

    A created row reads "added by: Import 1,204 examples from a.csv", a deleted one
    "deleted by: Delete 3 examples" (not "deleted row" for an import); a field change
    "label: a → b (Set label "b" on 3 examples)". Undone operations say so.
    """
    undone = " [undone]" if entry.undone else ""
    op = entry.description or entry.op_kind
    if entry.field == ROW_FIELD:
        verb = "added by" if entry.before is None else "deleted by"
        return f"{verb}: {op}{undone}"
    side = side_history_line(entry.field, entry.before, entry.after)
    if side is not None:
        return f"{side} ({op}){undone}"
    name = FIELD_NAMES.get(entry.field, entry.field)
    return f"{name}: {_short(entry.before)} → {_short(entry.after)} ({op}){undone}"


# ----------------------------------------------------------------------------- undo / redo


def apply_operation(conn: Connection, op_id: int, dataset_id: int, *, forward: bool) -> Changes:
    """Revert (forward=False) or re-apply (forward=True) one operation's history."""
    raw: Any = driver(conn)
    pg = is_postgresql(conn)
    value_col = "after_json" if forward else "before_json"
    other_col = "before_json" if forward else "after_json"
    # 1. Rows that must disappear: they exist on the side we leave and not on the one
    #    we go to. Snapshot them first (an import's rows get their snapshot here).
    conn.execute(
        text(
            f"UPDATE example_history SET {other_col} = "
            f"(SELECT {snapshot_sql('e', postgresql=pg)} FROM example e "
            "WHERE e.id = example_history.example_id) "
            f"WHERE op_id = :op AND field = :f AND {value_col} IS NULL"
        ),
        {"op": op_id, "f": ROW_FIELD},
    )
    conn.execute(
        text(
            "DELETE FROM example WHERE id IN (SELECT example_id FROM example_history "
            f"WHERE op_id = :op AND field = :f AND {value_col} IS NULL)"
        ),
        {"op": op_id, "f": ROW_FIELD},
    )
    # 2. Rows that must (re)appear, from their snapshots
    conn.execute(
        text(
            f"{restore_rows_sql(value_col, postgresql=pg)} WHERE op_id = :op AND field = :f "
            f"AND {value_col} IS NOT NULL AND example_id NOT IN (SELECT id FROM example)"
        ),
        {"op": op_id, "f": ROW_FIELD},
    )
    # 3. Field values: one UPDATE … FROM for all the fields of the operation
    fields = [
        r[0]
        for r in raw.execute(
            "SELECT DISTINCT field FROM example_history WHERE op_id = ? AND field != ?",
            (op_id, ROW_FIELD),
        )
    ]
    now = db_time()
    columns = [f for f in fields if f in EDITABLE_COLUMNS]
    if columns:
        # One pass over the operation's history, grouped per example (the unique
        # (op_id, example_id, field) index yields it in example order, no sort), so
        # each example row is rewritten once even when several of its fields changed
        # (a classification label and its ideal output). A field without a history
        # row for an example keeps its value.
        picks = ", ".join(
            f"max(CASE WHEN field = :f{i} THEN 1 END) AS has{i}, "
            f"max(CASE WHEN field = :f{i} THEN {value_col} END) AS v{i}"
            for i in range(len(columns))
        )
        sets = ", ".join(
            f"{c} = CASE WHEN h.has{i} = 1 THEN "
            f"{json_value_sql(f'h.v{i}', None, 'example', c, postgresql=pg)} ELSE {c} END"
            for i, c in enumerate(columns)
        )
        params: dict[str, Any] = {f"f{i}": c for i, c in enumerate(columns)}
        names = ", ".join(f":{k}" for k in params)
        conn.execute(
            text(
                f"UPDATE example SET {sets}, updated_at = :now, version = version + 1, "
                f"updated_by = :actor FROM (SELECT example_id, {picks} "
                f"FROM example_history WHERE op_id = :op AND field IN ({names}) "
                "GROUP BY example_id) h WHERE h.example_id = example.id"
            ),
            {**params, "op": op_id, "now": now, "actor": current_user()},
        )
    # Review decisions: ideal_source and candidate statuses (datasets/side_fields.py)
    apply_side_fields(conn, op_id, fields, value_col, columns)
    ids = changed_ids(conn, op_id)
    row_changes = raw.execute(
        "SELECT 1 FROM example_history WHERE op_id = ? AND field = ? LIMIT 1", (op_id, ROW_FIELD)
    ).fetchone()
    all_fields = set(fields) | ({ROW_FIELD} if row_changes else set())
    conn.execute(
        text("UPDATE operation SET undone = :u WHERE id = :op"),
        {"u": not forward, "op": op_id},
    )
    desc = conn.execute(
        text("SELECT description FROM operation WHERE id = :o"), {"o": op_id}
    ).scalar_one()
    return Changes(op_id, str(desc), ids, frozenset(all_fields), bool(row_changes))


def op_summary(conn: Connection, op_id: int, changes: Changes) -> OpSummary:
    row = conn.execute(
        text("SELECT kind, description, count, undone, actor FROM operation WHERE id = :o"),
        {"o": op_id},
    ).one()
    return OpSummary(op_id, row[0], row[1], int(row[2]), bool(row[3]), changes, str(row[4]))


# The current user's next undo and redo steps (personal undo, module docstring): the
# newest of their done operations, and the oldest of their undone ones (undos run newest
# first, so that is the one undone last). ``:me`` is current_user().
_LAST_DONE = (
    "SELECT id FROM operation WHERE dataset_id = :d AND undone = FALSE AND actor = :me "
    "ORDER BY id DESC LIMIT 1"
)
_FIRST_UNDONE = (
    "SELECT id FROM operation WHERE dataset_id = :d AND undone = TRUE AND actor = :me "
    "ORDER BY id ASC LIMIT 1"
)


def _step(project: Project, dataset_id: int, find_sql: str, *, forward: bool) -> OpSummary | None:
    """Apply (redo) or reverse (undo) the operation ``find_sql`` picks; None when none.

    Raises:
        OperationConflictError: the user's step overlaps another labeller's work (undo:
            a later done operation changed the same examples; redo: an earlier undone
            or a later done one did), named as :func:`undo_operation` names them.
    """
    me = {"d": dataset_id, "me": current_user()}
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        # Lock the step, then look again: another labeller's undo, redo or edit may
        # have committed while this one waited (PostgreSQL), and the step is whatever
        # is next once it has; as SQLite's write lock, which runs the two in turn
        op = conn.execute(text(find_sql), me).first()
        while op is not None:
            _lock(conn, [int(op[0])])
            still = conn.execute(text(find_sql), me).first()
            if still is not None and int(still[0]) == int(op[0]):
                break
            op = still
        if op is None:
            return None
        op_id = int(op[0])
        # My newest operation need not be the dataset's newest: a colleague's later
        # operation on the same examples is in the way, as for undo by id. (One user:
        # never, the newest done operation has no later done one.)
        blockers = _overlapping(conn, dataset_id, op_id, for_redo=forward)
        if blockers:
            desc, _undone = _operation(conn, dataset_id, op_id)
            described = _describe(conn, blockers)
            message = (
                _conflict("redo", op_id, desc, described)
                if forward
                else _undo_conflict(conn, op_id, desc, blockers)
            )
            raise OperationConflictError(message, op_id, described)
        changes = apply_operation(conn, op_id, dataset_id, forward=forward)
        return op_summary(conn, op_id, changes)


def undo(project: Project, dataset_id: int) -> OpSummary | None:
    """Undo the current user's newest operation; None when they have nothing to undo.

    Another labeller's operations are never picked (undo them by id with
    :func:`undo_operation`); :func:`newest_of_others` names the newest one.
    """
    return _step(project, dataset_id, _LAST_DONE, forward=False)


def redo(project: Project, dataset_id: int) -> OpSummary | None:
    """Redo the current user's most recently undone operation; None when none."""
    return _step(project, dataset_id, _FIRST_UNDONE, forward=True)


def _info(row: Any) -> OperationInfo:
    return OperationInfo(
        int(row[0]), row[1], row[2], int(row[3]), row[4], time_text(row[5]), bool(row[6])
    )


def _newest_of_others(conn: Connection, dataset_id: int, me: str) -> OperationInfo | None:
    row = conn.execute(
        text(
            "SELECT id, kind, description, count, actor, at, undone FROM operation "
            "WHERE dataset_id = :d AND undone = FALSE AND actor != :me "
            "ORDER BY id DESC LIMIT 1"
        ),
        {"d": dataset_id, "me": me},
    ).first()
    return _info(row) if row is not None else None


def newest_of_others(project: Project, dataset_id: int) -> OperationInfo | None:
    """The dataset's newest done operation made by someone other than the current user.

    What "nothing of yours to undo" points at: undo it by id if that is meant.
    """
    with read_conn(project) as conn:
        require_dataset(conn, dataset_id)
        return _newest_of_others(conn, dataset_id, current_user())


@dataclass(frozen=True)
class UndoState:
    """What Edit ▸ Undo / Redo would do for the current user (descriptions), or None.

    Attributes:
        undo: the description of the user's next undo step, or None.
        redo: the description of the user's next redo step, or None.
        other: when ``undo`` is None, the dataset's newest done operation by another
            labeller (to say "nothing of yours to undo; … by bob"), else None.
    """

    undo: str | None
    redo: str | None
    other: OperationInfo | None = None


def undo_state(project: Project, dataset_id: int) -> UndoState:
    """Descriptions of the current user's next undo and redo steps (personal undo)."""
    me = current_user()
    params = {"d": dataset_id, "me": me}
    with read_conn(project) as conn:
        u = conn.execute(
            text(_LAST_DONE.replace("SELECT id", "SELECT description")), params
        ).first()
        r = conn.execute(
            text(_FIRST_UNDONE.replace("SELECT id", "SELECT description")), params
        ).first()
        other = None if u else _newest_of_others(conn, dataset_id, me)
    return UndoState(u[0] if u else None, r[0] if r else None, other)
