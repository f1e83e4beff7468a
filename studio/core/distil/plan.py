"""The generation plan of synthetic inputs: a label × instruction grid with counts.

Before any call the user sees (and may edit) how many new inputs each cell asks for:
one row per label (or one unlabelled row) and one column per *instruction* (a
variation such as "short and informal"), the number of calls and the cost
(:func:`studio.core.distil.inputs.estimate_plan`). The CLI writes the plan as JSON
(``--plan-out``) and runs an edited one (``--plan``); the app edits the grid.

The quota rule (``per_label=True``, classification datasets), chosen so rare labels
get the most new inputs: the new inputs are handed out one at a time, each to the
label that has the fewest rows *so far* (its rows outside the test split, not rejected, plus the
new inputs it was already given), ties going to the label listed first in the
dataset's label set. That fills every label up towards the same level: with rows
a=10, b=2, c=5 and 10 new inputs, b gets 3 (to 5), then b and c alternate up to 8
each (3 each), and the last one goes to b (listed before c): b 7, c 3, a 0.
Without ``per_label`` the cells carry no label: the inputs are written from seed rows
of every label and the teacher labels them later (``studio distil outputs``).

Each label's quota is split across the instructions as evenly as possible, the
remainder going to the instructions listed first, so the cell counts always add up
to exactly ``count``.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from studio.core.errors import ValidationError

if TYPE_CHECKING:
    from studio.core.datasets.catalog import DatasetInfo
    from studio.core.db.project import Project

#: Varied instructions used when the user gives none: each asks for a different
#: register, length or flaw, so the new inputs do not all read alike.
DEFAULT_INSTRUCTIONS: tuple[str, ...] = (
    "short and informal",
    "with a typo or a missing word",
    "a long, detailed question with some context",
    "polite and formal",
)
DEFAULT_EXAMPLES = 5
DEFAULT_BATCH_SIZE = 5
DEFAULT_TEMPERATURE = 1.0
MAX_COUNT = 100_000
MAX_EXAMPLES = 50
MAX_BATCH_SIZE = 50


@dataclass
class PlanCell:
    """One cell of the grid: how many new inputs of ``label`` to write by ``instruction``.

    ``label`` is None when the inputs are not written for a given label.
    """

    label: str | None
    instruction: str
    count: int

    def to_json(self) -> dict[str, Any]:
        """The plan file's shape of a cell."""
        return {"label": self.label, "instruction": self.instruction, "count": self.count}


