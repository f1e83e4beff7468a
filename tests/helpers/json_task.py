"""A JSON-task project for the scoring tests, and a responder whose answers are known.

Dataset ``tickets`` (extraction) is imported from a CSV the user wrote by hand, ideals
like ``{"intents": ["booking", "change"], "urgent": false}`` in that spelling. Prompt
``triage`` v1 and v2 (system messages start "V1"/"V2") share a ``response_schema``;
prompt ``plain`` v1 and v2 have none.

The responder answers ticket ``i`` for version ``v`` in one of the :data:`KINDS`,
chosen by :func:`kind_of`. The test-side truth table :data:`HAND` says, per kind, what a
person reading the answer decides — the hand count the scores are checked against.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.datasets import ImportMapping, import_file
from studio.core.db.project import new_project
from studio.core.prompts import service as prompts
from studio.core.prompts.spec import Message, PromptSpec

INTENTS = ("booking", "change", "refund", "complaint")
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "intents": {"type": "array", "items": {"type": "string"}},
        "urgent": {"type": "boolean"},
    },
    "required": ["intents", "urgent"],
}
_TICKET = re.compile(r"ticket (\d+):")

# What the model answers, by kind (``ideal`` is the user's text, ``data`` its parse).
KINDS = (
    "verbatim",
    "padded",
    "compact",
    "fenced_reordered",
    "prose",
    "float_spelling",
    "wrong_intents",
    "wrong_urgent",
    "extra_key",
    "not_json",
)

# Hand count, per kind: (exact passes, json-equal passes, intents agree, urgent agree,
# valid against SCHEMA). Decided by reading the answers below, not by running a scorer.
HAND: dict[str, tuple[bool, bool, bool, bool, bool]] = {
    "verbatim": (True, True, True, True, True),
    "padded": (True, True, True, True, True),
    "compact": (False, True, True, True, True),
    "fenced_reordered": (False, True, True, True, True),
    "prose": (False, True, True, True, False),  # prose around it: not JSON
    "float_spelling": (False, False, True, False, False),  # urgent: 1.0 is not a bool
    "wrong_intents": (False, False, False, True, True),
    "wrong_urgent": (False, False, True, False, True),
    "extra_key": (False, False, True, True, True),
    "not_json": (False, False, False, False, False),
}


def ideal_data(i: int) -> dict[str, Any]:
    """The ideal of ticket ``i`` as data."""
    first = INTENTS[i % len(INTENTS)]
    second = INTENTS[(i + 1) % len(INTENTS)]
    intents = [first] if i % 3 == 0 else [first, second]
    return {"intents": intents, "urgent": i % 2 == 0}


def ideal_text(i: int) -> str:
    """The ideal as the user typed it in the CSV (spaces after ``:`` and ``,``)."""
    return json.dumps(ideal_data(i))


def kind_of(version: int, i: int) -> str:
    """Which kind of answer version ``version`` gives on ticket ``i``."""
    if version == 1:
        return KINDS[i % len(KINDS)]
    # v2 is the better prompt: verbatim on every 4th ticket, else another mix of kinds
    return "verbatim" if i % 4 == 0 else KINDS[(i * 7 + 3) % len(KINDS)]


def answer(kind: str, i: int) -> str:
    """The answer of ``kind`` for ticket ``i``."""
    data = ideal_data(i)
    text = ideal_text(i)
    if kind == "verbatim":
        return text
    if kind == "padded":
        return "\n  " + text + "  \n"
    if kind == "compact":
        return json.dumps(data, separators=(",", ":"))
    if kind == "fenced_reordered":
        return (
            "```json\n"
            + json.dumps({"urgent": data["urgent"], "intents": data["intents"]}, indent=2)
            + "\n```"
        )
    if kind == "prose":
        return "Here is the triage: " + text + " Hope this helps."
    if kind == "float_spelling":  # urgent as 1.0/0.0 instead of true/false
        urgent = "1.0" if data["urgent"] else "0.0"
        return f'{{"intents": {json.dumps(data["intents"])}, "urgent": {urgent}}}'
    if kind == "wrong_intents":
        return json.dumps(
            {"intents": [*reversed(data["intents"]), "other"], "urgent": data["urgent"]}
        )
    if kind == "wrong_urgent":
        return json.dumps({"intents": data["intents"], "urgent": not data["urgent"]})
    if kind == "extra_key":
        return json.dumps({**data, "note": "extra"})
    if kind == "not_json":
        return "I am not sure what this customer wants."
    raise ValueError(kind)


@dataclass
class JsonTask:
    """What :func:`build_json_task` made."""

    path: Path
    n: int


def build_json_task(path: Path, n: int = 30) -> JsonTask:
    """The project: ``n`` test tickets imported from a hand-written CSV, two prompts."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["text", "ideal", "split"])
    for i in range(n):
        writer.writerow([f"ticket {i}: please sort out my trip number {i}", ideal_text(i), "test"])
    csv_path = path.with_suffix(".csv")
    csv_path.write_text(buf.getvalue(), encoding="utf-8")
    project = new_project(path)
    try:
        mapping = ImportMapping(
            input_fields=["text"], output_field="ideal", split_field="split", task_type="extraction"
        )
        result = import_file(project, csv_path, "tickets", mapping)
        assert result.imported == n, result.rejected
        for name, schema in (("triage", SCHEMA), ("plain", None)):
            for version in (1, 2):
                spec = PromptSpec(
                    messages=(
                        Message("system", f"V{version}: triage the ticket as JSON"),
                        Message("user", "{{text}}"),
                    ),
                    model="loopback-small",
                    params={"temperature": 0},
                    response_schema=schema,
                )
                prompts.save_version(project, name, spec, f"v{version}", author="t")
    finally:
        project.close()
    return JsonTask(path, n)


def ticket_index(body: dict[str, Any]) -> int:
    """The ``i`` of ``"ticket <i>: ..."`` in the last user message."""
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            m = _TICKET.search(str(message.get("content")))
            if m:
                return int(m.group(1))
    return -1


def responder(body: dict[str, Any]) -> str:
    """The loopback model: answers by :func:`kind_of`."""
    system = next(
        (str(m.get("content")) for m in body.get("messages") or [] if m.get("role") == "system"), ""
    )
    version = 2 if system.startswith("V2") else 1
    i = ticket_index(body)
    return answer(kind_of(version, i), i)


def hand_count(version: int, n: int) -> dict[str, int]:
    """Per version: how many answers pass each check, counted from :data:`HAND`."""
    counts = {"exact": 0, "json-equal": 0, "intents": 0, "urgent": 0, "schema": 0}
    for i in range(n):
        exact, equal, intents, urgent, valid = HAND[kind_of(version, i)]
        counts["exact"] += exact
        counts["json-equal"] += equal
        counts["intents"] += intents
        counts["urgent"] += urgent
        counts["schema"] += valid
    return counts
