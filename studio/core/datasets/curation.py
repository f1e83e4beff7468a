"""Edits, bulk actions, undo and redo — every change is one operation with history.

Every change writes ``example_history`` rows (field, before → after as JSON of the
column value, actor, time) grouped by an ``operation``. Undo reverts the newest
operation of a dataset that is not undone; redo re-applies the oldest undone one; a
new change discards the undone ones (linear undo). Created and deleted rows are
recorded with the field ``__row__`` and a full-row JSON snapshot, so undoing a delete
restores the rows with their ids (example ids are AUTOINCREMENT, never reused).

Bulk actions do their per-row work in SQL (the target ids go into a temp table, then
``INSERT INTO example_history … SELECT`` and ``UPDATE … WHERE id IN (SELECT …)``), so
labelling 100,000 rows is one transaction well under 2 s. Each call returns
:class:`Changes` so the UI redraws only the rows and columns that changed (Anki's
``OpChanges`` idea).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, text

from studio.core.datasets._db import (
    EDITABLE_COLUMNS,
    EDITABLE_ORDER,
    ROW_FIELD,
    db_time,
    finish_operation,
    load_id_set,
    new_operation,
    require_dataset,
    restore_rows_sql,
    snapshot_sql,
    write_tx,
)
from studio.core.datasets.normalize import (
    input_text,
    normalize_text,
    tags_from_db,
    tags_to_db,
    text_hash,
)
from studio.core.datasets.service import ExampleFilter, filter_sql
from studio.core.db.project import Project, current_user
from studio.core.errors import NotFoundError, ValidationError
from studio.core.models.dataset import OUTPUT_KINDS, SPLITS, STATUSES

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


def _nothing(description: str) -> Changes:
    return Changes(None, description, (), frozenset())


def _resolve_target(conn: Connection, dataset_id: int, target: Target) -> int:
    """Put the target ids (limited to this dataset) into the temp table; returns count."""
    if isinstance(target, ExampleFilter):
        where, params = filter_sql(dataset_id, target)
        conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS _sel_ids (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("DELETE FROM _sel_ids")
        raw: Any = conn.connection.driver_connection
        raw.execute(f"INSERT INTO _sel_ids (id) SELECT id FROM example WHERE {where}", params)
        return int(conn.exec_driver_sql("SELECT count(*) FROM _sel_ids").scalar_one())
    load_id_set(conn, target)
    # Ignore ids of other datasets or deleted rows
    conn.execute(
        text("DELETE FROM _sel_ids WHERE id NOT IN (SELECT id FROM example WHERE dataset_id = :d)"),
        {"d": dataset_id},
    )
    return int(conn.exec_driver_sql("SELECT count(*) FROM _sel_ids").scalar_one())


def _changed_ids(conn: Connection, op_id: int) -> tuple[int, ...]:
    raw: Any = conn.connection.driver_connection
    rows = raw.execute(
        "SELECT DISTINCT example_id FROM example_history WHERE op_id = ? ORDER BY example_id",
        (op_id,),
    ).fetchall()
    return tuple(r[0] for r in rows)


def _set_column_bulk(
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
    changed = f"{column} IS NOT :v_main"
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
    keys = " UNION ALL ".join(f"SELECT {i} AS k" for i in range(len(cols)))
    conn.execute(
        text(
            "INSERT INTO example_history (example_id, dataset_id, op_id, field, before_json, "
            f"after_json, actor, at) SELECT e.id, e.dataset_id, :op, "
            f"{case([f':f{i}' for i in range(len(cols))])}, "
            f"{case([f'json_quote(e.{c})' for c in cols])}, "
            f"{case([f':after{i}' for i in range(len(cols))])}, :actor, :now "
            f"FROM _sel_ids s CROSS JOIN example e CROSS JOIN ({keys}) f "
            f"WHERE e.id = s.id AND e.{changed} "
            f"AND {case([f'e.{c} IS NOT :v{i}' for i, c in enumerate(cols)])}"
        ),
        params,
    )
    assignments = ", ".join(f"{col} = :v{i}" for i, col in enumerate(sets)) + ", updated_at = :now"
    conn.execute(
        text(
            f"UPDATE example SET {assignments} WHERE id IN (SELECT id FROM _sel_ids) AND {changed}"
        ),
        params,
    )


def _bulk(
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
        n = _resolve_target(conn, dataset_id, target)
        if narrow_sql is not None and n:
            conn.exec_driver_sql(narrow_sql)
            n = int(conn.exec_driver_sql("SELECT count(*) FROM _sel_ids").scalar_one())
        if n == 0:
            return _nothing(verb)
        # Keep only the rows whose column actually changes: they are exactly the rows
        # that get history, so their ids come from the (small, ordered) temp table
        # instead of a DISTINCT over the new history rows
        conn.execute(
            text(
                "DELETE FROM _sel_ids WHERE id IN (SELECT e.id FROM _sel_ids s CROSS JOIN "
                f"example e WHERE e.id = s.id AND e.{column} IS :v)"
            ),
            {"v": value},
        )
        op_id = new_operation(conn, dataset_id, kind, verb)
        _set_column_bulk(conn, dataset_id, op_id, column, value, also=also)
        raw: Any = conn.connection.driver_connection
        ids = tuple(r[0] for r in raw.execute("SELECT id FROM _sel_ids ORDER BY id"))
        if not ids:
            conn.execute(text("DELETE FROM operation WHERE id = :o"), {"o": op_id})
            return _nothing(verb)
        description = f"{verb} on {len(ids):,} example{'s' if len(ids) != 1 else ''}"
        finish_operation(conn, op_id, len(ids), description)
        fields = {column, *(also or {})}
        return Changes(op_id, description, ids, frozenset(fields))


def _classification(conn: Connection, dataset_id: int) -> bool:
    return require_dataset(conn, dataset_id)[2] == "classification"


def set_label(project: Project, dataset_id: int, target: Target, label: str | None) -> Changes:
    """Set the label of the target examples (one undoable operation).

    In a classification dataset the label is the ideal output, so both change.
    """
    label = label.strip() if label else None
    if label is not None and len(label) > 200:
        raise ValidationError("A label can have at most 200 characters.", where="label")
    with write_tx(project) as conn:
        is_cls = _classification(conn, dataset_id)

    def add_to_label_set(conn: Connection) -> None:
        if not is_cls or label is None:
            return
        labels = orjson.loads(
            conn.execute(
                text("SELECT label_set_json FROM dataset WHERE id = :d"), {"d": dataset_id}
            ).scalar_one()
        )
        if label not in labels:
            labels.append(label)
            conn.execute(
                text("UPDATE dataset SET label_set_json = :l WHERE id = :d"),
                {"l": orjson.dumps(labels).decode(), "d": dataset_id},
            )

    also = {"ideal_output": label, "output_kind": "text"} if is_cls else None
    shown = label if label is not None else "(none)"
    return _bulk(
        project,
        dataset_id,
        target,
        "set_label",
        f'Set label "{shown}"',
        "label",
        label,
        also,
        prepare=add_to_label_set,
    )


def set_status(project: Project, dataset_id: int, target: Target, status: str) -> Changes:
    """Set the status (draft, needs_review, approved, rejected)."""
    if status not in STATUSES:
        raise ValidationError(
            f'"{status}" is not a status; choose one of {", ".join(STATUSES)}.', where="status"
        )
    return _bulk(
        project, dataset_id, target, "set_status", f"Set status {status}", "status", status
    )


def set_split(project: Project, dataset_id: int, target: Target, split: str | None) -> Changes:
    """Move examples to a split (train, validation, test) or none.

    Locked test examples (used by an evaluation) are not moved out of test.
    """
    if split is not None and split not in SPLITS:
        raise ValidationError(
            f'"{split}" is not a split; choose one of {", ".join(SPLITS)}.', where="split"
        )
    # Locked test examples (used by an evaluation) never leave test here
    narrow = (
        None
        if split == "test"
        else "DELETE FROM _sel_ids WHERE id IN (SELECT id FROM example WHERE split_locked = 1 "
        "AND split = 'test')"
    )
    return _bulk(
        project,
        dataset_id,
        target,
        "set_split",
        f"Move to {split or 'no split'}",
        "split",
        split,
        narrow_sql=narrow,
    )


def set_rating(project: Project, dataset_id: int, target: Target, rating: int | None) -> Changes:
    """Set the rating (1–5) or clear it (None)."""
    if rating is not None and not (isinstance(rating, int) and 1 <= rating <= 5):
        raise ValidationError("A rating is a whole number from 1 to 5.", where="rating")
    return _bulk(
        project,
        dataset_id,
        target,
        "set_rating",
        f"Rate {rating}" if rating is not None else "Clear rating",
        "rating",
        rating,
    )


def _tag_op(project: Project, dataset_id: int, target: Target, tag: str, add: bool) -> Changes:
    tag = tag.strip()
    if not tag or "|" in tag:
        raise ValidationError('A tag must be non-empty and cannot contain "|".', where="tag")
    marker = f"|{tag}|"
    verb = f'Add tag "{tag}"' if add else f'Remove tag "{tag}"'
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        n = _resolve_target(conn, dataset_id, target)
        if n == 0:
            return _nothing(verb)
        op_id = new_operation(conn, dataset_id, "add_tag" if add else "remove_tag", verb)
        # Tags are a sorted "|a|b|" list; rebuilding it is done in Python for the rows
        # that change (only those), then written back with one executemany.
        raw: Any = conn.connection.driver_connection
        cond = "NOT LIKE" if add else "LIKE"
        candidates = raw.execute(
            "SELECT id, tags FROM example WHERE id IN (SELECT id FROM _sel_ids) "
            f"AND tags {cond} ? ESCAPE '\\'",
            (f"%{_like_escape(marker)}%",),
        ).fetchall()
        rows = [r for r in candidates if (tag in tags_from_db(r[1])) != add]
        if not rows:
            conn.execute(text("DELETE FROM operation WHERE id = :o"), {"o": op_id})
            return _nothing(verb)
        now = db_time()
        actor = current_user()
        updates = []
        history = []
        for ex_id, tags in rows:
            current = set(tags_from_db(tags))
            if add:
                current.add(tag)
            else:
                current.discard(tag)
            new = tags_to_db(sorted(current))
            updates.append((new, now, ex_id))
            history.append(
                (
                    ex_id,
                    dataset_id,
                    op_id,
                    "tags",
                    orjson.dumps(tags).decode(),
                    orjson.dumps(new).decode(),
                    actor,
                    now,
                )
            )
        raw.executemany("UPDATE example SET tags = ?, updated_at = ? WHERE id = ?", updates)
        raw.executemany(
            "INSERT INTO example_history (example_id, dataset_id, op_id, field, before_json, "
            "after_json, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            history,
        )
        description = f"{verb} on {len(rows):,} example{'s' if len(rows) != 1 else ''}"
        finish_operation(conn, op_id, len(rows), description)
        return Changes(op_id, description, tuple(sorted(r[0] for r in rows)), frozenset({"tags"}))


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def add_tag(project: Project, dataset_id: int, target: Target, tag: str) -> Changes:
    """Add a tag to the target examples."""
    return _tag_op(project, dataset_id, target, tag, add=True)


def remove_tag(project: Project, dataset_id: int, target: Target, tag: str) -> Changes:
    """Remove a tag from the target examples."""
    return _tag_op(project, dataset_id, target, tag, add=False)


def delete_examples_in(
    conn: Connection, dataset_id: int, op_id: int, ids: Sequence[int] | None = None
) -> tuple[int, ...]:
    """Delete rows (those in ``_sel_ids`` or ``ids``) inside an operation, with snapshots."""
    if ids is not None:
        load_id_set(conn, ids)
    now = db_time()
    conn.execute(
        text(
            "INSERT INTO example_history (example_id, dataset_id, op_id, field, before_json, "
            f"after_json, actor, at) SELECT id, dataset_id, :op, :f, {snapshot_sql()}, NULL, "
            ":actor, :now FROM example WHERE id IN (SELECT id FROM _sel_ids) AND dataset_id = :d"
        ),
        {"op": op_id, "f": ROW_FIELD, "actor": current_user(), "now": now, "d": dataset_id},
    )
    raw: Any = conn.connection.driver_connection
    deleted = tuple(
        r[0]
        for r in raw.execute(
            "SELECT example_id FROM example_history WHERE op_id = ? AND field = ? "
            "AND after_json IS NULL AND before_json IS NOT NULL ORDER BY example_id",
            (op_id, ROW_FIELD),
        )
    )
    conn.execute(
        text("DELETE FROM example WHERE id IN (SELECT id FROM _sel_ids) AND dataset_id = :d"),
        {"d": dataset_id},
    )
    return deleted


def delete(project: Project, dataset_id: int, target: Target) -> Changes:
    """Delete the target examples (undo restores them with the same ids)."""
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        n = _resolve_target(conn, dataset_id, target)
        if n == 0:
            return _nothing("Delete")
        op_id = new_operation(conn, dataset_id, "delete", "Delete")
        ids = delete_examples_in(conn, dataset_id, op_id)
        description = f"Delete {len(ids):,} example{'s' if len(ids) != 1 else ''}"
        finish_operation(conn, op_id, len(ids), description)
        return Changes(op_id, description, ids, frozenset({ROW_FIELD}), True)


# ----------------------------------------------------------------------------- single edits

_EDIT_FIELDS = (
    "inputs",
    "system_prompt",
    "conversation",
    "tools",
    "ideal_output",
    "output_kind",
    "status",
    "label",
    "tags",
    "rating",
    "notes",
    "split",
)


def _column_values(conn: Connection, example_id: int) -> dict[str, Any]:
    row = conn.execute(
        text(f"SELECT id, dataset_id, {', '.join(EDITABLE_ORDER)} FROM example WHERE id = :i"),
        {"i": example_id},
    ).first()
    if row is None:
        raise NotFoundError(f"There is no example with id {example_id}.", where="example")
    return dict(row._mapping)


def _validate_output(conn: Connection, dataset_id: int, kind: str, value: str | None) -> None:
    if value is None or kind == "text":
        return
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(
            f"The ideal output is not valid JSON: {exc}.", where="ideal_output"
        ) from exc
    if kind == "tool_calls":
        calls = parsed.get("tool_calls") if isinstance(parsed, dict) else None
        if not isinstance(calls, list) or not calls:
            raise ValidationError(
                'A tool-call output is {"content": ..., "tool_calls": [...]} '
                "with at least one call.",
                where="ideal_output",
            )
        return
    schema_json = conn.execute(
        text("SELECT output_schema_json FROM dataset WHERE id = :d"), {"d": dataset_id}
    ).scalar_one()
    if schema_json:
        from jsonschema import Draft202012Validator

        error = next(
            iter(Draft202012Validator(orjson.loads(schema_json)).iter_errors(parsed)), None
        )
        if error is not None:
            path = "/".join(str(p) for p in error.absolute_path) or "(root)"
            raise ValidationError(
                f"The ideal output does not match the dataset's schema at {path}: {error.message}",
                where="ideal_output",
            )


def write_example_fields(
    conn: Connection,
    dataset_id: int,
    op_id: int,
    example_id: int,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> None:
    """Set ``after``'s columns on one example and record each as a history row of ``op_id``
    (``before`` holds the old values; both are stored as JSON of the column value)."""
    now = db_time()
    actor = current_user()
    conn.execute(
        text(
            "INSERT INTO example_history (example_id, dataset_id, op_id, field, before_json, "
            "after_json, actor, at) VALUES (:e, :d, :op, :f, :b, :a, :actor, :now)"
        ),
        [
            {
                "e": example_id,
                "d": dataset_id,
                "op": op_id,
                "f": k,
                "b": orjson.dumps(before.get(k)).decode(),
                "a": orjson.dumps(v).decode(),
                "actor": actor,
                "now": now,
            }
            for k, v in after.items()
        ],
    )
    assignments = ", ".join(f"{k} = :{k}" for k in after)
    conn.execute(
        text(f"UPDATE example SET {assignments}, updated_at = :now_ WHERE id = :id_"),
        {**after, "now_": now, "id_": example_id},
    )


def update_example(project: Project, example_id: int, **fields: Any) -> Changes:
    """Edit one example (one undoable operation; unchanged fields are not recorded).

    Keyword fields: ``inputs`` (dict), ``system_prompt``, ``conversation`` (list of
    messages), ``tools``, ``ideal_output`` (str; JSON text for json/tool_calls),
    ``output_kind``, ``status``, ``label``, ``tags`` (list), ``rating``, ``notes``,
    ``split``.

    Raises:
        ValidationError: an unknown field or an invalid value (names the field).
    """
    unknown = set(fields) - set(_EDIT_FIELDS)
    if unknown:
        raise ValidationError(
            f"Unknown example field(s): {', '.join(sorted(unknown))}.", where=sorted(unknown)[0]
        )
    with write_tx(project) as conn:
        cur = _column_values(conn, example_id)
        dataset_id = int(cur["dataset_id"])
        is_cls = _classification(conn, dataset_id)
        new: dict[str, Any] = {}
        if "inputs" in fields:
            if not isinstance(fields["inputs"], dict):
                raise ValidationError(
                    "The input must be an object of named values.", where="inputs"
                )
            new["input_json"] = orjson.dumps(fields["inputs"]).decode()
        if "system_prompt" in fields:
            new["system_prompt"] = fields["system_prompt"]
        if "conversation" in fields:
            conv = fields["conversation"]
            if conv is not None and (
                not isinstance(conv, list)
                or not all(isinstance(m, dict) and "role" in m for m in conv)
            ):
                raise ValidationError(
                    "The conversation must be a list of messages with a role.", where="conversation"
                )
            new["conversation_json"] = orjson.dumps(conv).decode() if conv is not None else None
        if "tools" in fields:
            new["tools_json"] = orjson.dumps(fields["tools"]).decode() if fields["tools"] else None
        if "output_kind" in fields:
            if fields["output_kind"] not in OUTPUT_KINDS:
                raise ValidationError(
                    f'"{fields["output_kind"]}" is not an output kind; choose one of '
                    f"{', '.join(OUTPUT_KINDS)}.",
                    where="output_kind",
                )
            new["output_kind"] = fields["output_kind"]
        if "ideal_output" in fields:
            value = fields["ideal_output"]
            if value is not None and not isinstance(value, str):
                value = orjson.dumps(value).decode()
                new.setdefault("output_kind", "json")
            new["ideal_output"] = value
        if "ideal_output" in new or "output_kind" in new:
            _validate_output(
                conn,
                dataset_id,
                new.get("output_kind", cur["output_kind"]),
                new.get("ideal_output", cur["ideal_output"]),
            )
        if "status" in fields:
            if fields["status"] not in STATUSES:
                raise ValidationError(
                    f'"{fields["status"]}" is not a status; choose one of {", ".join(STATUSES)}.',
                    where="status",
                )
            new["status"] = fields["status"]
        if "label" in fields:
            label = fields["label"].strip() if fields["label"] else None
            new["label"] = label
            if is_cls and "ideal_output" not in fields:
                new["ideal_output"] = label
                new["output_kind"] = "text"
        if "tags" in fields:
            new["tags"] = tags_to_db(list(fields["tags"] or []))
        if "rating" in fields:
            rating = fields["rating"]
            if rating is not None and not (isinstance(rating, int) and 1 <= rating <= 5):
                raise ValidationError("A rating is a whole number from 1 to 5.", where="rating")
            new["rating"] = rating
        if "notes" in fields:
            new["notes"] = fields["notes"] or ""
        if "split" in fields:
            split = fields["split"]
            if split is not None and split not in SPLITS:
                raise ValidationError(
                    f'"{split}" is not a split; choose one of {", ".join(SPLITS)}.', where="split"
                )
            if cur["split_locked"] and cur["split"] == "test" and split != "test":
                raise ValidationError(
                    "This test example was used by an evaluation, so it stays in test. "
                    "Re-split with 'move locked examples' to move it.",
                    where="split",
                )
            new["split"] = split
        if {"input_json", "system_prompt", "conversation_json"} & set(new):
            inputs = orjson.loads(new.get("input_json", cur["input_json"]) or "{}")
            conv_json = new.get("conversation_json", cur["conversation_json"])
            conv = orjson.loads(conv_json) if conv_json else None
            text_ = input_text(inputs, new.get("system_prompt", cur["system_prompt"]), conv)
            if not text_.strip():
                raise ValidationError("The input cannot be empty.", where="inputs")
            new["search_text"] = text_
            new["norm_hash"] = text_hash(normalize_text(text_))
        diff = {k: v for k, v in new.items() if cur.get(k) != v}
        if not diff:
            return _nothing("Edit")
        assert set(diff) <= EDITABLE_COLUMNS
        visible = [k for k in diff if k not in ("norm_hash", "search_text")] or list(diff)
        description = f"Edit {', '.join(_pretty(k) for k in visible)} of example {example_id}"
        op_id = new_operation(conn, dataset_id, "edit", description, 1)
        write_example_fields(conn, dataset_id, op_id, example_id, cur, diff)
        return Changes(op_id, description, (example_id,), frozenset(diff))


def _pretty(column: str) -> str:
    return {
        "input_json": "input",
        "conversation_json": "conversation",
        "tools_json": "tools",
        "ideal_output": "ideal output",
        "output_kind": "output kind",
        "system_prompt": "system prompt",
    }.get(column, column)


def add_example(
    project: Project,
    dataset_id: int,
    inputs: dict[str, Any] | None = None,
    *,
    ideal_output: str | None = None,
    output_kind: str = "text",
    label: str | None = None,
    system_prompt: str | None = None,
    conversation: list[dict[str, Any]] | None = None,
    status: str = "draft",
    split: str | None = None,
    tags: Sequence[str] = (),
    notes: str = "",
    rating: int | None = None,
) -> Changes:
    """Add one example by hand (one undoable operation)."""
    if status not in STATUSES:
        raise ValidationError(f'"{status}" is not a status.', where="status")
    if split is not None and split not in SPLITS:
        raise ValidationError(f'"{split}" is not a split.', where="split")
    if output_kind not in OUTPUT_KINDS:
        raise ValidationError(f'"{output_kind}" is not an output kind.', where="output_kind")
    inputs = inputs or {}
    text_ = input_text(inputs, system_prompt, conversation)
    if not text_.strip():
        raise ValidationError("The input cannot be empty.", where="inputs")
    with write_tx(project) as conn:
        is_cls = _classification(conn, dataset_id)
        if is_cls and ideal_output is None and label:
            ideal_output = label
        _validate_output(conn, dataset_id, output_kind, ideal_output)
        op_id = new_operation(conn, dataset_id, "add", "Add an example", 1)
        now = db_time()
        result = conn.execute(
            text(
                "INSERT INTO example (dataset_id, input_json, system_prompt, conversation_json, "
                "tools_json, output_kind, ideal_output, status, label, tags, rating, notes, split, "
                "split_locked, source, source_line, norm_hash, search_text, created_at, "
                "updated_at) "
                "VALUES (:d, :i, :sp, :c, NULL, :ok, :io, :st, :lb, :tg, :rt, :nt, :spl, 0, "
                "'manual', NULL, :h, :s, :now, :now)"
            ),
            {
                "d": dataset_id,
                "i": orjson.dumps(inputs).decode(),
                "sp": system_prompt,
                "c": orjson.dumps(conversation).decode() if conversation is not None else None,
                "ok": output_kind,
                "io": ideal_output,
                "st": status,
                "lb": label,
                "tg": tags_to_db(list(tags)),
                "rt": rating,
                "nt": notes,
                "spl": split,
                "h": text_hash(normalize_text(text_)),
                "s": text_,
                "now": now,
            },
        )
        ex_id = int(result.lastrowid or 0)
        conn.execute(
            text(
                "INSERT INTO example_history (example_id, dataset_id, op_id, field, before_json, "
                "after_json, actor, at) VALUES (:e, :d, :op, :f, NULL, NULL, :actor, :now)"
            ),
            {
                "e": ex_id,
                "d": dataset_id,
                "op": op_id,
                "f": ROW_FIELD,
                "actor": current_user(),
                "now": now,
            },
        )
        description = f"Add example {ex_id}"
        finish_operation(conn, op_id, 1, description)
        return Changes(op_id, description, (ex_id,), frozenset({ROW_FIELD}), True)


# ----------------------------------------------------------------------------- undo / redo


def _apply(conn: Connection, op_id: int, dataset_id: int, *, forward: bool) -> Changes:
    """Revert (forward=False) or re-apply (forward=True) one operation's history."""
    raw: Any = conn.connection.driver_connection
    value_col = "after_json" if forward else "before_json"
    other_col = "before_json" if forward else "after_json"
    # 1. Rows that must disappear: they exist on the side we leave and not on the one
    #    we go to. Snapshot them first (an import's rows get their snapshot here).
    conn.execute(
        text(
            f"UPDATE example_history SET {other_col} = (SELECT {snapshot_sql('e')} FROM example e "
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
            f"{restore_rows_sql(value_col)} WHERE op_id = :op AND field = :f "
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
            f"{c} = CASE WHEN h.has{i} THEN json_extract(h.v{i}, '$') ELSE {c} END"
            for i, c in enumerate(columns)
        )
        params: dict[str, Any] = {f"f{i}": c for i, c in enumerate(columns)}
        names = ", ".join(f":{k}" for k in params)
        conn.execute(
            text(
                f"UPDATE example SET {sets}, updated_at = :now FROM (SELECT example_id, {picks} "
                f"FROM example_history WHERE op_id = :op AND field IN ({names}) "
                "GROUP BY example_id) h WHERE h.example_id = example.id"
            ),
            {**params, "op": op_id, "now": now},
        )
    ids = _changed_ids(conn, op_id)
    row_changes = raw.execute(
        "SELECT 1 FROM example_history WHERE op_id = ? AND field = ? LIMIT 1", (op_id, ROW_FIELD)
    ).fetchone()
    all_fields = set(fields) | ({ROW_FIELD} if row_changes else set())
    conn.execute(
        text("UPDATE operation SET undone = :u WHERE id = :op"),
        {"u": 0 if forward else 1, "op": op_id},
    )
    desc = conn.execute(
        text("SELECT description FROM operation WHERE id = :o"), {"o": op_id}
    ).scalar_one()
    return Changes(op_id, str(desc), ids, frozenset(all_fields), bool(row_changes))


def _summary(conn: Connection, op_id: int, changes: Changes) -> OpSummary:
    row = conn.execute(
        text("SELECT kind, description, count, undone FROM operation WHERE id = :o"), {"o": op_id}
    ).one()
    return OpSummary(op_id, row[0], row[1], int(row[2]), bool(row[3]), changes)


_LAST_DONE = (
    "SELECT id FROM operation WHERE dataset_id = :d AND undone = 0 ORDER BY id DESC LIMIT 1"
)
_FIRST_UNDONE = (
    "SELECT id FROM operation WHERE dataset_id = :d AND undone = 1 ORDER BY id ASC LIMIT 1"
)


def undo(project: Project, dataset_id: int) -> OpSummary | None:
    """Undo the newest operation of the dataset; None when there is nothing to undo."""
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        op = conn.execute(
            text(_LAST_DONE),
            {"d": dataset_id},
        ).first()
        if op is None:
            return None
        changes = _apply(conn, int(op[0]), dataset_id, forward=False)
        return _summary(conn, int(op[0]), changes)


def redo(project: Project, dataset_id: int) -> OpSummary | None:
    """Redo the most recently undone operation; None when there is nothing to redo."""
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        op = conn.execute(
            text(_FIRST_UNDONE),
            {"d": dataset_id},
        ).first()
        if op is None:
            return None
        changes = _apply(conn, int(op[0]), dataset_id, forward=True)
        return _summary(conn, int(op[0]), changes)


@dataclass(frozen=True)
class UndoState:
    """What Edit ▸ Undo / Redo would do (descriptions for the menu), or None."""

    undo: str | None
    redo: str | None


def undo_state(project: Project, dataset_id: int) -> UndoState:
    """Descriptions of the next undo and redo steps."""
    from studio.core.datasets._db import read_conn

    with read_conn(project) as conn:
        u = conn.execute(
            text(_LAST_DONE.replace("SELECT id", "SELECT description")),
            {"d": dataset_id},
        ).first()
        r = conn.execute(
            text(_FIRST_UNDONE.replace("SELECT id", "SELECT description")),
            {"d": dataset_id},
        ).first()
    return UndoState(u[0] if u else None, r[0] if r else None)