@dataclass
class GenerationPlan:
    """What to generate and how.

    Attributes:
        dataset: the dataset (name or id).
        model: the model that writes the inputs.
        cells: the grid, row by row (label), column by column (instruction).
        examples_per_call: seed rows shown in each call (few-shot).
        temperature: sampling temperature of every call.
        batch_size: new inputs asked for in one call.
        seed: seeds the choice of seed rows (a different seed draws other seed rows
            and so asks new questions; the same seed re-asks, answered from the cache).
        json_mode: send ``response_format={"type": "json_object"}`` (turn off for a
            server that refuses it).
    """

    dataset: str | int
    model: str
    cells: list[PlanCell]
    examples_per_call: int = DEFAULT_EXAMPLES
    temperature: float = DEFAULT_TEMPERATURE
    batch_size: int = DEFAULT_BATCH_SIZE
    seed: int = 0
    json_mode: bool = True
    labels_before: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """New inputs the plan asks for (the sum of the cell counts)."""
        return sum(c.count for c in self.cells)

    @property
    def n_calls(self) -> int:
        """Calls the plan makes: each cell asks ``batch_size`` inputs per call."""
        return sum(-(-c.count // self.batch_size) for c in self.cells if c.count > 0)

    def labels(self) -> list[str | None]:
        """The grid's rows (labels, in order of first appearance)."""
        return list(dict.fromkeys(c.label for c in self.cells))

    def instructions(self) -> list[str]:
        """The grid's columns (instructions, in order of first appearance)."""
        return list(dict.fromkeys(c.instruction for c in self.cells))

    def count_of(self, label: str | None, instruction: str) -> int:
        """The count of one cell (0 when the grid has no such cell)."""
        return sum(c.count for c in self.cells if c.label == label and c.instruction == instruction)

    def to_json(self) -> dict[str, Any]:
        """The plan as a JSON object (``--plan-out``; ``from_json`` reads it back)."""
        return {
            "dataset": self.dataset,
            "model": self.model,
            "examples_per_call": self.examples_per_call,
            "temperature": self.temperature,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "json_mode": self.json_mode,
            "labels_before": dict(self.labels_before),
            "cells": [c.to_json() for c in self.cells],
        }

    @classmethod
    def from_json(cls, data: Any, where: str = "plan") -> GenerationPlan:
        """Read a plan written by :meth:`to_json` (maybe edited by hand) and check it.

        Raises:
            ValidationError: a field is missing or has a bad value (``where`` names it).
        """
        if not isinstance(data, Mapping):
            raise ValidationError("The plan must be a JSON object.", where=where)

        def need(key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
            if key not in data:
                if default is ...:
                    raise ValidationError(f"The plan lacks the field {key!r}.", where=key)
                return default
            value = data[key]
            if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
                raise ValidationError(f"The plan's field {key!r} has a bad value.", where=key)
            return value

        cells_raw = need("cells", list)
        cells: list[PlanCell] = []
        for i, c in enumerate(cells_raw):
            here = f"cells[{i}]"
            if not isinstance(c, Mapping):
                raise ValidationError(f"{here} must be an object.", where=here)
            label = c.get("label")
            instruction = c.get("instruction")
            count = c.get("count")
            if label is not None and not isinstance(label, str):
                raise ValidationError(f"{here}.label must be text or null.", where=f"{here}.label")
            if not isinstance(instruction, str):
                raise ValidationError(
                    f"{here}.instruction must be text.", where=f"{here}.instruction"
                )
            if not isinstance(count, int) or isinstance(count, bool):
                raise ValidationError(
                    f"{here}.count must be a whole number.", where=f"{here}.count"
                )
            cells.append(PlanCell(label, instruction, count))
        labels_before = need("labels_before", dict, {})
        plan = cls(
            dataset=need("dataset", (str, int)),
            model=need("model", str),
            cells=cells,
            examples_per_call=need("examples_per_call", int, DEFAULT_EXAMPLES),
            temperature=float(need("temperature", (int, float), DEFAULT_TEMPERATURE)),
            batch_size=need("batch_size", int, DEFAULT_BATCH_SIZE),
            seed=need("seed", int, 0),
            json_mode=need("json_mode", bool, True),
            labels_before={str(k): int(v) for k, v in labels_before.items()},
        )
        check_plan(plan)
        return plan


def check_plan(plan: GenerationPlan) -> None:
    """Refuse a plan that cannot run, naming the field.

    Raises:
        ValidationError: empty model, no inputs asked for, a negative count, an empty
            instruction, or examples / batch size / temperature out of range.
    """
    if not plan.model.strip():
        raise ValidationError("Name the model that writes the inputs.", where="model")
    if not 0 <= plan.examples_per_call <= MAX_EXAMPLES:
        raise ValidationError(
            f"Examples per call must be between 0 and {MAX_EXAMPLES}, "
            f"not {plan.examples_per_call}.",
            where="examples",
        )
    if not 1 <= plan.batch_size <= MAX_BATCH_SIZE:
        raise ValidationError(
            f"Inputs per call must be between 1 and {MAX_BATCH_SIZE}, not {plan.batch_size}.",
            where="batch_size",
        )
    if not 0.0 <= plan.temperature <= 2.0:
        raise ValidationError(
            f"The temperature must be between 0 and 2, not {plan.temperature:g}.",
            where="temperature",
        )
    for i, c in enumerate(plan.cells):
        if c.count < 0:
            raise ValidationError(
                f"Cell {i + 1} ({c.label or 'any label'} × {c.instruction!r}) has a negative "
                "count.",
                where=f"cells[{i}].count",
            )
        if not c.instruction.strip():
            raise ValidationError(f"Cell {i + 1} has an empty instruction.", where="instructions")
    if plan.total <= 0:
        raise ValidationError(
            "The plan asks for no new inputs: give a count above 0.", where="count"
        )
    if plan.total > MAX_COUNT:
        raise ValidationError(
            f"The plan asks for {plan.total:,} inputs; at most {MAX_COUNT:,} at once.",
            where="count",
        )


def label_counts(project: Project, dataset: str | int) -> tuple[DatasetInfo, dict[str, int]]:
    """The dataset and its rows per label outside the test split (rejected ones left out;
    synthetic rows count: they are that label's rows now)."""
    from studio.core.datasets.catalog import get_dataset
    from studio.core.db.transactions import read_conn

    info = get_dataset(project, dataset)
    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT label, count(*) FROM example WHERE dataset_id = :d AND label IS NOT NULL "
                "AND (split IS NULL OR split != 'test') AND status != 'rejected' GROUP BY label"
            ),
            {"d": info.id},
        ).all()
    return info, {str(r[0]): int(r[1]) for r in rows}


def balanced_quotas(
    existing: Mapping[str, int], labels: Sequence[str], count: int
) -> dict[str, int]:
    """Hand ``count`` new inputs out so the rarest labels fill up first (module docstring).

    Args:
        existing: rows per label (labels missing here have 0).
        labels: every label, in the dataset's order (which breaks ties).
        count: new inputs to hand out.

    Returns:
        label -> new inputs, for every label in ``labels`` (sums to ``count``).
    """
    quotas = dict.fromkeys(labels, 0)
    if not labels:
        return quotas
    heap = [(existing.get(lb, 0), i, lb) for i, lb in enumerate(labels)]
    heapq.heapify(heap)
    for _ in range(count):
        level, i, lb = heapq.heappop(heap)
        quotas[lb] += 1
        heapq.heappush(heap, (level + 1, i, lb))
    return quotas


def split_evenly(total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` counts differing by at most 1, the larger ones first."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def clean_instructions(instructions: Sequence[str]) -> list[str]:
    """The given instructions stripped and de-duplicated, or the built-in set when none."""
    given = [s.strip() for s in instructions if s and s.strip()]
    return list(dict.fromkeys(given)) or list(DEFAULT_INSTRUCTIONS)


def make_plan(
    project: Project,
    dataset: str | int,
    *,
    model: str,
    count: int,
    per_label: bool = False,
    examples: int = DEFAULT_EXAMPLES,
    instructions: Sequence[str] = (),
    temperature: float = DEFAULT_TEMPERATURE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
) -> GenerationPlan:
    """The default plan for ``count`` new inputs (quota rule: module docstring).

    Raises:
        NotFoundError: no such dataset.
        ValidationError: a bad argument (named), or ``per_label`` on a dataset that is
            not a classification dataset.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
        raise ValidationError(
            f"The count must be a whole number above 0, not {count!r}.", where="count"
        )
    variations = clean_instructions(instructions)
    info, counts = label_counts(project, dataset)
    if per_label:
        if info.task_type != "classification":
            raise ValidationError(
                f"--per-label needs a classification dataset; {info.name!r} is {info.task_type}.",
                where="per_label",
            )
        labels = list(dict.fromkeys([*info.label_set, *sorted(counts)]))
        if not labels:
            raise ValidationError(f"Dataset {info.name!r} has no labels.", where="per_label")
        quotas = balanced_quotas(counts, labels, count)
        rows: list[tuple[str | None, int]] = [(lb, quotas[lb]) for lb in labels]
    else:
        rows = [(None, count)]
    cells = [
        PlanCell(label, instruction, n)
        for label, quota in rows
        for instruction, n in zip(variations, split_evenly(quota, len(variations)), strict=True)
    ]
    plan = GenerationPlan(
        dataset=info.name,
        model=model.strip(),
        cells=cells,
        examples_per_call=examples,
        temperature=temperature,
        batch_size=batch_size,
        seed=seed,
        labels_before=dict(counts) if per_label else {},
    )
    check_plan(plan)
    return plan
