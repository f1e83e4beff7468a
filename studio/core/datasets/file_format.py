"""What an example file is: its format, kind and encoding, sniffed from its start.

Formats (``Preview.format``):

* ``csv``   — any delimiter (``csv.Sniffer`` with a count-based fallback), quoted
  multiline fields, a header row. Records are ``{column: str}``.
* ``jsonl`` — one JSON object per line. ``Preview.kind`` says what the lines hold:
  ``chat`` (OpenAI ``{"messages": [...], "tools": [...]}``), ``prompt_completion``
  (``{"prompt", "completion"}``) or ``records`` (any other objects).
* ``json``  — one JSON document: an array of objects (or an object whose only list
  holds the objects); same kinds as JSONL. Line numbers are item numbers (1-based).

Reading the records is :mod:`studio.core.datasets.record_reader` (streamed, with the
line caps :data:`MAX_LINE_BYTES` and :data:`MAX_JSON_DOCUMENT_BYTES` set here); the
first rows for the mapping dialog are :mod:`studio.core.datasets.preview`.

Encoding: UTF-8 with or without BOM, UTF-16/32 with BOM; anything else is detected with
charset-normalizer, preferring Windows-1252 (Western European) when the text reads as
Western text in it (see :func:`_detect_encoding`), and reported as a warning. The user
can name the encoding instead (``encoding=``: ``studio dataset import --encoding``, the
import dialog's picker). A line that is not valid in the file's encoding is rejected by
line number instead of failing the whole import.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from studio.core.datasets.encodings import check_encoding, encoding_label, reads_as_western
from studio.core.errors import UserError

MAX_LINE_BYTES = 8 * 1024 * 1024
"""Longest physical line accepted (8 MiB: ~30× the largest fine-tunable example)."""
MAX_JSON_DOCUMENT_BYTES = 512 * 1024 * 1024
"""Largest whole-document JSON file (OpenAI's upload limit is 512 MB)."""
SNIFF_BYTES = 256 * 1024
READ_BUFFER_BYTES = 1 << 20

FORMATS = ("csv", "jsonl", "json")
KINDS = ("table", "chat", "prompt_completion", "records")

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Encodings in which b"\n" is always a line feed, so binary line splitting is safe
ASCII_COMPATIBLE_FAIL = ("utf-16", "utf-32")


class RawRecord(NamedTuple):
    """One record read from a file: its data or why it could not be read."""

    # A NamedTuple, not a frozen dataclass: one is built per row of a 100k-row import
    # and tuple construction costs a fraction of a frozen dataclass's __init__.
    line: int
    data: dict[str, Any] | None
    error: str | None = None


@dataclass(frozen=True)
class FileFormat:
    """What :func:`sniff` found out about a file."""

    path: Path
    format: str
    kind: str
    encoding: str
    delimiter: str | None
    size: int
    warnings: tuple[str, ...] = ()


def too_long(path: Path, line: int, size: int) -> str:
    return (
        f"line {line} is {size / 1_048_576:.1f} MB or longer, more than the "
        f"{MAX_LINE_BYTES // 1_048_576} MB allowed for one line; it was not read"
    )


def _detect_encoding(path: Path, head: bytes) -> tuple[str, list[str]]:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, []
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
        return "utf-8", []
    except UnicodeDecodeError:
        pass
    if reads_as_western(head):
        # charset-normalizer scores cp1250/cp1257 as high as cp1252 on short Western
        # text ("Jalapeño £3" came out as cp1257 or cp1250: ñ → ń, £ → Ł), so Western
        # text that Windows-1252 reads cleanly is taken as Windows-1252
        enc = "cp1252"
    else:
        from charset_normalizer import from_bytes

        best = from_bytes(head).best()
        if best is None or not best.encoding:
            raise UserError(
                f"{path} is not a text file Studio can read (it is neither UTF-8 nor any "
                "encoding Studio can recognise). Save it as UTF-8 and try again.",
                where=str(path),
            )
        enc = codecs.lookup(best.encoding).name
    return enc, [
        f"{path.name} is not UTF-8; it was read as {encoding_label(enc)} (detected). Check "
        "the preview for wrong characters and choose another encoding if needed, or save "
        "the file as UTF-8."
    ]


def _first_text_line(text_head: str) -> str:
    for line in text_head.splitlines():
        if line.strip():
            return line.strip()
    return ""


def kind_of(obj: Any) -> str:
    if isinstance(obj, dict):
        if isinstance(obj.get("messages"), list):
            return "chat"
        if "prompt" in obj and "completion" in obj:
            return "prompt_completion"
    return "records"


def _sniff_delimiter(sample: str, path: Path) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    lines = [ln for ln in sample.splitlines() if ln.strip()][:50]
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|")
        return str(dialect.delimiter)
    except csv.Error:
        # Fallback: the candidate most frequent in the header line
        header = lines[0] if lines else ""
        counts = {d: header.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] > 0 else ","


def sniff(path: str | Path, encoding: str | None = None) -> FileFormat:
    """Find the format, record kind, encoding and delimiter of an example file.

    Args:
        encoding: the file's encoding as the user chose it; None = detect.

    Raises:
        UserError: missing, unreadable, empty, not text, or an unknown ``encoding``.
    """
    chosen = check_encoding(encoding) if encoding else None
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except FileNotFoundError as exc:
        raise UserError(f"{path} does not exist.", where=str(path)) from exc
    except IsADirectoryError as exc:
        raise UserError(f"{path} is a folder, not a file.", where=str(path)) from exc
    except OSError as exc:
        raise UserError(f"{path} cannot be read: {exc.strerror or exc}.", where=str(path)) from exc
    if size == 0:
        raise UserError(f"{path} is empty: there is nothing to import.", where=str(path))
    wide = chosen is not None and chosen.startswith(ASCII_COMPATIBLE_FAIL)
    if b"\x00" in head and not wide and not any(head.startswith(b) for b, _ in _BOMS):
        raise UserError(
            f"{path} looks like a binary file (it contains NUL bytes), not CSV or JSON.",
            where=str(path),
        )
    if chosen is None:
        encoding, warnings = _detect_encoding(path, head)
    else:
        encoding, warnings = chosen, []
        if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
    text_head = head.decode(encoding, errors="replace").lstrip("\ufeff")
    if not text_head.strip():
        raise UserError(
            f"{path} contains only blank lines: there is nothing to import.", where=str(path)
        )
    suffix = path.suffix.lower()
    stripped = text_head.lstrip()
    first = _first_text_line(text_head)
    if suffix in (".jsonl", ".ndjson") or (suffix != ".json" and first.startswith("{")):
        if first in ("{", "{}") or (suffix == ".json"):
            return FileFormat(path, "json", "records", encoding, None, size, tuple(warnings))
        kind = "records"
        try:
            kind = kind_of(orjson.loads(first))
        except orjson.JSONDecodeError:
            # A first line longer than the sniffed head is cut off, not pretty-printed:
            # in a .jsonl file it stays JSON Lines (and is reported as too long).
            cut_off = "\n" not in text_head.lstrip() and size > len(head)
            if cut_off and suffix in (".jsonl", ".ndjson"):
                return FileFormat(path, "jsonl", kind, encoding, None, size, tuple(warnings))
            if first == "{" or not first.endswith("}"):
                # A pretty-printed single document, not JSON Lines
                return FileFormat(path, "json", "records", encoding, None, size, tuple(warnings))
        return FileFormat(path, "jsonl", kind, encoding, None, size, tuple(warnings))
    if stripped.startswith("[") or suffix == ".json":
        return FileFormat(path, "json", "records", encoding, None, size, tuple(warnings))
    delimiter = _sniff_delimiter(text_head, path)
    return FileFormat(path, "csv", "table", encoding, delimiter, size, tuple(warnings))
