"""Read one line of a (possibly huge) file without loading the whole file."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

MAX_SHOWN_CHARS = 20_000


@dataclass(frozen=True)
class LineText:
    """One line as text for the viewer; ``truncated`` when only the start is shown."""

    line: int
    text: str
    byte_length: int
    truncated: bool
    had_bom: bool


def read_line(path: Path, line: int, max_chars: int = MAX_SHOWN_CHARS) -> LineText | None:
    """Line ``line`` (1-based, counted on LF) of ``path``, or None past the end.

    The file is streamed up to that line; only the line itself is kept. Invalid UTF-8
    is shown as U+FFFD so the viewer never fails on a bad byte.
    """
    if line < 1:
        return None
    with Path(path).open("rb") as fh:
        raw = next(itertools.islice(fh, line - 1, line), None)
    if raw is None:
        return None
    body = raw.rstrip(b"\n").rstrip(b"\r")
    had_bom = line == 1 and body.startswith(b"\xef\xbb\xbf")
    if had_bom:
        body = body[3:]
    text = body.decode("utf-8", errors="replace")
    truncated = len(text) > max_chars
    return LineText(line, text[:max_chars], len(raw), truncated, had_bom)
