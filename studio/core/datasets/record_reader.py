"""Streaming the records of an example file, rejecting bad ones by line number.

Files are read in binary, one physical line at a time with a length cap
(:data:`~studio.core.datasets.file_format.MAX_LINE_BYTES`), so a 50 MB single line is
reported as too long without being held in memory, and nothing is read twice. JSON
arrays must be parsed whole (read once, capped at
:data:`~studio.core.datasets.file_format.MAX_JSON_DOCUMENT_BYTES`). A line that is not
valid in the file's encoding is rejected by line number instead of failing the whole
import.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from studio.core.datasets.file_format import (
    ASCII_COMPATIBLE_FAIL,
    MAX_JSON_DOCUMENT_BYTES,
    MAX_LINE_BYTES,
    READ_BUFFER_BYTES,
    FileFormat,
    RawRecord,
    kind_of,
    too_long,
)
from studio.core.errors import UserError
from studio.core.json_depth import MAX_DEPTH, nesting_excess, too_deep_message, value_too_deep


class RecordReader:
    """Streams :class:`RawRecord` s from a sniffed file; ``bytes_read`` drives progress."""

    def __init__(self, fmt: FileFormat) -> None:
        self.fmt = fmt
        self.bytes_read = 0
        self.columns: list[str] = []
        self.kind = fmt.kind
        self.warnings: list[str] = list(fmt.warnings)

    # -- physical lines ---------------------------------------------------------------
    def _binary_lines(self, fh: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
        """(line number, bytes) per physical line; bytes None = longer than the cap."""
        lineno = 0
        while True:
            chunk = fh.readline(MAX_LINE_BYTES + 1)
            if not chunk:
                return
            lineno += 1
            self.bytes_read += len(chunk)
            if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
                # Skip the rest of the line in bounded pieces
                while True:
                    rest = fh.readline(1 << 20)
                    self.bytes_read += len(rest)
                    if not rest or rest.endswith(b"\n"):
                        break
                yield lineno, None
                continue
            yield lineno, chunk

    def _text_lines(self, fh: BinaryIO) -> Iterator[tuple[int, str | None, str | None]]:
        """(line number, text, error) per physical line, decoded line by line."""
        enc = self.fmt.encoding
        if enc.startswith(ASCII_COMPATIBLE_FAIL):
            # UTF-16/32: b"\n" is not a line break in bytes; decode as a stream
            stream = io.TextIOWrapper(fh, encoding=enc, errors="strict", newline="")
            lineno = 0
            try:
                while True:
                    line = stream.readline(MAX_LINE_BYTES)
                    if not line:
                        return
                    lineno += 1
                    self.bytes_read = fh.tell() if fh.seekable() else self.bytes_read
                    yield lineno, line, None
            except UnicodeDecodeError as exc:
                raise UserError(
                    f"{self.fmt.path}: line {lineno + 1} is not valid {enc} ({exc.reason}).",
                    where=f"{self.fmt.path}:{lineno + 1}",
                ) from exc
            finally:
                stream.detach()
        line_enc = "utf-8" if enc == "utf-8-sig" else enc
        for lineno, raw in self._binary_lines(fh):
            if raw is None:
                yield lineno, None, too_long(self.fmt.path, lineno, MAX_LINE_BYTES)
                continue
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[3:]
            try:
                yield lineno, raw.decode(line_enc), None
            except UnicodeDecodeError as exc:
                yield (
                    lineno,
                    None,
                    (
                        f"line {lineno} is not valid {line_enc.upper()} "
                        f"(byte 0x{raw[exc.start]:02X} at "
                        f"position {exc.start + 1}); save the file as UTF-8"
                    ),
                )

    # -- records -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[RawRecord]:
        try:
            # A large buffer: the import's writer thread runs while this one parses,
            # and every read() system call hands the GIL over; with the default 8 KiB
            # buffer that happened ~1,300 times per 10 MB and the parser waited for
            # the GIL to come back each time (up to the 5 ms switch interval)
            with self.fmt.path.open("rb", buffering=READ_BUFFER_BYTES) as fh:
                if self.fmt.format == "csv":
                    yield from self._csv(fh)
                elif self.fmt.format == "jsonl":
                    yield from self._jsonl(fh)
                else:
                    yield from self._json(fh)
        except OSError as exc:
            raise UserError(
                f"{self.fmt.path} cannot be read: {exc.strerror or exc}.", where=str(self.fmt.path)
            ) from exc

    def _jsonl(self, fh: BinaryIO) -> Iterator[RawRecord]:
        if self.fmt.encoding in ("utf-8", "utf-8-sig"):
            yield from self._jsonl_utf8(fh)
            return
        kind_set = False
        for lineno, payload, error in self._text_lines(fh):
            if error is not None or payload is None:
                yield RawRecord(lineno, None, error or f"line {lineno} is unreadable")
                continue
            if not payload.strip():
                continue  # blank lines (and the final newline) are not records
            try:
                obj = orjson.loads(payload)
            except orjson.JSONDecodeError as exc:
                yield RawRecord(
                    lineno, None, f"line {lineno} is not valid JSON ({_json_reason(exc)})"
                )
                continue
            if not isinstance(obj, dict):
                yield RawRecord(
                    lineno, None, f"line {lineno} is a JSON {_json_type(obj)}, not an object"
                )
                continue
            if nesting_excess(payload) is not None:
                yield RawRecord(lineno, None, _too_deep(lineno))
                continue
            if not kind_set and self.kind == "records":
                self.kind = kind_of(obj)
            kind_set = True
            yield RawRecord(lineno, obj)

    # Its per-line checks (not JSON, not an object, too deep) repeat _jsonl's (duplicates report):
    # inlined on purpose in this 100k-line hot path, where a helper call per line costs time.
    def _jsonl_utf8(self, fh: BinaryIO) -> Iterator[RawRecord]:
        """UTF-8 JSON Lines: one loop over the binary lines (the 100k-line hot path).

        orjson parses (and UTF-8-checks) the bytes directly, so lines are never decoded
        in Python; a blank line is recognised only when parsing it fails.
        """
        readline = fh.readline
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        limit = MAX_LINE_BYTES
        lineno = 0
        kind_set = False
        while True:
            payload = readline(limit + 1)
            if not payload:
                break
            lineno += 1
            if len(payload) > limit and not payload.endswith(b"\n"):
                while True:  # skip the rest of the line in bounded pieces
                    rest = readline(1 << 20)
                    if not rest or rest.endswith(b"\n"):
                        break
                self.bytes_read = fh.tell()
                yield RawRecord(lineno, None, too_long(self.fmt.path, lineno, limit))
                continue
            if lineno % 1000 == 0:
                self.bytes_read = fh.tell()
            if lineno == 1 and payload.startswith(codecs.BOM_UTF8):
                payload = payload[3:]
            try:
                obj = loads(payload)
            except decode_error as exc:
                if not payload.strip():
                    continue  # blank lines (and the final newline) are not records
                yield RawRecord(
                    lineno, None, f"line {lineno} is not valid JSON ({_json_reason(exc)})"
                )
                continue
            if not isinstance(obj, dict):
                yield RawRecord(
                    lineno, None, f"line {lineno} is a JSON {_json_type(obj)}, not an object"
                )
                continue
            if nesting_excess(payload) is not None:  # cheap unless the line is bracket-heavy
                yield RawRecord(lineno, None, _too_deep(lineno))
                continue
            if not kind_set:
                kind_set = True
                if self.kind == "records":
                    self.kind = kind_of(obj)
            yield RawRecord(lineno, obj)
        self.bytes_read = fh.tell()

    def _json(self, fh: BinaryIO) -> Iterator[RawRecord]:
        if self.fmt.size > MAX_JSON_DOCUMENT_BYTES:
            raise UserError(
                f"{self.fmt.path} is one JSON document of {self.fmt.size / 1_048_576:.0f} MB; "
                f"documents over {MAX_JSON_DOCUMENT_BYTES // 1_048_576} MB must be converted "
                "to JSON Lines (one object per line) first.",
                where=str(self.fmt.path),
            )
        data = fh.read()
        self.bytes_read = len(data)
        try:
            if self.fmt.encoding not in ("utf-8", "utf-8-sig"):
                doc = orjson.loads(data.decode(self.fmt.encoding).encode("utf-8"))
            else:
                doc = orjson.loads(data[3:] if data.startswith(codecs.BOM_UTF8) else data)
        except (orjson.JSONDecodeError, UnicodeDecodeError) as exc:
            found = nesting_excess(data, MAX_DEPTH) if "depth" in str(exc) else None
            if found is not None:
                raise UserError(
                    too_deep_message(str(self.fmt.path), found[0], found[1]),
                    where=f"{self.fmt.path}:{found[0]}",
                ) from None
            line = _json_error_line(data, exc)
            raise UserError(
                f"{self.fmt.path} is not valid JSON (line {line}: {_json_reason(exc)}).",
                where=f"{self.fmt.path}:{line}",
            ) from exc
        if value_too_deep(doc, MAX_DEPTH):
            deep_at = nesting_excess(data, MAX_DEPTH)
            deep_line = deep_at[0] if deep_at is not None else None
            raise UserError(
                too_deep_message(str(self.fmt.path), deep_line),
                where=str(self.fmt.path) if deep_line is None else f"{self.fmt.path}:{deep_line}",
            )
        del data
        items = _records_of(doc)
        if items is None:
            raise UserError(
                f"{self.fmt.path} holds a JSON {_json_type(doc)}, not a list of records; "
                "expected an array of objects or JSON Lines.",
                where=str(self.fmt.path),
            )
        if items and self.kind == "records":
            self.kind = kind_of(items[0])
        for index, obj in enumerate(items, start=1):
            if not isinstance(obj, dict):
                yield RawRecord(
                    index, None, f"item {index} is a JSON {_json_type(obj)}, not an object"
                )
            else:
                yield RawRecord(index, obj)

    def _csv(self, fh: BinaryIO) -> Iterator[RawRecord]:
        enc = self.fmt.encoding
        ascii_compatible = not enc.startswith(ASCII_COMPATIBLE_FAIL)
        # One C-level text stream (csv needs text); undecodable bytes become lone
        # surrogates that are caught per line, so the message names the exact line.
        stream = io.TextIOWrapper(
            fh,
            encoding=enc,
            errors="surrogateescape" if ascii_compatible else "strict",
            newline="",
        )
        current = [0]
        bad: dict[str, str] = {}
        limit = MAX_LINE_BYTES
        # The physical lines of the record being read: at the end of the file they
        # tell whether the last record ended inside a quoted field (csv's non-strict
        # mode would silently make the rest of the file one field)
        record_lines: list[list[str]] = [[]]

        def feed() -> Iterator[str]:
            readline = stream.readline
            lineno = 0
            while True:
                line = readline(limit + 1)
                if not line:
                    return
                lineno += 1
                current[0] = lineno
                record_lines[0].append(line)
                if lineno % 1000 == 0:
                    self.bytes_read = fh.tell()
                if len(line) > limit and not line.endswith("\n"):
                    bad["error"] = too_long(self.fmt.path, lineno, limit)
                    bad["line"] = str(lineno)
                    return
                if not line.isascii():
                    try:
                        line.encode("utf-8")
                    except UnicodeEncodeError as exc:
                        raw = line[exc.start].encode("utf-8", "surrogateescape")
                        bad["error"] = (
                            f"line {lineno} is not valid {enc.upper()} (byte 0x{raw[0]:02X} at "
                            f"position {exc.start + 1}); save the file as UTF-8"
                        )
                        bad["line"] = str(lineno)
                        return
                yield line

        # Fields may legitimately exceed csv's 128 KiB default; lines are capped anyway
        csv.field_size_limit(MAX_LINE_BYTES)
        delimiter = self.fmt.delimiter or ","
        reader = csv.reader(feed(), delimiter=delimiter)
        header: list[str] | None = None
        start = 1
        last_lines: list[str] = []
        last_start = 1
        rows_seen = 0
        try:
            for row in reader:
                record_line = start
                start = reader.line_num + 1
                last_lines, record_lines[0] = record_lines[0], []
                last_start = record_line
                if not row or (not row[0].strip() and not "".join(row).strip()):
                    continue  # blank (all cells whitespace); the join runs only then
                if header is None:
                    header = _unique_header(row, self.warnings)
                    self.columns = header
                    continue
                rows_seen += 1
                if start - 1 > record_line and _badly_quoted(last_lines, delimiter):
                    # A stray quote that a later quote "closed": the lines between
                    # would silently become one field (csv's lenient mode)
                    yield RawRecord(
                        record_line,
                        None,
                        f"line {record_line} opens a quote that is not closed properly, so "
                        f"lines {record_line}–{start - 1} would be read as one row; close "
                        'the quote (or write a quote inside a quoted field as "")',
                    )
                    continue
                if len(row) != len(header):
                    # A row over several lines with the wrong field count is most often
                    # a stray quote that a later quote happened to close
                    spans = (
                        f"; it runs on to line {start - 1}: is a quote on line "
                        f"{record_line} never closed?"
                        if start - 1 > record_line
                        else ""
                    )
                    yield RawRecord(
                        record_line,
                        None,
                        f"line {record_line} has {len(row)} field(s) but the header has "
                        f"{len(header)} ({_missing_or_extra(row, header)}){spans}",
                    )
                    continue
                yield RawRecord(record_line, dict(zip(header, row, strict=True)))
        except csv.Error as exc:
            raise UserError(
                f"{self.fmt.path}: line {current[0]} cannot be read as CSV ({exc}). "
                "Look for a quote that is never closed.",
                where=f"{self.fmt.path}:{current[0]}",
            ) from exc
        except UnicodeDecodeError as exc:
            raise UserError(
                f"{self.fmt.path}: near line {current[0] + 1} the text is not valid {enc} "
                f"({exc.reason}). Save the file as UTF-8.",
                where=f"{self.fmt.path}:{current[0] + 1}",
            ) from exc
        finally:
            self.bytes_read = self.fmt.size if not bad else self.bytes_read
            stream.detach()
        if bad:
            # A line that cannot be decoded or is too long breaks CSV quoting: stop here
            raise UserError(
                f"{self.fmt.path}: {bad['error']}. Nothing was imported.",
                where=f"{self.fmt.path}:{bad['line']}",
            )
        if header is None:
            raise UserError(f"{self.fmt.path} has no header row.", where=str(self.fmt.path))
        opened = _unclosed_quote_line(last_lines, self.fmt.delimiter or ",")
        if opened is not None:
            line = last_start + opened
            raise UserError(
                f"{self.fmt.path}: line {line} opens a quote that is never closed, so every "
                "line after it would be read as one field. Close the quote (or write a quote "
                'inside a quoted field as "") and import again. Nothing was imported.',
                where=f"{self.fmt.path}:{line}",
            )
        if rows_seen == 0:
            raise UserError(
                f"{self.fmt.path} has a header ({', '.join(header)}) but no rows: there is "
                "nothing to import.",
                where=str(self.fmt.path),
            )


def _badly_quoted(lines: list[str], delimiter: str) -> bool:
    """True when a record's lines break CSV quoting (text after a closing quote).

    Checked only for records over several lines, where a stray quote swallows lines.
    """
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" not in str(exc)
    return False


def _unclosed_quote_line(lines: list[str], delimiter: str) -> int | None:
    """0-based index of the line where an unclosed quoted field opens, or None.

    ``lines`` are the physical lines of the file's last CSV record. Cheap in the usual
    case: a record without a quote character cannot end inside quotes.
    """
    if not lines or not any('"' in ln for ln in lines):
        return None
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
        return None
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return None  # another quirk the lenient reader accepted; not an open quote
    # Find where the open quote starts: a quote at the start of a field opens one
    in_quote, field_start, opened = False, True, 0
    for n, ln in enumerate(lines):
        i = 0
        while i < len(ln):
            ch = ln[i]
            if in_quote:
                if ch == '"':
                    if i + 1 < len(ln) and ln[i + 1] == '"':
                        i += 1  # an escaped quote
                    else:
                        in_quote = False
            elif ch == '"' and field_start:
                in_quote, opened = True, n
            field_start = not in_quote and ch in (delimiter, "\n", "\r")
            i += 1
    return opened


def _unique_header(row: list[str], warnings: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(row, start=1):
        name = name.strip().lstrip("\ufeff") or f"column_{i}"
        if name in seen:
            seen[name] += 1
            new = f"{name}_{seen[name]}"
            warnings.append(f'The header names column "{name}" twice; the second is "{new}".')
            name = new
        else:
            seen[name] = 1
        out.append(name)
    return out


def _missing_or_extra(row: list[str], header: list[str]) -> str:
    if len(row) < len(header):
        missing = ", ".join(f'"{h}"' for h in header[len(row) :])
        return f"missing {missing}"
    return "an unquoted delimiter in a field?"


def _records_of(doc: Any) -> list[Any] | None:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        if isinstance(doc.get("messages"), list):
            return [doc]  # one chat example as a whole document
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) == 1:
            return lists[0]
    return None


def _too_deep(lineno: int) -> str:
    return f"line {lineno} is JSON nested more than {MAX_DEPTH} levels deep"


def _json_type(obj: Any) -> str:
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "boolean"
    if isinstance(obj, (int, float)):
        return "number"
    if isinstance(obj, str):
        return "string"
    if isinstance(obj, list):
        return "array"
    return "object"


def _json_reason(exc: Exception) -> str:
    msg = getattr(exc, "msg", None) or str(exc)
    return str(msg).split(":", 1)[0].strip().rstrip(".")


def _json_error_line(data: bytes, exc: Exception) -> int:
    pos = getattr(exc, "pos", None)
    if isinstance(pos, int):
        return data.count(b"\n", 0, pos) + 1
    return 1
