"""One key-level change between two prompt versions, worded as a sentence.

Shared by the diff of model and parameters (:mod:`studio.core.prompts.diff`) and of the
response schema and tools (:mod:`studio.core.prompts.schema_diff`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

ChangeKind = Literal["added", "removed", "changed"]
Area = Literal["model", "params", "response_schema", "tools"]


@dataclass(frozen=True, slots=True)
class Change:
    """A key-level change worded for people (``text``), with the raw values."""

    area: Area
    key: str
    kind: ChangeKind
    text: str
    old: Any = None
    new: Any = None


def fmt_value(value: Any) -> str:
    """A value as a short readable token: bare words bare, anything else as JSON."""
    if isinstance(value, str) and value and re.fullmatch(r"[\w.:/+-]+", value):
        return value
    return json.dumps(value, ensure_ascii=False)


def dict_changes(
    area: Area, a: Mapping[str, Any], b: Mapping[str, Any], prefix: str = ""
) -> list[Change]:
    out: list[Change] = []
    for key in [*a, *(k for k in b if k not in a)]:
        name = prefix + key
        if key not in b:
            out.append(
                Change(
                    area, name, "removed", f"{name} removed (was {fmt_value(a[key])})", old=a[key]
                )
            )
        elif key not in a:
            out.append(
                Change(area, name, "added", f"{name} added: {fmt_value(b[key])}", new=b[key])
            )
        elif a[key] != b[key] or type(a[key]) is not type(b[key]):
            out.append(
                Change(
                    area,
                    name,
                    "changed",
                    f"{name} {fmt_value(a[key])} → {fmt_value(b[key])}",
                    old=a[key],
                    new=b[key],
                )
            )
    return out


# -- messages -----------------------------------------------------------------------
