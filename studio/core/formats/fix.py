"""Safe fixes: write a NEW file with BOM, blank lines, JSON-array wrapping and duplicates
removed. The original is never modified."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import orjson

from studio.core.atomic import atomic_open
from studio.core.errors import UserError
from studio.core.formats.common import FixResult

_BOM = b"\xef\xbb\xbf"
ARRAY_MAX_BYTES = 1024 * 1024 * 1024


def _is_json_array(src: Path) -> bool:
    with src.open("rb") as fh:
        head = fh.read(4096)
    head = head[3:] if head.startswith(_BOM) else head
    return head.lstrip()[:1] == b"["


def _array_lines(src: Path, counts: dict[str, int]) -> Iterator[bytes] | None:
    """Items of a whole-file JSON array of objects as lines, or None if it is not one."""
    if src.stat().st_size > ARRAY_MAX_BYTES:
        return None
    data = src.read_bytes()  # a JSON array is one document: it must be parsed whole
    if data.startswith(_BOM):
        data = data[3:]
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, list) or not all(isinstance(x, dict) for x in doc):
        return None
    counts["json_array_converted"] = len(doc)
    return (orjson.dumps(x) for x in doc)


def _file_lines(src: Path, strip_bom: bool, counts: dict[str, int]) -> Iterator[bytes]:
    with src.open("rb") as fh:
        for i, raw in enumerate(fh):
            line = raw[:-1] if raw.endswith(b"\n") else raw
            if i == 0 and strip_bom and line.startswith(_BOM):
                line = line[3:]
                counts["bom_stripped"] = 1
            yield line


def fix_file(
    src: Path,
    dst: Path,
    *,
    strip_bom: bool = True,
    drop_blank: bool = True,
    json_array_to_jsonl: bool = True,
    drop_duplicates: bool = True,
) -> FixResult:
    """Copy ``src`` to ``dst`` with the chosen fixes; ``src`` is never changed.

    Raises:
        UserError: ``dst`` is ``src``, ``src`` cannot be read, or ``dst`` cannot be written.
    """
    src, dst = Path(src), Path(dst)
    try:
        if dst.exists() and dst.resolve() == src.resolve():
            raise UserError(
                f"The fixed file must not overwrite the original {src}; choose another name.",
                where=str(dst),
            )
        counts: dict[str, int] = {
            "bom_stripped": 0,
            "blank_lines_dropped": 0,
            "duplicates_dropped": 0,
            "json_array_converted": 0,
        }
        lines: Iterator[bytes] | None = None
        if json_array_to_jsonl and _is_json_array(src):
            lines = _array_lines(src, counts)
            if lines is not None and strip_bom:
                with src.open("rb") as fh:
                    counts["bom_stripped"] = int(fh.read(3) == _BOM)
        if lines is None:
            lines = _file_lines(src, strip_bom, counts)
    except OSError as exc:
        raise UserError(
            f"Cannot fix {src} into {dst}: {exc.strerror or exc}.", where=str(src)
        ) from None
    seen: set[bytes] = set()
    digest = hashlib.sha256()
    written = 0
    with atomic_open(dst) as out:
        for line in lines:
            if drop_blank and not line.strip():
                counts["blank_lines_dropped"] += 1
                continue
            if drop_duplicates:
                try:
                    canon = orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS)
                except (orjson.JSONDecodeError, TypeError):
                    canon = line.strip()
                key = hashlib.blake2b(canon, digest_size=16).digest()
                if key in seen:
                    counts["duplicates_dropped"] += 1
                    continue
                seen.add(key)
            chunk = line + b"\n"
            digest.update(chunk)
            out.write(chunk)
            written += 1
    return FixResult(counts=counts, lines_written=written, sha256=digest.hexdigest())
