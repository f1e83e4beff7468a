"""The shape of a demo prompt's story: its version saves and label moves, one step a row.

Shared by the demo's prompts (:mod:`studio.core.demo.prompts`) and its judge prompt
(:mod:`studio.core.demo.judge`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from studio.core.prompts.spec import Message, PromptSpec, Role


# Each demo prompt's list of _Step rows pairs by shape with the others' and with itself in
# the duplicates report: they are the demo's story, one event a row, data rather than logic.
@dataclass
class _Step:
    """One event in a demo prompt's history: a version save or a label move."""

    author: str
    message: str = ""
    spec: PromptSpec | None = None
    label: str | None = None
    to_version: int | None = None
    days: float = 1.0  # days after the previous step


@dataclass
class _DemoPrompt:
    name: str
    description: str
    steps: list[_Step] = field(default_factory=list)


def _unwrap(text: str) -> str:
    """One line per paragraph: the source wraps at 100 columns, the prompt should not.

    A hard break in mid-sentence shows as a ragged line in the editor, the preview and
    every diff. List items (``- ``) and lines ending in ``:`` keep their breaks.
    """
    out: list[str] = []
    for line in text.split("\n"):
        joinable = (
            out
            and out[-1].strip()
            and line.strip()
            and not line.lstrip().startswith("-")
            and not out[-1].rstrip().endswith(":")
            and not out[-1].lstrip().startswith("-")
        )
        if joinable:
            out[-1] = f"{out[-1]} {line.strip()}"
        else:
            out.append(line)
    return "\n".join(out)


def _spec(
    model: str,
    params: dict[str, Any],
    *messages: tuple[str, str],
    schema: dict[str, Any] | None = None,
    tools: list[dict[str, Any]] | None = None,
) -> PromptSpec:
    return PromptSpec(
        messages=tuple(Message(cast(Role, role), content) for role, content in messages),
        model=model,
        params=params,
        response_schema=schema,
        tools=tools,
    )
