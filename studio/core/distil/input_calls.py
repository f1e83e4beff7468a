"""The calls of a generation plan: few-shot prompts from seed rows, and reading the answers.

Every call shows ``examples_per_call`` seed rows (of the cell's label when it has one),
the cell's instruction and label, and asks for up to ``batch_size`` new inputs as a
JSON object ``{"inputs": [...]}``. Seed rows are drawn with a random generator seeded
by the plan's seed and the call's place in the grid, so the same plan sends the same
requests (the response cache answers a re-run) and a new seed asks new questions.
Seeds never come from the test split (its text must not reach a prompt, or the model
could hand it back as a "new" training input), nor from rejected rows; real rows are
preferred to synthetic ones.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from studio.core.distil.plan import GenerationPlan

_FENCE = re.compile(r"^\s*```[a-zA-Z0-9_-]*\s*\n?|\n?\s*```\s*$")


@dataclass(frozen=True)
class SeedRow:
    """A row that may be shown as an example (never a test row)."""

    id: int
    inputs: dict[str, Any]
    label: str | None
    synthetic: bool


@dataclass(frozen=True)
class PlannedCall:
    """One request of the plan: which cell, how many inputs it asks for, its messages."""

    index: int
    cell: int
    label: str | None
    instruction: str
    asked: int
    seed_ids: tuple[int, ...]
    messages: list[dict[str, Any]]


def seed_pool(rows: Sequence[SeedRow], label: str | None) -> list[SeedRow]:
    """The rows a call of ``label`` draws from: real ones, or synthetic when none is real."""
    mine = [r for r in rows if label is None or r.label == label]
    real = [r for r in mine if not r.synthetic]
    return real or mine


def _shown(inputs: dict[str, Any], fields: Sequence[str]) -> str:
    """An input as the prompt shows it: the text of a one-field input, else JSON."""
    if len(fields) == 1:
        value = inputs.get(fields[0])
        return value if isinstance(value, str) else orjson.dumps(value).decode()
    return orjson.dumps({f: inputs.get(f) for f in fields}).decode()


def build_messages(
    *,
    fields: Sequence[str],
    task_type: str,
    label_set: Sequence[str],
    label: str | None,
    instruction: str,
    asked: int,
    seeds: Sequence[SeedRow],
) -> list[dict[str, Any]]:
    """The chat messages of one call (system: the rules and the JSON shape; user: the ask)."""
    if len(fields) == 1:
        shape = "each a string"
    else:
        keys = ", ".join(f'"{f}"' for f in fields)
        shape = f"each an object with the string fields {keys}"
    system = (
        "You write new, realistic inputs for a dataset: each one is something a user "
        "could send to the task the dataset is for. Reply with only a JSON object "
        f'{{"inputs": [...]}} holding exactly {asked} new inputs, {shape}. Every input '
        "must be new: never copy an example or change only a word or two of it, and "
        "make the inputs differ from each other."
    )
    lines: list[str] = []
    if task_type == "classification" and label_set:
        lines.append("The dataset's labels: " + ", ".join(label_set) + ".")
    if seeds:
        which = f' (label "{label}")' if label is not None else ""
        lines.append(f"Examples of existing inputs{which}:")
        lines.extend(f"{i}. {_shown(s.inputs, fields)}" for i, s in enumerate(seeds, 1))
        lines.append("")
    goal = f"Write {asked} new input{'s' if asked != 1 else ''}"
    if label is not None:
        goal += f' that belong to the label "{label}"'
    lines.append(f"{goal}. Style: {instruction}.")
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n".join(lines)}]


def plan_calls(
    plan: GenerationPlan,
    rows: Sequence[SeedRow],
    *,
    fields: Sequence[str],
    task_type: str,
    label_set: Sequence[str],
) -> list[PlannedCall]:
    """Every call of ``plan`` with its seed rows and messages, in grid order."""
    calls: list[PlannedCall] = []
    pools: dict[str | None, list[SeedRow]] = {}
    for ci, cell in enumerate(plan.cells):
        if cell.count <= 0:
            continue
        if cell.label not in pools:
            pools[cell.label] = seed_pool(rows, cell.label)
        pool = pools[cell.label]
        left, k = cell.count, 0
        while left > 0:
            asked = min(plan.batch_size, left)
            # str seeds hash with sha512: the same on every machine and Python run
            rng = random.Random(f"{plan.seed}|{cell.label}|{cell.instruction}|{k}")
            seeds = rng.sample(pool, min(plan.examples_per_call, len(pool)))
            messages = build_messages(
                fields=fields,
                task_type=task_type,
                label_set=label_set,
                label=cell.label,
                instruction=cell.instruction,
                asked=asked,
                seeds=seeds,
            )
            calls.append(
                PlannedCall(
                    len(calls),
                    ci,
                    cell.label,
                    cell.instruction,
                    asked,
                    tuple(s.id for s in seeds),
                    messages,
                )
            )
            left -= asked
            k += 1
    return calls


def _json_value(text: str) -> Any:
    """The JSON in a model's answer: the whole text, a fenced block, or the outermost
    object / array inside prose. Raises ValueError when there is none."""
    stripped = _FENCE.sub("", text.strip())
    try:
        return orjson.loads(stripped)
    except orjson.JSONDecodeError:
        pass
    for open_, close in (("{", "}"), ("[", "]")):
        start, end = stripped.find(open_), stripped.rfind(close)
        if 0 <= start < end:
            try:
                return orjson.loads(stripped[start : end + 1])
            except orjson.JSONDecodeError:
                continue
    raise ValueError("no JSON in the answer")


def _one_input(item: Any, fields: Sequence[str]) -> dict[str, str] | None:
    """An answer's item as named input variables, or None when it is not usable."""
    if len(fields) == 1:
        field = fields[0]
        if isinstance(item, dict):
            value = item.get(field, item.get("input", item.get("text")))
            if value is None:
                strings = [v for v in item.values() if isinstance(v, str)]
                value = strings[0] if len(strings) == 1 else None
            item = value
        if isinstance(item, str) and item.strip():
            return {field: item.strip()}
        return None
    if not isinstance(item, dict):
        return None
    out: dict[str, str] = {}
    for f in fields:
        value = item.get(f)
        if not isinstance(value, str) or not value.strip():
            return None
        out[f] = value.strip()
    return out


def parse_inputs(
    text: str | None, fields: Sequence[str], asked: int
) -> list[dict[str, str]] | None:
    """The new inputs in an answer (at most ``asked``); None when it holds no list of them.

    Reads ``{"inputs": [...]}``, any object whose one list value holds them, or a bare
    list; items are strings or objects with the input fields. Unusable items are left out
    (the caller counts them as failed).
    """
    if not text:
        return None
    try:
        data = _json_value(text)
    except ValueError:
        return None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if isinstance(data.get("inputs"), list):
            data = data["inputs"]
        elif len(lists) == 1:
            data = lists[0]
        elif len(fields) > 1 and _one_input(data, fields) is not None:
            data = [data]
        else:
            return None
    if not isinstance(data, list):
        return None
    found = [x for x in (_one_input(item, fields) for item in data) if x is not None]
    return found[:asked]
