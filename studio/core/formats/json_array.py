"""A file whose whole content is one JSON array: its elements, each with the line where
it starts, so the validator can check them like JSONL lines."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from studio.core.formats.common import UTF8_BOM

ARRAY_MAX_BYTES = 256 * 1024 * 1024
"""Largest whole-file JSON array whose elements are checked one by one."""
# A JSON string, or one of the characters that delimit array elements
_ARRAY_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{},]')


def json_array_items(path: Path) -> list[tuple[int, bytes]] | None:
    """(line where it starts, the element as one JSON line) for each element of a file
    whose whole content is one JSON array; None for any other file.

    Raises:
        OSError: the file cannot be read.
    """
    with path.open("rb") as fh:
        head = fh.read(4096)
    head = head[3:] if head.startswith(UTF8_BOM) else head
    if head.lstrip()[:1] != b"[" or path.stat().st_size > ARRAY_MAX_BYTES:
        return None
    data = path.read_bytes()
    offset = 3 if data.startswith(UTF8_BOM) else 0
    try:
        doc = orjson.loads(data[offset:])
    except orjson.JSONDecodeError:
        return None  # not one JSON document: the line-by-line checks report it
    if not isinstance(doc, list):
        return None
    starts: list[int] = []
    depth = 0
    for m in _ARRAY_TOKENS.finditer(data, offset):
        tok = m.group()
        if tok in (b"[", b"{"):
            depth += 1
            if depth == 1:
                starts.append(m.end())
        elif tok in (b"]", b"}"):
            depth -= 1
        elif tok == b"," and depth == 1:
            starts.append(m.end())
    lines: list[int] = []
    newline_count, counted_to = 0, 0
    for at in starts[: len(doc)]:
        while at < len(data) and data[at] in b" \t\r\n":
            at += 1
        newline_count += data.count(b"\n", counted_to, at)
        counted_to = at
        lines.append(newline_count + 1)
    if len(lines) != len(doc):  # cannot happen for a parsed array; never guess lines
        lines = [1] * len(doc)
    return [(line, orjson.dumps(item) + b"\n") for line, item in zip(lines, doc, strict=True)]
