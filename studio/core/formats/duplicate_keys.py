"""Duplicate detection on the fast path: 64-bit content keys confirmed by re-reading."""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import Any

import orjson

from studio.core.formats.common import UTF8_BOM


class FastKeys:
    """Confirms repeated fast-path duplicate keys by re-reading the earlier line.

    The fast path keys a record by a 64-bit hash of its content instead of hashing its
    canonical JSON (saves a sort-keys dump and a blake2b per line). Two different records
    can share a 64-bit key, so a repeated key counts as a duplicate only once the earlier
    line, read back from the file at its offset, has the same canonical JSON. Records that
    collide without being equal are all kept as candidates, so later copies of any of them
    are still found.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.starts: array[int] = array("q")  # byte offset of each line (index lineno - 1)
        self.others: dict[int, list[int]] = {}  # key -> later non-equal lines with that key
        self._fh: Any = None

    def match(self, key: int, first: int, obj: dict[str, Any], lineno: int) -> int | None:
        """The earlier line equal to ``obj`` among those keyed ``key``, else None."""
        canon = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        others = self.others.get(key)
        for line in (first, *others) if others else (first,):
            if self._canonical(line) == canon:
                return line
        self.others.setdefault(key, []).append(lineno)
        return None

    def _canonical(self, line: int) -> bytes | None:
        if self._fh is None:
            self._fh = self.path.open("rb")
        self._fh.seek(self.starts[line - 1])
        raw = self._fh.readline()
        if line == 1 and raw.startswith(UTF8_BOM):
            raw = raw[3:]
        try:
            return orjson.dumps(orjson.loads(raw), option=orjson.OPT_SORT_KEYS)
        except (orjson.JSONDecodeError, TypeError):  # the file changed under us
            return None

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
