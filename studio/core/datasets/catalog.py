"""Datasets themselves: create, read, list, rename, update, delete, and their summaries.

The examples inside a dataset are read through :mod:`studio.core.datasets.queries`
and changed through :mod:`studio.core.datasets.curation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, text

from studio.core.datasets.operation_log import require_dataset
from studio.core.db.dialect import time_text
from studio.core.db.engine import db_time
from studio.core.db.project import Project
from studio.core.db.transactions import read_conn, write_tx
from studio.core.errors import NotFoundError, ValidationError
from studio.core.models.dataset import TASK_TYPES


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset's settings."""

    id: int
    name: str
    task_type: str
    label_set: list[str]
    output_schema: dict[str, Any] | None
    input_fields: list[str]
    description: str
    created_at: datetime | str
    updated_at: datetime | str


@dataclass(frozen=True)
class DatasetSummary:
    """A dataset with its counts (for the dataset list)."""

    id: int
    name: str
    task_type: str
    examples: int
    by_status: dict[str, int]
    by_split: dict[str, int]
    updated_at: datetime | str


def _validate_schema(schema: dict[str, Any] | None) -> None:
    if schema is None:
        return
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    if not isinstance(schema, dict):
        raise ValidationError("The output schema must be a JSON object.", where="output_schema")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise ValidationError(
            f"The output schema is not a valid JSON Schema at {path}: {exc.message}",
            where="output_schema",
        ) from exc


