"""How deep a JSON (or YAML) value the studio reads: a limit, found with its line (ISSUE-10 §7).

Python's ``json`` module recurses once per level and fails with a ``RecursionError``
near 1,000 levels; ``orjson`` stops at 1,024; what reads the value afterwards
(``jsonschema``, rendering, ``repr``) recurses again. No prompt, answer, schema or
training record needs more than a few dozen levels, so every file the studio reads is
held to :data:`MAX_DEPTH` levels, and a deeper one is a :class:`~studio.core.errors.UserError`
naming the file and the line where the nesting goes too deep, never a traceback.

:func:`nesting_excess` scans the raw text (brackets outside strings) and is cheap when
the text holds few brackets; :func:`value_too_deep` walks a parsed value without
recursion (for YAML block nesting, where the text has no brackets to count).
"""

from __future__ import annotations

import re
from typing import Any

from studio.core.errors import UserError

MAX_DEPTH = 100
"""Deepest nesting of arrays/objects accepted in any file the studio reads."""

# A JSON string (with escapes) or one bracket; brackets inside strings are skipped
_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{}]')
_TOKENS_B = re.compile(rb'"(?:[^"\\\n]|\\.)*"|[\[\]{}]')


def nesting_excess(text: str | bytes, limit: int = MAX_DEPTH) -> tuple[int, int] | None:
    """Where ``text`` first nests deeper than ``limit``: ``(line, column)``, 1-based, or None.

    Works on invalid JSON too (it counts brackets outside strings), so a parser's own
    recursion failure can be reported with a line.
    """
    if isinstance(text, bytes):
        if text.count(b"[") + text.count(b"{") <= limit:
            return None
        opening, closing, newline = b"[{", b"]}", b"\n"
        tokens = _TOKENS_B.finditer(text)
    else:
        if text.count("[") + text.count("{") <= limit:
            return None
        opening, closing, newline = "[{", "]}", "\n"  # type: ignore[assignment]
        tokens = _TOKENS.finditer(text)  # type: ignore[assignment]
    depth = 0
    for m in tokens:
        tok = m.group()
        if len(tok) != 1:
            continue  # a string
        if tok in opening:
            depth += 1
            if depth > limit:
                pos = m.start()
                line = text.count(newline, 0, pos) + 1  # type: ignore[arg-type]
                col = pos - text.rfind(newline, 0, pos)  # type: ignore[arg-type]
                return line, col
        elif tok in closing:
            depth = max(0, depth - 1)
    return None


def value_too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when ``value`` (dicts and lists) nests deeper than ``limit`` levels."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        if depth > limit:
            return True
        for child in children:
            if isinstance(child, dict | list | tuple):
                stack.append((child, depth + 1))
    return False


def too_deep_message(
    where: str, line: int | None, column: int | None = None, limit: int = MAX_DEPTH
) -> str:
    """``FILE, line N: nested more than 100 levels deep ...`` as one sentence."""
    at = ""
    if line is not None:
        at = f", line {line}" + (f", column {column}" if column is not None else "")
    return (
        f"{where}{at}: the data is nested more than {limit} levels deep; the studio "
        f"reads at most {limit} levels."
    )


def check_text_depth(
    text: str | bytes,
    where: str,
    *,
    first_line: int = 1,
    limit: int = MAX_DEPTH,
    error: type[UserError] = UserError,
) -> None:
    """Raise a UserError naming ``where`` and the line when ``text`` nests too deep.

    Args:
        text: the raw file (or line) text.
        where: the file name used in the message.
        first_line: line number of the text's first line (for one line of a file).
        limit: the deepest nesting accepted.
        error: the UserError subclass raised.
    """
    found = nesting_excess(text, limit)
    if found is not None:
        line, col = found
        raise error(
            too_deep_message(where, line + first_line - 1, col, limit),
            where=f"{where}:{line + first_line - 1}",
        )


def check_value_depth(
    value: Any,
    where: str,
    *,
    line: int | None = None,
    limit: int = MAX_DEPTH,
    error: type[UserError] = UserError,
) -> None:
    """Raise ``error`` naming ``where`` (and ``line``) when ``value`` nests too deep."""
    if value_too_deep(value, limit):
        raise error(
            too_deep_message(where, line, None, limit),
            where=where if line is None else f"{where}:{line}",
        )
