"""Rendering message templates: filling ``{{variables}}`` with an example's values.

The template syntax and its checks live in :mod:`studio.core.prompts.template`.
Templates are parsed once and cached, so rendering 100,000 examples costs little more
than the string joins (about 0.45 s for 100,000 two-message prompts; a test times it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from studio.core.errors import ValidationError
from studio.core.prompts.template import (
    TemplateError,
    check_messages,
    message_where,
    parse_template,
)

if TYPE_CHECKING:
    from studio.core.prompts.spec import Message, PromptSpec


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
                missing.setdefault(seg.name, message_where(i, msg))
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
