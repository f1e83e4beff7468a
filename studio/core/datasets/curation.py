"""Curation edits: bulk actions and single-example edits, each one operation with history.

Every change writes ``example_history`` rows (field, before → after as JSON of the
column value, actor, time) grouped by an ``operation``. Undo reverts the current
user's newest operation of a dataset that is not undone; redo re-applies their oldest
undone one; a new change discards their undone ones (linear undo, per user: undo is
personal, see :mod:`studio.core.datasets.operations`). Created and deleted rows are
recorded with the field ``__row__`` and a full-row JSON snapshot, so undoing a delete
restores the rows with their ids (example ids are AUTOINCREMENT, never reused). Undo and
redo live in :mod:`studio.core.datasets.operations`; the change sets and the bulk column
write in :mod:`studio.core.datasets.change_sets`.

Bulk actions do their per-row work in SQL (the target ids go into a temp table, then
``INSERT INTO example_history … SELECT`` and ``UPDATE … WHERE id IN (SELECT …)``), so
labelling 100,000 rows is one transaction well under 2 s. Each call returns
:class:`Changes` so the UI redraws only the rows and columns that changed (Anki's
``OpChanges`` idea).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, text

from studio.core.datasets.change_sets import (
    Changes,
    Target,
    bulk_set,
    nothing,
    resolve_target,
)
from studio.core.datasets.normalize import (
    input_text,
    normalize_text,
    tags_from_db,
    tags_to_db,
    text_hash,
)
from studio.core.datasets.operation_log import (
    EDITABLE_COLUMNS,
    EDITABLE_ORDER,
    FIELD_NAMES,
    ROW_FIELD,
    finish_operation,
    new_operation,
    require_dataset,
    snapshot_sql,
)
from studio.core.db.dialect import driver, is_postgresql
from studio.core.db.engine import db_time
from studio.core.db.id_sets import load_id_set
from studio.core.db.project import Project, current_user
from studio.core.db.transactions import write_tx
from studio.core.errors import NotFoundError, StaleEditError, ValidationError
from studio.core.models.dataset import OUTPUT_KINDS, SPLITS, STATUSES


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

    # A label set by a person is a human-written ideal output (classification)
    also = (
        {"ideal_output": label, "output_kind": "text", "ideal_source": "human" if label else ""}
        if is_cls
        else None
    )
    shown = label if label is not None else "(none)"
    return bulk_set(
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
    return bulk_set(
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
        else "DELETE FROM _sel_ids WHERE id IN (SELECT id FROM example WHERE split_locked = TRUE "
        "AND split = 'test')"
    )
    return bulk_set(
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
    return bulk_set(
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
        n = resolve_target(conn, dataset_id, target)
        if n == 0:
            return nothing(verb)
        op_id = new_operation(conn, dataset_id, "add_tag" if add else "remove_tag", verb)
        # Tags are a sorted "|a|b|" list; rebuilding it is done in Python for the rows
        # that change (only those), then written back with one executemany.
        raw: Any = driver(conn)
        cond = "NOT LIKE" if add else "LIKE"
        candidates = raw.execute(
            "SELECT id, tags FROM example WHERE id IN (SELECT id FROM _sel_ids) "
            f"AND tags {cond} ? ESCAPE '\\'",
            (f"%{_like_escape(marker)}%",),
        ).fetchall()
        rows = [r for r in candidates if (tag in tags_from_db(r[1])) != add]
        if not rows:
            conn.execute(text("DELETE FROM operation WHERE id = :o"), {"o": op_id})
            return nothing(verb)
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
            updates.append((new, now, actor, ex_id))
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
        raw.executemany(
            "UPDATE example SET tags = ?, updated_at = ?, version = version + 1, updated_by = ? "
            "WHERE id = ?",
            updates,
        )
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
            f"after_json, actor, at) SELECT id, dataset_id, :op, :f, "
            f"{snapshot_sql(postgresql=is_postgresql(conn))}, NULL, "
            ":actor, :now FROM example WHERE id IN (SELECT id FROM _sel_ids) AND dataset_id = :d"
        ),
        {"op": op_id, "f": ROW_FIELD, "actor": current_user(), "now": now, "d": dataset_id},
    )
    raw: Any = driver(conn)
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
        n = resolve_target(conn, dataset_id, target)
        if n == 0:
            return nothing("Delete")
        op_id = new_operation(conn, dataset_id, "delete", "Delete")
        ids = delete_examples_in(conn, dataset_id, op_id)
        description = f"Delete {len(ids):,} example{'s' if len(ids) != 1 else ''}"
        finish_operation(conn, op_id, len(ids), description)
        return Changes(op_id, description, ids, frozenset({ROW_FIELD}), True)


# ----------------------------------------------------------------------------- single edits

# Overlaps mapping.ROW_COLUMNS (duplicates report): these are edit_example's field names
# (inputs, conversation, tools), those the example table's columns; two lists, kept apart.
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
    "ideal_source",
)
IDEAL_SOURCES = ("human", "teacher", "")


def _column_values(conn: Connection, example_id: int) -> dict[str, Any]:
    row = conn.execute(
        text(
            f"SELECT id, dataset_id, version, {', '.join(EDITABLE_ORDER)} FROM example "
            "WHERE id = :i"
        ),
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
    *,
    expected_version: int | None = None,
) -> None:
    """Set ``after``'s columns on one example and record each as a history row of ``op_id``
    (``before`` holds the old values; both are stored as JSON of the column value).

    With ``expected_version`` the write is a compare-and-set: it happens only while the
    row still has that version (checked in the UPDATE itself, so no other writer can
    slip in between), else :class:`StaleEditError` and the caller's transaction rolls
    back. Either way the row's version goes up by one.
    """
    now = db_time()
    actor = current_user()
    assignments = ", ".join(f"{k} = :{k}" for k in after)
    cas = " AND version = :expected_" if expected_version is not None else ""
    result = conn.execute(
        text(
            f"UPDATE example SET {assignments}, updated_at = :now_, version = version + 1, "
            f"updated_by = :actor_ WHERE id = :id_{cas}"
        ),
        {**after, "now_": now, "actor_": actor, "id_": example_id, "expected_": expected_version},
    )
    if expected_version is not None and result.rowcount != 1:
        raise stale_edit_error(conn, example_id, expected_version)
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


def stale_edit_error(conn: Connection, example_id: int, expected_version: int) -> StaleEditError:
    """The refusal of an edit made on ``expected_version``: who changed the row, when, to what.

    Called inside the writing transaction (which holds the write lock), so what it
    reads is the row as the winning writer left it.
    """
    row = conn.execute(
        text(
            "SELECT version, updated_by, updated_at, label, ideal_output, status, notes, tags, "
            "split, rating FROM example WHERE id = :i"
        ),
        {"i": example_id},
    ).first()
    if row is None:
        raise NotFoundError(
            f"Example {example_id} was deleted by someone else, so your edit was not saved.",
            where="example",
        )
    who, when = str(row.updated_by or ""), str(row.updated_at or "")[:19]
    if not who:  # changed before versions were kept: the newest history row says who
        last = conn.execute(
            text(
                "SELECT actor, at FROM example_history WHERE example_id = :i "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"i": example_id},
        ).first()
        if last is not None:
            who, when = str(last.actor), str(last.at)[:19]
    current = {
        "label": row.label,
        "ideal_output": row.ideal_output,
        "status": row.status,
        "notes": row.notes,
        "tags": list(tags_from_db(row.tags)),
        "split": row.split,
        "rating": row.rating,
    }
    return StaleEditError(
        example_id,
        expected_version=expected_version,
        version=int(row.version),
        changed_by=who,
        changed_at=when,
        current=current,
    )


def update_example(
    project: Project, example_id: int, *, expected_version: int | None = None, **fields: Any
) -> Changes:
    """Edit one example (one undoable operation; unchanged fields are not recorded).

    Keyword fields: ``inputs`` (dict), ``system_prompt``, ``conversation`` (list of
    messages), ``tools``, ``ideal_output`` (str; JSON text for json/tool_calls),
    ``output_kind``, ``status``, ``label``, ``tags`` (list), ``rating``, ``notes``,
    ``split``, ``ideal_source`` (``human``/``teacher``/``""``). A changed ideal output
    (in a classification dataset: a changed label) is marked ``ideal_source="human"``
    unless ``ideal_source`` is given (an accepted teacher candidate says ``teacher``).

    ``expected_version`` is the version the editor read (``ExampleRow.version``): when
    the row has changed since, nothing is saved and :class:`StaleEditError` says who
    changed it, when, and what it holds now. Without it the edit is a compare-and-set
    on the version this call reads, run again (at most 3 times) when another writer
    wins the race in between, so two writers never silently overwrite each other.

    Raises:
        ValidationError: an unknown field or an invalid value (names the field).
        StaleEditError: ``expected_version`` is no longer the row's version.
    """
    unknown = set(fields) - set(_EDIT_FIELDS)
    if unknown:
        raise ValidationError(
            f"Unknown example field(s): {', '.join(sorted(unknown))}.", where=sorted(unknown)[0]
        )
    if expected_version is not None:
        return _update_example_once(project, example_id, expected_version, fields)
    for attempt in range(3):
        try:
            return _update_example_once(project, example_id, None, fields)
        except StaleEditError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _update_example_once(
    project: Project, example_id: int, expected_version: int | None, fields: dict[str, Any]
) -> Changes:
    with write_tx(project) as conn:
        cur = _column_values(conn, example_id)
        if expected_version is not None and int(cur["version"]) != expected_version:
            raise stale_edit_error(conn, example_id, expected_version)
        read_version = int(cur["version"])
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
        if "ideal_source" in fields:
            if fields["ideal_source"] not in IDEAL_SOURCES:
                raise ValidationError(
                    f'"{fields["ideal_source"]}" is not an ideal output source; choose '
                    "human, teacher or empty.",
                    where="ideal_source",
                )
            new["ideal_source"] = fields["ideal_source"]
        elif "ideal_output" in new and new["ideal_output"] != cur["ideal_output"]:
            new["ideal_source"] = "human" if new["ideal_output"] else ""
        diff = {k: v for k, v in new.items() if cur.get(k) != v}
        if not diff:
            return nothing("Edit")
        assert set(diff) <= EDITABLE_COLUMNS
        visible = [k for k in diff if k not in ("norm_hash", "search_text")] or list(diff)
        description = (
            f"Edit {', '.join(FIELD_NAMES.get(k, k) for k in visible)} of example {example_id}"
        )
        op_id = new_operation(conn, dataset_id, "edit", description, 1)
        write_example_fields(
            conn, dataset_id, op_id, example_id, cur, diff, expected_version=read_version
        )
        return Changes(op_id, description, (example_id,), frozenset(diff))


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
                "updated_at, ideal_source) "
                "VALUES (:d, :i, :sp, :c, NULL, :ok, :io, :st, :lb, :tg, :rt, :nt, :spl, FALSE, "
                "'manual', NULL, :h, :s, :now, :now, :src) RETURNING id"
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
                "src": "human" if ideal_output else "",  # typed in by a person
            },
        )
        ex_id = int(result.scalar_one())
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
