"""Import a file into a dataset: one transaction, one undoable operation.

The file is streamed (see :mod:`~studio.core.datasets.record_reader`); each record is
converted (see :class:`~studio.core.datasets.mapping.RowConverter`) and inserted in
chunks with the driver's executemany on the one connection of the transaction,
binding only the values that vary per row.
A rejected row is listed by line number; with ``all_or_nothing`` any rejection rolls
everything back. Exact duplicates (normalised input text) are skipped and counted,
both within the file and against the dataset. Cancel rolls back: the project never
holds a partial import.
"""

from __future__ import annotations

import itertools
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from studio.core.datasets.catalog import create_dataset_in
from studio.core.datasets.file_format import sniff
from studio.core.datasets.mapping import (
    ROW_COLUMNS,
    ConvertContext,
    ImportMapping,
    RowConverter,
    RowError,
)
from studio.core.datasets.operation_log import ROW_FIELD, finish_operation, new_operation
from studio.core.datasets.record_reader import RecordReader
from studio.core.db.dialect import driver
from studio.core.db.engine import db_time
from studio.core.db.project import Project, current_user
from studio.core.db.transactions import write_tx
from studio.core.errors import NotFoundError, UserError
from studio.core.progress import CancelToken, Progress, ProgressCallback

CHUNK_ROWS = 5000
PROGRESS_INTERVAL_S = 0.1
# Below this many rows an import keeps the norm_hash index; above it (and when the
# import is large next to the rows already there) the index is dropped for the bulk
# insert and rebuilt at the end of the same transaction: random 64-hex-digit keys
# make B-tree inserts the slowest part of a 100k import (48k rows/s with that index
# alone vs 110k+ without; a rebuild takes ~0.5 s per 100k rows).
DROP_HASH_INDEX_MIN_ROWS = 20_000
_HASH_INDEX_SQL = "CREATE INDEX ix_example_dataset_hash ON example (dataset_id, norm_hash)"
_INSERT_COLUMNS = ROW_COLUMNS
# Rows go in with the driver-level executemany on the transaction's one connection,
# binding only the values that vary per row (RowConverter.columns); the values that
# are the same for the whole import (dataset id, source, timestamps, …) are SQL
# literals. Measured at 100k rows: binding all 20 columns costs ~0.72 s of CPU in
# SQLite's executemany, binding the 7 varying ones ~0.47 s (Core ``insert(table)``
# with dicts is slower still; ORM add_all far slower).


def _sql_literal(value: Any) -> str:
    """An SQL literal for a constant column value (None, int or NUL-free str only)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # both backends' spelling (SQLite >= 3.23)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"cannot inline {value!r} in SQL")


def insert_sql(columns: tuple[str, ...], constants: dict[str, Any]) -> str:
    """``INSERT INTO example`` binding ``columns`` and writing ``constants`` as literals."""
    names = [*columns, *constants]
    values = ["?"] * len(columns) + [_sql_literal(v) for v in constants.values()]
    return f"INSERT INTO example ({', '.join(names)}) VALUES ({', '.join(values)})"


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row that was not imported: its 1-based line (item for JSON arrays) and why."""

    line: int
    reason: str