def _validate_name(conn: Connection, name: str, exclude_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError("A dataset needs a name.", where="name")
    if len(name) > 200:
        raise ValidationError("A dataset name can have at most 200 characters.", where="name")
    row = conn.execute(text("SELECT id FROM dataset WHERE name = :n"), {"n": name}).first()
    if row is not None and row[0] != exclude_id:
        raise ValidationError(f'A dataset named "{name}" already exists.', where="name")
    return name


def create_dataset_in(
    conn: Connection,
    name: str,
    task_type: str = "generation",
    label_set: Sequence[str] = (),
    output_schema: dict[str, Any] | None = None,
    input_fields: Sequence[str] = ("text",),
    description: str = "",
) -> int:
    """Create a dataset inside an open transaction (the importer uses this)."""
    name = _validate_name(conn, name)
    if task_type not in TASK_TYPES:
        raise ValidationError(
            f'"{task_type}" is not a task type; choose one of {", ".join(TASK_TYPES)}.',
            where="task_type",
        )
    _validate_schema(output_schema)
    labels = _clean_labels(label_set)
    now = db_time()
    result = conn.execute(
        text(
            "INSERT INTO dataset (name, description, task_type, label_set_json, "
            "output_schema_json, input_fields_json, split_seed, created_at, updated_at) "
            "VALUES (:n, :desc, :t, :l, :s, :i, NULL, :now, :now) RETURNING id"
        ),
        {
            "n": name,
            "desc": description,
            "t": task_type,
            "l": orjson.dumps(labels).decode(),
            "s": orjson.dumps(output_schema).decode() if output_schema is not None else None,
            "i": orjson.dumps(list(input_fields)).decode(),
            "now": now,
        },
    )
    return int(result.scalar_one())


def _clean_labels(labels: Sequence[str]) -> list[str]:
    out: list[str] = []
    for label in labels:
        label = str(label).strip()
        if label and label not in out:
            if len(label) > 200:
                raise ValidationError(f'The label "{label[:40]}…" is longer than 200 characters.')
            out.append(label)
    return out


# Same parameters as create_dataset_in (duplicates report): this is its public wrapper that
# opens the transaction and returns a DatasetInfo; the parameter list is the API both keep.
def create_dataset(
    project: Project,
    name: str,
    task_type: str = "generation",
    label_set: Sequence[str] = (),
    output_schema: dict[str, Any] | None = None,
    input_fields: Sequence[str] = ("text",),
    description: str = "",
) -> DatasetInfo:
    """Create an empty dataset.

    Raises:
        ValidationError: empty/duplicate name, unknown task type, invalid JSON Schema.
    """
    with write_tx(project) as conn:
        dataset_id = create_dataset_in(
            conn, name, task_type, label_set, output_schema, input_fields, description
        )
    return get_dataset(project, dataset_id)


def _info(row: Any) -> DatasetInfo:
    return DatasetInfo(
        id=int(row.id),
        name=row.name,
        task_type=row.task_type,
        label_set=orjson.loads(row.label_set_json or "[]"),
        output_schema=orjson.loads(row.output_schema_json) if row.output_schema_json else None,
        input_fields=orjson.loads(row.input_fields_json or "[]"),
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


_DATASET_COLS = (
    "id, name, task_type, label_set_json, output_schema_json, input_fields_json, description, "
    "created_at, updated_at"
)


def get_dataset(project: Project, dataset: int | str) -> DatasetInfo:
    """A dataset by id or name.

    Raises:
        NotFoundError: no such dataset.
    """
    with read_conn(project) as conn:
        return get_dataset_in(conn, dataset)


def get_dataset_in(conn: Connection, dataset: int | str) -> DatasetInfo:
    """:func:`get_dataset` on an open connection."""
    if isinstance(dataset, int):
        row = conn.execute(
            text(f"SELECT {_DATASET_COLS} FROM dataset WHERE id = :v"), {"v": dataset}
        ).first()
    else:
        row = conn.execute(
            text(f"SELECT {_DATASET_COLS} FROM dataset WHERE name = :v"), {"v": dataset}
        ).first()
    if row is None:
        what = f"id {dataset}" if isinstance(dataset, int) else f'the name "{dataset}"'
        raise NotFoundError(f"There is no dataset with {what}.", where="dataset")
    return _info(row)


def list_datasets(project: Project) -> list[DatasetInfo]:
    """All datasets, by name."""
    with read_conn(project) as conn:
        rows = conn.execute(text(f"SELECT {_DATASET_COLS} FROM dataset ORDER BY name")).all()
    return [_info(r) for r in rows]


def rename_dataset(project: Project, dataset_id: int, new_name: str) -> DatasetInfo:
    """Rename a dataset (names are unique)."""
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        name = _validate_name(conn, new_name, exclude_id=dataset_id)
        conn.execute(
            text("UPDATE dataset SET name = :n, updated_at = :now WHERE id = :d"),
            {"n": name, "now": db_time(), "d": dataset_id},
        )
    return get_dataset(project, dataset_id)


def update_dataset(
    project: Project,
    dataset_id: int,
    *,
    label_set: Sequence[str] | None = None,
    output_schema: dict[str, Any] | str | None = "unchanged",
    input_fields: Sequence[str] | None = None,
    description: str | None = None,
    task_type: str | None = None,
) -> DatasetInfo:
    """Change a dataset's settings (pass only what changes)."""
    sets: dict[str, Any] = {}
    if label_set is not None:
        sets["label_set_json"] = orjson.dumps(_clean_labels(label_set)).decode()
    if output_schema != "unchanged":
        schema = output_schema if isinstance(output_schema, dict) else None
        _validate_schema(schema)
        sets["output_schema_json"] = orjson.dumps(schema).decode() if schema is not None else None
    if input_fields is not None:
        sets["input_fields_json"] = orjson.dumps(list(input_fields)).decode()
    if description is not None:
        sets["description"] = description
    if task_type is not None:
        if task_type not in TASK_TYPES:
            raise ValidationError(f'"{task_type}" is not a task type.', where="task_type")
        sets["task_type"] = task_type
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        if sets:
            sets["updated_at"] = db_time()
            assignments = ", ".join(f"{k} = :{k}" for k in sets)
            conn.execute(
                text(f"UPDATE dataset SET {assignments} WHERE id = :dataset_id"),
                {**sets, "dataset_id": dataset_id},
            )
    return get_dataset(project, dataset_id)


def delete_dataset(project: Project, dataset_id: int) -> None:
    """Delete a dataset with its examples, operations and history (not undoable)."""
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        conn.execute(text("DELETE FROM example_history WHERE dataset_id = :d"), {"d": dataset_id})
        conn.execute(text("DELETE FROM operation WHERE dataset_id = :d"), {"d": dataset_id})
        conn.execute(text("DELETE FROM example WHERE dataset_id = :d"), {"d": dataset_id})
        conn.execute(text("DELETE FROM dataset WHERE id = :d"), {"d": dataset_id})


def dataset_summaries(project: Project) -> list[DatasetSummary]:
    """Every dataset with its example counts by status and split."""
    with read_conn(project) as conn:
        datasets = conn.execute(
            text("SELECT id, name, task_type, updated_at FROM dataset ORDER BY name")
        ).all()
        status_rows = conn.execute(
            text("SELECT dataset_id, status, count(*) FROM example GROUP BY dataset_id, status")
        ).all()
        split_rows = conn.execute(
            text("SELECT dataset_id, split, count(*) FROM example GROUP BY dataset_id, split")
        ).all()
    by_status: dict[int, dict[str, int]] = {}
    for d, s, c in status_rows:
        by_status.setdefault(d, {})[s] = c
    by_split: dict[int, dict[str, int]] = {}
    for d, s, c in split_rows:
        by_split.setdefault(d, {})[s or "none"] = c
    return [
        DatasetSummary(
            id=d.id,
            name=d.name,
            task_type=d.task_type,
            examples=sum(by_status.get(d.id, {}).values()),
            by_status=by_status.get(d.id, {}),
            by_split=by_split.get(d.id, {}),
            updated_at=time_text(d.updated_at),
        )
        for d in datasets
    ]
