"""Template variables in message text: finding them, checking braces, rendering.

The rule (the editor can show this text as help):

* ``{{ name }}`` is a variable. Spaces inside the braces are allowed. A name is letters,
  digits and ``_`` (not starting with a digit), optionally dotted (``{{ customer.name }}``);
  a dotted name is looked up as a flat key ``"customer.name"`` first, then as a path
  into nested mappings.
* ``\\{{`` writes a literal ``{{`` (and the next unmatched ``}}`` is then text too, so
  ``\\{{name}}`` shows as ``{{name}}``); ``\\}}`` writes a literal ``}}``. No other
  backslash is special.
* Single braces are plain text, so JSON examples such as ``{"a": {"b": 1}}`` need no
  escaping: a ``}}`` that closes two open single braces is text. A ``}}`` that closes
  nothing (``name}}``), a ``{{`` never closed (``{{name``) and an empty ``{{}}`` are
  errors naming the message and the line/column.

Templates are parsed once and cached, so rendering 100,000 examples costs little more
than the string joins (about 0.45 s for 100,000 two-message prompts; a test times it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from studio.core.errors import ValidationError

if TYPE_CHECKING:
    from studio.core.prompts.spec import Message, PromptSpec

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_TOKEN_RE = re.compile(r"\\\{\{|\\\}\}|\{\{|\}\}|\{|\}")

@dataclass(frozen=True, slots=True)
class _Var:
    name: str


class TemplateError(ValidationError):
    """A message template with unbalanced braces or a bad variable name.

    Attributes:
        message_index: index of the message in the prompt (None for a bare template).
        position: character offset of the fault in the message text.
        line: 1-based line of the fault; column: 1-based column.
    """

    def __init__(
        self,
        message: str,
        *,
        position: int,
        line: int,
        column: int,
        message_index: int | None = None,
        where: str | None = None,
    ) -> None:
        super().__init__(message, where=where)
        self.what = message
        self.position = position
        self.line = line
        self.column = column
        self.message_index = message_index


class MissingVariableError(ValidationError):
    """Rendering needs variables that were not given (``missing`` lists their names)."""

    def __init__(self, message: str, *, missing: Sequence[str]) -> None:
        super().__init__(message, where=missing[0] if missing else None)
        self.missing = tuple(missing)


@dataclass(frozen=True)
class RenderResult:
    """Rendered chat messages (``{"role", "content"}`` dicts) and warnings for the user."""

    messages: list[dict[str, str]]
    warnings: list[str] = field(default_factory=list)


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _fail(text: str, pos: int, what: str) -> TemplateError:
    line, col = _line_col(text, pos)
    err = TemplateError(
        f"Line {line}, column {col}: {what}.", position=pos, line=line, column=col
    )
    err.what = what
    return err


@lru_cache(maxsize=4096)
def parse_template(text: str) -> tuple[str | _Var, ...]:
    """Split ``text`` into literal strings and variables.

    Raises:
        TemplateError: unbalanced ``{{``/``}}``, an empty ``{{}}`` or a bad name
            (message_index is None here; :func:`check_spec` adds it).
    """
    if "{{" not in text and "}}" not in text:
        return (text,) if text else ()
    out: list[str | _Var] = []
    buf: list[str] = []
    depth = 0  # open single braces, so JSON's "}}" is text
    escaped_open = 0  # literal "\{{" waiting for their "}}", so "\{{name}}" is all text
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN_RE.search(text, pos)
        if m is None:
            buf.append(text[pos:])
            break
        buf.append(text[pos : m.start()])
        tok = m.group()
        if tok == "\\{{":
            escaped_open += 1
            buf.append("{{")
        elif tok == "\\}}":
            buf.append("}}")
        elif tok == "{":
            depth += 1
            buf.append(tok)
        elif tok == "}":
            depth = max(0, depth - 1)
            buf.append(tok)
        elif tok == "}}":
            if depth >= 2:
                depth -= 2
                buf.append(tok)
            elif escaped_open:
                escaped_open -= 1
                buf.append(tok)
            else:
                raise _fail(
                    text, m.start(), "`}}` closes no `{{` (write `\\}}` for a literal `}}`)"
                )
        else:  # "{{"
            close = text.find("}}", m.end())
            reopen = text.find("{{", m.end())
            if close < 0 or (0 <= reopen < close):
                raise _fail(text, m.start(), "`{{` is never closed with `}}`")
            inner = text[m.end() : close].strip()
            if not inner:
                raise _fail(text, m.start(), "empty variable `{{}}`")
            if NAME_RE.fullmatch(inner) is None:
                raise _fail(
                    text,
                    m.start(),
                    f"`{{{{{inner}}}}}` is not a valid variable name (letters, digits, `_`, "
                    "dots between parts; not starting with a digit)",
                )
            if buf:
                out.append("".join(buf))
                buf = []
            out.append(_Var(inner))
            pos = close + 2
            continue
        pos = m.end()
    if buf:
        joined = "".join(buf)
        if joined:
            out.append(joined)
    return tuple(out)


def find_variables(text: str) -> list[str]:
    """Variable names used in ``text``, in order of first use, without repeats.

    Raises:
        TemplateError: the braces are unbalanced (see the module rule).
    """
    seen: dict[str, None] = {}
    for seg in parse_template(text):
        if isinstance(seg, _Var):
            seen.setdefault(seg.name, None)
    return list(seen)


def _where(index: int, msg: Message) -> str:
    return f"messages[{index}] ({msg.role})"


def check_messages(messages: Sequence[Message]) -> list[str]:
    """Parse every message; return all variable names (first-use order).

    Raises:
        TemplateError: naming the message index, role, line and column.
    """
    seen: dict[str, None] = {}
    for i, msg in enumerate(messages):
        try:
            segs = parse_template(msg.content)
        except TemplateError as exc:
            raise TemplateError(
                f"{_where(i, msg)}, line {exc.line}, column {exc.column}: {exc.what}.",
                position=exc.position,
                line=exc.line,
                column=exc.column,
                message_index=i,
                where=f"messages[{i}].content",
            ) from None
        for seg in segs:
            if isinstance(seg, _Var):
                seen.setdefault(seg.name, None)
    return list(seen)


def spec_variables(spec: PromptSpec) -> list[str]:
    """All variables of a prompt, in order of first use."""
    return check_messages(spec.messages)


_MISSING = object()


def _lookup(variables: Mapping[str, Any], name: str) -> Any:
    if name in variables:
        return variables[name]
    if "." in name:
        cur: Any = variables
        for part in name.split("."):
            if isinstance(cur, Mapping) and part in cur:
                cur = cur[part]
            else:
                return _MISSING
        return cur
    return _MISSING


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def render(spec: PromptSpec, variables: Mapping[str, Any]) -> RenderResult:
    """Fill the variables of every message.

    Values that are not strings are written as JSON (``true``, ``null``, lists, objects)
    or with ``str`` for numbers.

    Raises:
        MissingVariableError: a variable has no value (names it and its message).
        TemplateError: a message has unbalanced braces.
    """
    return render_messages(spec.messages, variables)


def render_messages(messages: Sequence[Message], variables: Mapping[str, Any]) -> RenderResult:
    """:func:`render` for a bare list of messages."""
    out: list[dict[str, str]] = []
    missing: dict[str, str] = {}
    used_roots: set[str] = set()
    for i, msg in enumerate(messages):
        try:
            segs = parse_template(msg.content)
        except TemplateError:
            check_messages(messages)  # re-raise with the message index
            raise
        parts: list[str] = []
        for seg in segs:
            if isinstance(seg, str):
                parts.append(seg)
                continue
            value = _lookup(variables, seg.name)
            used_roots.add(seg.name)
            used_roots.add(seg.name.split(".", 1)[0])
            if value is _MISSING:
                missing.setdefault(seg.name, _where(i, msg))
                continue
            parts.append(_to_text(value))
        out.append({"role": msg.role, "content": "".join(parts)})
    if missing:
        listed = ", ".join(f"`{name}` (used in {where})" for name, where in missing.items())
        noun = "variable" if len(missing) == 1 else "variables"
        raise MissingVariableError(f"No value for {noun} {listed}.", missing=list(missing))
    warnings = [
        f"Variable `{name}` was given but no message uses it."
        for name in variables
        if name not in used_roots
    ]
    return RenderResult(messages=out, warnings=warnings)
