"""Differences between two prompt versions, for people.

Messages get a word-level diff (character offsets the GUI colours side by side) and a
line-level unified diff; model, parameters, the response JSON Schema and the tools get
key-level changes worded as sentences ("temperature 0.2 → 0.7", "required field
`email` removed", "property `age` type integer → string").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from studio.core.prompts.changes import Area, Change, dict_changes, fmt_value
from studio.core.prompts.schema_diff import schema_changes, tools_changes
from studio.core.prompts.spec import Message, PromptSpec

OpTag = Literal["equal", "replace", "insert", "delete"]
MessageStatus = Literal["unchanged", "changed", "added", "removed"]

_WORD_RE = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True, slots=True)
class TextOp:
    """One opcode of a word diff in character offsets: ``a[a_start:a_end]`` → ``b[...]``."""

    tag: OpTag
    a_start: int
    a_end: int
    b_start: int
    b_end: int


@dataclass(frozen=True, slots=True)
class MessageDiff:
    """How one message changed. ``index_a``/``role_a`` are None for an added message."""

    status: MessageStatus
    index_a: int | None
    index_b: int | None
    role_a: str | None
    role_b: str | None
    text_a: str
    text_b: str
    ops: tuple[TextOp, ...]
    unified: str

    @property
    def role_changed(self) -> bool:
        """True when both sides exist and their roles differ."""
        return self.status == "changed" and self.role_a != self.role_b

    @property
    def label(self) -> str:
        """``messages[1] (user)`` naming the message in the newer version when it exists."""
        if self.index_b is not None:
            return f"messages[{self.index_b}] ({self.role_b})"
        return f"messages[{self.index_a}] ({self.role_a})"

    def word_diff(self, context: int = 1) -> str:
        """git ``--word-diff`` style text: ``[-old-]{+new+}``, changed lines with context."""
        if self.status == "added":
            return "\n".join("{+" + ln + "+}" for ln in self.text_b.split("\n"))
        if self.status == "removed":
            return "\n".join("[-" + ln + "-]" for ln in self.text_a.split("\n"))
        parts: list[str] = []
        for op in self.ops:
            old = self.text_a[op.a_start : op.a_end]
            new = self.text_b[op.b_start : op.b_end]
            if op.tag == "equal":
                parts.append(new)
                continue
            # markers closed and reopened at each line break, so every changed line shows
            if old:
                parts.append(_mark(old, "[-", "-]"))
            if new:
                parts.append(_mark(new, "{+", "+}"))
        lines = "".join(parts).split("\n")
        marked = [i for i, ln in enumerate(lines) if "[-" in ln or "{+" in ln]
        keep = sorted(
            {j for i in marked for j in range(i - context, i + context + 1) if 0 <= j < len(lines)}
        )
        out: list[str] = []
        prev = -1
        for j in keep:
            if prev >= 0 and j != prev + 1:
                out.append("…")
            out.append(lines[j])
            prev = j
        return "\n".join(out)


def _mark(text: str, left: str, right: str) -> str:
    return "\n".join(left + ln + right if ln else "" for ln in text.split("\n"))


@dataclass(frozen=True, slots=True)
class PromptDiff:
    """Everything that differs between version ``a`` and version ``b``."""

    messages: tuple[MessageDiff, ...]
    changes: tuple[Change, ...]

    @property
    def is_empty(self) -> bool:
        """True when the two versions have the same content."""
        return not self.changes and all(m.status == "unchanged" for m in self.messages)

    def changes_in(self, area: Area) -> list[Change]:
        """The key-level changes of one area (model, params, response_schema, tools)."""
        return [c for c in self.changes if c.area == area]

    def to_text(self) -> str:
        """A plain-text report (used by ``studio prompt diff``)."""
        if self.is_empty:
            return "No differences."
        out: list[str] = []
        titles: dict[Area, str] = {
            "model": "Model",
            "params": "Parameters",
            "response_schema": "Response schema",
            "tools": "Tools",
        }
        for area, title in titles.items():
            items = self.changes_in(area)
            if items:
                out.append(f"{title}:")
                out.extend(f"  {c.text}" for c in items)
        changed = [m for m in self.messages if m.status != "unchanged"]
        if changed:
            out.append("Messages:")
            for m in changed:
                if m.status == "changed" and m.role_changed:
                    head = (
                        f"  messages[{m.index_b}] changed, role {m.role_a} → {m.role_b}"
                        f" (was messages[{m.index_a}]):"
                    )
                elif m.status == "changed" and m.index_a != m.index_b:
                    head = f"  {m.label} changed (was messages[{m.index_a}]):"
                else:
                    head = f"  {m.label} {m.status}:"
                out.append(head)
                body = m.word_diff()
                if body:
                    out.extend("    " + ln for ln in body.split("\n"))
        return "\n".join(out)


# -- values -------------------------------------------------------------------------


def _word_ops(a: str, b: str) -> tuple[TextOp, ...]:
    ta = _WORD_RE.findall(a)
    tb = _WORD_RE.findall(b)
    offs_a = [0]
    for t in ta:
        offs_a.append(offs_a[-1] + len(t))
    offs_b = [0]
    for t in tb:
        offs_b.append(offs_b[-1] + len(t))
    sm = difflib.SequenceMatcher(None, ta, tb, autojunk=False)
    ops = [list(op) for op in sm.get_opcodes()]
    # Fold tiny equal islands (a space, "a", "the") between two changes into one change:
    # "[-spelled exactly-]{+and how+}" reads better than word-by-word alternation.
    merged: list[list[Any]] = []
    for op in ops:
        merged.append(op)
        while (
            len(merged) >= 3
            and merged[-1][0] != "equal"
            and merged[-2][0] == "equal"
            and merged[-3][0] != "equal"
            and _is_small("".join(ta[merged[-2][1] : merged[-2][2]]))
        ):
            last = merged.pop()
            merged.pop()
            first = merged[-1]
            merged[-1] = ["replace", first[1], last[2], first[3], last[4]]
    return tuple(
        TextOp(tag, offs_a[i1], offs_a[i2], offs_b[j1], offs_b[j2])
        for tag, i1, i2, j1, j2 in merged
    )


def _is_small(text: str) -> bool:
    words = text.split()
    return "\n" not in text and len(words) <= 1 and sum(len(w) for w in words) <= 4


def _unified(a: str, b: str, name_a: str, name_b: str) -> str:
    lines = difflib.unified_diff(
        a.split("\n"), b.split("\n"), fromfile=name_a, tofile=name_b, lineterm=""
    )
    return "\n".join(lines)


def _message_diff(
    ia: int | None, a: Message | None, ib: int | None, b: Message | None
) -> MessageDiff:
    text_a = a.content if a else ""
    text_b = b.content if b else ""
    role_a = a.role if a else None
    role_b = b.role if b else None
    if a is None:
        status: MessageStatus = "added"
    elif b is None:
        status = "removed"
    elif a == b:
        status = "unchanged"
    else:
        status = "changed"
    ops = (
        _word_ops(text_a, text_b)
        if status != "unchanged"
        else (TextOp("equal", 0, len(text_a), 0, len(text_b)),)
    )
    unified = (
        ""
        if status == "unchanged"
        else _unified(
            text_a,
            text_b,
            f"a/messages[{ia}] ({role_a})" if a else "/dev/null",
            f"b/messages[{ib}] ({role_b})" if b else "/dev/null",
        )
    )
    return MessageDiff(status, ia, ib, role_a, role_b, text_a, text_b, ops, unified)


def diff_messages(a: Sequence[Message], b: Sequence[Message]) -> list[MessageDiff]:
    """Align the two message lists (identical messages first, then by role) and diff them."""
    out: list[MessageDiff] = []
    sm = difflib.SequenceMatcher(
        None, [(m.role, m.content) for m in a], [(m.role, m.content) for m in b], autojunk=False
    )
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out.extend(_message_diff(i1 + k, a[i1 + k], j1 + k, b[j1 + k]) for k in range(i2 - i1))
            continue
        # Inside a differing block pair messages by role, then by position.
        inner = difflib.SequenceMatcher(
            None, [m.role for m in a[i1:i2]], [m.role for m in b[j1:j2]], autojunk=False
        )
        for t2, p1, p2, q1, q2 in inner.get_opcodes():
            if t2 in ("equal", "replace"):
                pairs = min(p2 - p1, q2 - q1)
                for k in range(pairs):
                    ia, ib = i1 + p1 + k, j1 + q1 + k
                    out.append(_message_diff(ia, a[ia], ib, b[ib]))
                for k in range(p1 + pairs, p2):
                    out.append(_message_diff(i1 + k, a[i1 + k], None, None))
                for k in range(q1 + pairs, q2):
                    out.append(_message_diff(None, None, j1 + k, b[j1 + k]))
            elif t2 == "delete":
                out.extend(_message_diff(i1 + k, a[i1 + k], None, None) for k in range(p1, p2))
            else:  # insert
                out.extend(_message_diff(None, None, j1 + k, b[j1 + k]) for k in range(q1, q2))
    return out


# -- JSON Schema ----------------------------------------------------------------------


def diff_versions(a: PromptSpec, b: PromptSpec) -> PromptDiff:
    """Everything that differs from ``a`` (older) to ``b`` (newer)."""
    changes: list[Change] = []
    if a.model != b.model:
        changes.append(
            Change(
                "model",
                "model",
                "changed",
                f"model {fmt_value(a.model)} → {fmt_value(b.model)}",
                old=a.model,
                new=b.model,
            )
        )
    changes += dict_changes("params", a.params, b.params)
    if a.response_schema != b.response_schema:
        if a.response_schema is None:
            changes.append(
                Change(
                    "response_schema", "/", "added", "response schema added", new=b.response_schema
                )
            )
        elif b.response_schema is None:
            changes.append(
                Change(
                    "response_schema",
                    "/",
                    "removed",
                    "response schema removed",
                    old=a.response_schema,
                )
            )
        else:
            changes += schema_changes(a.response_schema, b.response_schema)
    changes += tools_changes(a.tools, b.tools)
    return PromptDiff(tuple(diff_messages(a.messages, b.messages)), tuple(changes))