@dataclass
class ImportResult:
    """What an import did. ``imported == 0`` and nothing written when rolled back."""

    imported: int
    skipped_duplicates: int
    rejected: list[Rejected]
    dataset_id: int | None = None
    op_id: int | None = None
    rolled_back: bool = False
    warnings: list[str] = field(default_factory=list)
    format: str = ""
    kind: str = ""
    created_dataset: bool = False

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON shape."""
        return {
            "imported": self.imported,
            "skipped_duplicates": self.skipped_duplicates,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
        }


class _Rollback(Exception):
    """Internal: leave the transaction without committing."""


def _schema_validator(schema_json: str | None) -> Any:
    if not schema_json:
        return None
    from jsonschema import Draft202012Validator

    # one compiled validator for the whole file (facts §8: validate() per call is 20× slower)
    return Draft202012Validator(orjson.loads(schema_json))


# Its signature pairs by shape with evals/runner.run_items' (duplicates report, boilerplate):
# the same progress/cancel parameters on different jobs.
def import_file(
    project: Project,
    path: str | Path,
    dataset_name: str,
    mapping: ImportMapping | None = None,
    *,
    all_or_nothing: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    encoding: str | None = None,
) -> ImportResult:
    """Import ``path`` into the dataset ``dataset_name`` (created if missing).

    Args:
        mapping: field mapping; None = :func:`~studio.core.datasets.mapping.auto_mapping`.
        all_or_nothing: any rejected row → nothing is imported (``rolled_back``).
        progress: called about 10 times a second with bytes read of the file size.
        cancel: checked between chunks; cancelling rolls back and raises CancelledError.
        encoding: the file's encoding as the user chose it; None = detect (see
            :func:`~studio.core.datasets.file_format.sniff`).

    Raises:
        UserError: the file cannot be read (missing, empty, not CSV/JSON, a CSV that
            breaks off or opens a quote it never closes, a header with no rows, a
            mapped column missing from the header).
        CancelledError: cancelled (nothing was imported).
    """
    path = Path(path)
    fmt = sniff(path, encoding)
    reader = RecordReader(fmt)
    records = iter(reader)
    # Peek the first record so the kind (chat/prompt_completion/records) and the CSV
    # header are known before the mapping is checked.
    pending: list[Any] = []
    for rec in records:
        pending.append(rec)
        if rec.data is not None:
            break
    if mapping is None:
        from studio.core.datasets.mapping import auto_mapping
        from studio.core.datasets.preview import Preview

        cols: list[str] = list(reader.columns)
        if not cols and pending and pending[-1].data is not None:
            cols = list(pending[-1].data)
        mapping = auto_mapping(
            Preview(
                path,
                fmt.format,
                reader.kind,
                fmt.encoding,
                fmt.delimiter,
                list(cols),
                [p.data for p in pending if p.data is not None],
            )
        )
    mapping.validate(reader.kind, reader.columns if fmt.format == "csv" else None, str(path))

    result = ImportResult(
        0, 0, [], format=fmt.format, kind=reader.kind, warnings=list(reader.warnings)
    )
    try:
        with write_tx(project) as conn:
            _run(
                conn,
                project,
                path,
                dataset_name,
                mapping,
                all_or_nothing,
                reader,
                pending,
                records,
                result,
                progress,
                cancel,
            )
    except _Rollback:
        result.rolled_back = True
        result.imported = 0
        result.op_id = None
        if result.created_dataset:
            result.dataset_id = None
    result.warnings = list(dict.fromkeys(result.warnings + reader.warnings))
    return result


def _run(
    conn: Connection,
    project: Project,
    path: Path,
    dataset_name: str,
    mapping: ImportMapping,
    all_or_nothing: bool,
    reader: RecordReader,
    pending: list[Any],
    records: Any,
    result: ImportResult,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> None:
    row = conn.execute(
        text(
            "SELECT id, task_type, label_set_json, output_schema_json FROM dataset WHERE name = :n"
        ),
        {"n": dataset_name},
    ).first()
    created = row is None
    if row is None:
        if not dataset_name.strip():
            raise NotFoundError("Give the dataset a name.", where="name")
        input_fields = [mapping.variable_names.get(f, f) for f in mapping.input_fields]
        dataset_id = create_dataset_in(
            conn,
            dataset_name,
            mapping.task_type,
            mapping.label_set or (),
            None,
            input_fields or ["text"],
            description=f"Imported from {path.name}",
        )
        task_type, label_set, schema_json = mapping.task_type, list(mapping.label_set or []), None
    else:
        dataset_id, task_type = int(row[0]), str(row[1])
        label_set = orjson.loads(row[2] or "[]")
        schema_json = row[3]
    result.dataset_id = dataset_id
    result.created_dataset = created

    existing: set[str] = set()
    if not created:
        raw: Any = driver(conn)
        existing = {
            r[0]
            for r in raw.execute(
                "SELECT norm_hash FROM example WHERE dataset_id = ?", (dataset_id,)
            )
        }
    # Ids are never reused (SQLite AUTOINCREMENT, PostgreSQL sequences): every row this
    # import adds gets an id above every id in the table now
    first_new_id = (
        int(conn.execute(text("SELECT coalesce(max(id), 0) FROM example")).scalar_one()) + 1
    )
    op_id = new_operation(conn, dataset_id, "import", f"Import from {path.name}")
    result.op_id = op_id

    ctx = ConvertContext(
        mapping=mapping,
        kind=reader.kind,
        task_type=task_type,
        source=path.name,
        schema_validator=_schema_validator(schema_json),
    )
    now = db_time(datetime.now(UTC))
    total_existing = int(conn.execute(text("SELECT count(*) FROM example")).scalar_one())
    hash_index_dropped = False
    seen = set(existing)
    labels_found: dict[str, None] = {}
    batch: list[tuple[Any, ...]] = []
    total_bytes = max(reader.fmt.size, 1)
    last_report = 0.0
    inserting = True

    def report(force: bool = False) -> None:
        nonlocal last_report
        if progress is None:
            return
        t = time.monotonic()
        if force or t - last_report >= PROGRESS_INTERVAL_S:
            last_report = t
            progress(
                Progress(
                    min(reader.bytes_read, total_bytes),
                    total_bytes,
                    f"Imported {result.imported:,} examples",
                    len(result.rejected),
                )
            )

    convert = RowConverter(ctx)
    hash_at, label_at = convert.hash_index, convert.label_index
    sql = insert_sql(
        convert.columns,
        {**convert.constants, "dataset_id": dataset_id, "created_at": now, "updated_at": now},
    )
    writer = _Writer(conn, sql)
    decided_index = False
    rejected = result.rejected
    imported = 0
    try:
        for n, rec in enumerate(itertools.chain(pending, records)):
            if n % 1000 == 0:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                result.imported = imported
                report()
            data = rec.data
            if data is None:
                rejected.append(Rejected(rec.line, rec.error or f"line {rec.line} is unreadable"))
                inserting = inserting and not all_or_nothing
                continue
            try:
                values = convert(data, rec.line)
            except RowError as exc:
                rejected.append(Rejected(rec.line, f"line {rec.line}: {exc}"))
                inserting = inserting and not all_or_nothing
                continue
            h = values[hash_at]
            if h in seen:
                result.skipped_duplicates += 1
                continue
            seen.add(h)
            label = values[label_at]
            if label is not None:
                labels_found[label] = None
            imported += 1
            if not inserting:
                continue
            batch.append(values)
            if len(batch) >= CHUNK_ROWS:
                if not decided_index:
                    # Decided once, before the writer thread has touched the connection
                    decided_index = True
                    expected = len(seen) * total_bytes / max(reader.bytes_read, 1)
                    if expected >= max(DROP_HASH_INDEX_MIN_ROWS, total_existing // 4):
                        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_example_dataset_hash")
                        hash_index_dropped = True
                writer.put(batch)
                batch = []
        result.imported = imported
        if cancel is not None:
            cancel.raise_if_cancelled()
    finally:
        # The connection is used by this thread again only after the writer stopped
        writer.close()
    if all_or_nothing and result.rejected:
        raise _Rollback()
    if not (result.imported or result.rejected or result.skipped_duplicates):
        raise UserError(f"{path} has no rows: there is nothing to import.", where=str(path))
    if result.imported == 0:
        # Nothing to keep: no empty operation (and no empty new dataset)
        raise _Rollback()
    _flush(conn, sql, batch)
    if hash_index_dropped:
        conn.exec_driver_sql(_HASH_INDEX_SQL)
    report(force=True)

    # One "__row__" history marker per new row (SQL-side; its after-snapshot is taken
    # when the import is undone, so redo can restore the rows).
    conn.execute(
        text(
            "INSERT INTO example_history (example_id, dataset_id, op_id, field, before_json, "
            "after_json, actor, at) SELECT id, dataset_id, :op, :f, NULL, NULL, :actor, :at "
            "FROM example WHERE dataset_id = :d AND id >= :first"
        ),
        {
            "op": op_id,
            "f": ROW_FIELD,
            "actor": current_user(),
            "at": now,
            "d": dataset_id,
            "first": first_new_id,
        },
    )
    # An ideal output the file gave was written by people (issue 13: human vs teacher)
    conn.execute(
        text(
            "UPDATE example SET ideal_source = 'human' WHERE dataset_id = :d AND id >= :first "
            "AND coalesce(ideal_output, '') != ''"
        ),
        {"d": dataset_id, "first": first_new_id},
    )
    new_labels = [lb for lb in labels_found if lb not in label_set]
    if task_type == "classification" and new_labels:
        if label_set:
            result.warnings.append(
                f"{len(new_labels)} label(s) not in the dataset's label set were added: "
                + ", ".join(new_labels[:10])
                + ("…" if len(new_labels) > 10 else "")
            )
        conn.execute(
            text("UPDATE dataset SET label_set_json = :l WHERE id = :d"),
            {"l": orjson.dumps(label_set + new_labels).decode(), "d": dataset_id},
        )
    finish_operation(
        conn, op_id, result.imported, f"Import {result.imported:,} examples from {path.name}"
    )


class _Writer:
    """Runs the chunk inserts on a second thread while this one parses the next chunk.

    sqlite3 releases the GIL while SQLite works, so B-tree inserts overlap with
    parsing (two cores). Same connection, same transaction; the parsing thread never
    touches the connection while the writer may be using it (it hands chunks over a
    queue and joins the writer before any other statement).
    """

    def __init__(self, conn: Connection, sql: str) -> None:
        self._raw: Any = driver(conn)
        self._sql = sql
        self._queue: queue.Queue[list[tuple[Any, ...]] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _work(self) -> None:
        cursor = self._raw.cursor()
        try:
            while True:
                batch = self._queue.get()
                if batch is None:
                    return
                if self._error is None:
                    try:
                        cursor.executemany(self._sql, batch)
                    except BaseException as exc:  # reported to the parsing thread
                        self._error = exc
        finally:
            cursor.close()

    def put(self, batch: list[tuple[Any, ...]]) -> None:
        """Queue a chunk (blocks while two are waiting); re-raises a writer error."""
        if self._error is not None:
            raise self._error
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="import-writer", daemon=True)
            self._thread.start()
        self._queue.put(batch)

    def close(self) -> None:
        """Wait until every queued chunk is written; re-raise a writer error."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            if isinstance(error, sqlite3.Error) or type(error).__module__.startswith("psycopg"):
                raise DBAPIError(self._sql, None, error) from error
            raise error


def _flush(conn: Connection, sql: str, batch: list[tuple[Any, ...]]) -> None:
    if batch:
        driver(conn).executemany(sql, batch)
        batch.clear()
