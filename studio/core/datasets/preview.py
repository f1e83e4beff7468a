"""The first rows of an example file and what it looks like, for the mapping dialog."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.datasets.file_format import sniff
from studio.core.datasets.record_reader import RecordReader


@dataclass(frozen=True)
class Preview:
    """The first rows of a file and what it looks like (for the mapping dialog)."""

    path: Path
    format: str
    kind: str
    encoding: str
    delimiter: str | None
    columns: list[str]
    rows: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    size: int = 0


def preview_file(path: str | Path, n: int = 20, encoding: str | None = None) -> Preview:
    """Sniff ``path`` and read its first ``n`` records (cheap: stops after ``n``).

    Args:
        encoding: read the file in this encoding; None = detect.

    Raises:
        UserError: the file cannot be read, is empty or not CSV/JSON, or (CSV) has a
            header and no rows or a quote that is never closed (when the first ``n``
            records reach the end of the file).
    """
    fmt = sniff(path, encoding)
    reader = RecordReader(fmt)
    rows: list[dict[str, Any]] = []
    rejected: list[tuple[int, str]] = []
    columns: dict[str, None] = {}
    if fmt.format == "json" and fmt.size > 32 * 1024 * 1024:
        # Whole-document JSON must be parsed whole; keep the preview quick
        reader.warnings.append("The file is one large JSON document; the preview reads all of it.")
    for rec in reader:
        if rec.data is None:
            rejected.append((rec.line, rec.error or "unreadable"))
        else:
            rows.append(rec.data)
            for key in rec.data:
                columns.setdefault(key, None)
        if len(rows) >= n or len(rejected) >= n:
            break
    column_list = reader.columns if fmt.format == "csv" else list(columns)
    return Preview(
        path=fmt.path,
        format=fmt.format,
        kind=reader.kind,
        encoding=fmt.encoding,
        delimiter=fmt.delimiter,
        columns=column_list,
        rows=rows,
        warnings=list(reader.warnings),
        rejected=rejected,
        size=fmt.size,
    )
