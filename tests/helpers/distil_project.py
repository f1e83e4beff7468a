"""A classification project for the distil tests, and responders that play the teacher.

Dataset ``intents`` (labels of :data:`helpers.ab_project.LABELS`):

* ``n_rows`` draft rows without an ideal output, ``"query <i>: <text>"`` (i = 0 ..
  n_rows-1), every third one without a split, the others in train: the rows to distil;
* ``n_human`` approved rows with a human label (split train), ``"human <j>: ..."``;
* ``n_test`` draft test rows without a label, ``"test <j>: ..."``.

Prompt ``teacher``: v1 temperature 0 (one sample), v2 temperature 0.7 (samples), v3 with a
``response_schema`` ``{"intent": <label>}``. All on model ``loopback-large``.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.ab_project import LABELS, TEXTS, query_index, wrong_label
from studio.core.datasets.catalog import create_dataset
from studio.core.datasets.curation import add_example
from studio.core.db.project import new_project
from studio.core.prompts import service as prompts
from studio.core.prompts.spec import Message, PromptSpec

SCHEMA = {
    "type": "object",
    "properties": {"intent": {"type": "string", "enum": list(LABELS)}},
    "required": ["intent"],
    "additionalProperties": False,
}
_HUMAN = re.compile(r"human (\d+):")


@dataclass
class DistilProject:
    """What :func:`build_distil_project` made."""

    path: Path
    dataset_id: int
    row_ids: list[int]  # example id of query i
    labels: dict[int, str]  # query i -> right label
    human_ids: list[int]
    human_labels: dict[int, str]  # example id -> the human's label
    test_ids: list[int] = field(default_factory=list)


def _spec(temperature: float, schema: dict[str, Any] | None = None) -> PromptSpec:
    return PromptSpec(
        messages=(
            Message("system", "Answer with one intent of " + ", ".join(LABELS)),
            Message("user", "{{text}}"),
        ),
        model="loopback-large",
        params={"temperature": temperature},
        response_schema=schema,
    )


def build_distil_project(
    path: Path, n_rows: int = 150, n_human: int = 10, n_test: int = 12
) -> DistilProject:
    """Make the project (see the module docstring)."""
    project = new_project(path)
    try:
        info = create_dataset(project, "intents", task_type="classification", label_set=LABELS)
        row_ids: list[int] = []
        labels: dict[int, str] = {}
        for i in range(n_rows):
            label = LABELS[i % len(LABELS)]
            labels[i] = label
            ch = add_example(
                project,
                info.id,
                {"text": f"query {i}: {TEXTS[label]}"},
                split=None if i % 3 == 0 else "train",
            )
            row_ids.append(ch.example_ids[0])
        human_ids: list[int] = []
        human_labels: dict[int, str] = {}
        for j in range(n_human):
            label = LABELS[(j + 1) % len(LABELS)]
            ch = add_example(
                project,
                info.id,
                {"text": f"human {j}: {TEXTS[label]}"},
                label=label,
                split="train",
                status="approved",
            )
            human_ids.append(ch.example_ids[0])
            human_labels[ch.example_ids[0]] = label
        test_ids: list[int] = []
        for j in range(n_test):
            label = LABELS[j % len(LABELS)]
            ch = add_example(project, info.id, {"text": f"test {j}: {TEXTS[label]}"}, split="test")
            test_ids.append(ch.example_ids[0])
        prompts.save_version(project, "teacher", _spec(0.0), "one sample", author="alice")
        prompts.save_version(project, "teacher", _spec(0.7), "sampled", author="alice")
        prompts.save_version(project, "teacher", _spec(0.0, SCHEMA), "schema", author="alice")
    finally:
        project.close()
    return DistilProject(path, info.id, row_ids, labels, human_ids, human_labels, test_ids)


class TeacherResponder:
    """Answers the right label of query i; counts the calls per query.

    Args:
        labels: query i -> right label.
        wrong: queries answered with a wrong label.
        bad_json: queries answered with JSON that breaks the schema (``{"intent": 42}``).
        as_json: answer ``{"intent": label}`` (the schema prompt).
        sample_plan: query i -> the answers of its 1st, 2nd, 3rd ... call, in call order
            (labels); queries not in it get the right label.
    """

    def __init__(
        self,
        labels: dict[int, str],
        *,
        wrong: set[int] | None = None,
        bad_json: set[int] | None = None,
        as_json: bool = False,
        sample_plan: dict[int, list[str]] | None = None,
    ) -> None:
        self.labels = labels
        self.wrong = wrong or set()
        self.bad_json = bad_json or set()
        self.as_json = as_json
        self.sample_plan = sample_plan or {}
        self.calls: Counter[int] = Counter()
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> str:
        i = query_index(body)
        with self._lock:
            n = self.calls[i]
            self.calls[i] += 1
        if i < 0:  # a human or test row: answer something recognisable
            label = LABELS[0]
        elif i in self.sample_plan:
            label = self.sample_plan[i][n % len(self.sample_plan[i])]
        else:
            label = wrong_label(self.labels[i]) if i in self.wrong else self.labels[i]
        if i in self.bad_json:
            return '{"intent": 42}'
        return f'{{"intent": "{label}"}}' if self.as_json else label
