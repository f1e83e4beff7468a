"""Copy a whole project between backends (SQLite file <-> PostgreSQL), verified.

ISSUE-14 §2: every table is copied in foreign-key dependency order with its ids, the
destination's id counters are moved past the copied ids (PostgreSQL sequences, SQLite's
``sqlite_sequence``) so ids are never reused, and the copy is verified: per table, the
row count and a SHA-256 over the rows in primary-key order, computed on both sides from
values normalised so both backends give the same sum (datetimes as UTC ISO text,
booleans as true/false, floats by ``repr``). The destination must be new or empty.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Table, func, inspect, select, text

from studio.core.db.project import Project, new_project, open_project
from studio.core.db.server import is_server_location
from studio.core.errors import ProjectFileError, UserError

BATCH_ROWS = 2000


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table's figures: rows and checksum on each side."""

    table: str
    source_rows: int
    dest_rows: int
    source_sha256: str
    dest_sha256: str

    @property
    def ok(self) -> bool:
        """Counts and checksums equal."""
        return self.source_rows == self.dest_rows and self.source_sha256 == self.dest_sha256


@dataclass(slots=True)
class CopyReport:
    """What ``copy_project`` did, table by table."""

    source: str
    dest: str
    tables: list[TableCopy] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every table verified equal."""
        return all(t.ok for t in self.tables)

    @property
    def total_rows(self) -> int:
        """Rows copied over all tables."""
        return sum(t.dest_rows for t in self.tables)

    def as_json(self) -> dict[str, Any]:
        """A plain dict for ``--json``."""
        return {
            "source": self.source,
            "dest": self.dest,
            "ok": self.ok,
            "total_rows": self.total_rows,
            "tables": [
                {
                    "table": t.table,
                    "source_rows": t.source_rows,
                    "dest_rows": t.dest_rows,
                    "source_sha256": t.source_sha256,
                    "dest_sha256": t.dest_sha256,
                    "ok": t.ok,
                }
                for t in self.tables
            ],
        }


def project_tables() -> list[Table]:
    """Every table of the schema, parents before children."""
    from sqlmodel import SQLModel

    import studio.core.models  # noqa: F401  (registers every table)

    return list(SQLModel.metadata.sorted_tables)


def _normalise(value: Any) -> Any:
    """A value both backends render the same way (see the module docstring)."""
    if value is None or (isinstance(value, str | int) and not isinstance(value, bool)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "f:" + repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return "t:" + value.isoformat(timespec="microseconds")
    if isinstance(value, bytes | bytearray | memoryview):
        return "b:" + bytes(value).hex()
    return "o:" + str(value)


def _ordered(table: Table) -> Any:
    keys = list(table.primary_key.columns) or list(table.columns)
    return select(table).order_by(*keys)


def _rows(conn: Connection, table: Table) -> Iterator[tuple[Any, ...]]:
    result = conn.execution_options(yield_per=BATCH_ROWS).execute(_ordered(table))
    for row in result:
        yield tuple(row)


def table_checksum(conn: Connection, table: Table) -> tuple[int, str]:
    """(row count, sha256 hex) of ``table`` over its rows in primary-key order."""
    digest = hashlib.sha256()
    count = 0
    for row in _rows(conn, table):
        digest.update(orjson.dumps([_normalise(v) for v in row]))
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def project_checksums(project: Project) -> dict[str, tuple[int, str]]:
    """Per table (row count, sha256) of an open project, in dependency order."""
    with project.engine.connect() as conn:
        return {t.name: table_checksum(conn, t) for t in project_tables()}


def _next_ids(conn: Connection, project: Project, table: Table) -> int | None:
    """The highest id ever handed out for ``table`` (counter, else max id), or None."""
    pk = list(table.primary_key.columns)
    if len(pk) != 1 or not pk[0].autoincrement or pk[0].type.python_type is not int:
        return None
    highest = conn.execute(select(func.max(pk[0]))).scalar() or 0
    if project.is_server:
        seq = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}
        ).scalar()
        if seq:
            used = conn.execute(
                text(
                    "SELECT last_value FROM pg_sequences WHERE schemaname || '.' || sequencename"
                    " = :s OR sequencename = :s"
                ),
                {"s": seq.replace('"', "")},
            ).scalar()
            highest = max(highest, int(used or 0))
    else:
        has_seq = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
        ).first()
        if has_seq:
            seq = conn.execute(
                text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table.name}
            ).scalar()
            highest = max(highest, int(seq or 0))
    return int(highest)


def _set_counter(conn: Connection, project: Project, table: Table, highest: int) -> None:
    pk = next(iter(table.primary_key.columns))
    if project.is_server:
        seq = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk.name}
        ).scalar()
        if seq:
            # is_called=false with 1: an empty table starts at 1, as a new one would
            conn.execute(
                text("SELECT setval(:s, :v, :called)"),
                {"s": seq, "v": max(highest, 1), "called": highest > 0},
            )
        return
    if highest <= 0:
        return
    if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first():
        conn.execute(text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table.name})
        conn.execute(
            text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :v)"),
            {"t": table.name, "v": highest},
        )


def _check_empty_destination(dest: str | Path) -> None:
    if is_server_location(dest):
        return  # new_project refuses a database holding any table
    path = Path(dest).expanduser()
    if path.exists():
        raise ProjectFileError(
            f"{path} already exists; `project copy` only writes a new project.", where=str(path)
        )


def copy_project(
    source: str | Path,
    dest: str | Path,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> CopyReport:
    """Copy the project at ``source`` into a new project at ``dest`` and verify it.

    Raises:
        ProjectFileError: the source cannot be opened, or the destination exists and is
            not empty (a file that exists, a database that holds tables).
        UserError: the verification found a difference (the destination is left for
            inspection, and the message names the tables).
    """
    _check_empty_destination(dest)
    src = open_project(source, allow_read_only=True)
    try:
        dst = new_project(dest)
        try:
            report = CopyReport(src.location, dst.location)
            _copy_tables(src, dst, progress)
            source_sums = project_checksums(src)
            dest_sums = project_checksums(dst)
        finally:
            dst.close()
    finally:
        src.close()
    for name, (n_src, sha_src) in source_sums.items():
        n_dst, sha_dst = dest_sums[name]
        report.tables.append(TableCopy(name, n_src, n_dst, sha_src, sha_dst))
    if not report.ok:
        bad = ", ".join(t.table for t in report.tables if not t.ok)
        raise UserError(
            f"The copy in {report.dest} differs from {report.source} in: {bad}. "
            "The destination was left as it is for inspection.",
            where=report.dest,
        )
    return report


def _copy_tables(src: Project, dst: Project, progress: Callable[[str, int], None] | None) -> None:
    tables = project_tables()
    known = {t.name for t in tables}
    with src.engine.connect() as sconn:
        extra = set(inspect(sconn).get_table_names()) - known - {"alembic_version"}
        if extra:
            raise UserError(
                f"{src.location} holds tables this version of Studio does not know "
                f"({', '.join(sorted(extra))}); nothing was copied.",
                where=src.location,
            )
        sconn.rollback()
        # one read transaction: a consistent snapshot of the source
        with sconn.begin(), dst.engine.connect() as dconn:
            if not dst.is_server:
                # rows go in parent-first, but a table may point at itself (a later row)
                dconn.exec_driver_sql("PRAGMA foreign_keys = OFF")
                dconn.commit()
            with dconn.begin():
                if dst.is_server:
                    # foreign keys are checked at commit, after every table is in
                    dconn.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")
                for table in tables:
                    if table.name == "project_meta":
                        dconn.execute(table.delete())  # the source's own meta replaces it
                    copied = 0
                    batch: list[dict[str, Any]] = []
                    for row in sconn.execute(_ordered(table)).mappings():
                        batch.append(dict(row))
                        if len(batch) >= BATCH_ROWS:
                            dconn.execute(table.insert(), batch)
                            copied += len(batch)
                            batch = []
                    if batch:
                        dconn.execute(table.insert(), batch)
                        copied += len(batch)
                    highest = _next_ids(sconn, src, table)
                    if highest is not None:
                        _set_counter(dconn, dst, table, highest)
                    if progress is not None:
                        progress(table.name, copied)
                if not dst.is_server:
                    broken = dconn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise UserError(
                            f"The copy would break {len(broken)} references (first: table "
                            f"{broken[0][0]}); nothing was written.",
                            where=dst.location,
                        )
            if not dst.is_server:
                dconn.exec_driver_sql("PRAGMA foreign_keys = ON")
                dconn.commit()


def copy_to_file(
    source: str | Path,
    dest: Path,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> CopyReport:
    """Copy a project (a server one, in the app's File ▸ Copy to a File…) into ``dest``.

    The copy is made next to ``dest`` under a temporary name and moved over it only when
    verified, so an existing ``dest`` (the user agreed to replace it) stays whole if the
    copy fails.
    """
    import contextlib
    import os

    dest = Path(dest)
    tmp = dest.with_name(f".{dest.stem}.copying{dest.suffix or '.studio'}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        report = copy_project(source, tmp, progress=progress)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    report.dest = str(dest)
    return report
