"""A small classification project for the A/B tests, and a responder that plays a model.

Two prompt versions of ``intent``: v1 and v2 (their system messages say "V1"/"V2", so
the responder can tell them apart). Test examples are ``"query <i>: <text>"``; the
responder answers the right label for the examples in a variant's ``correct`` set and a
wrong label for the others.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.datasets.catalog import create_dataset
from studio.core.datasets.curation import add_example
from studio.core.db.project import Project, new_project
from studio.core.prompts import service as prompts
from studio.core.prompts.spec import Message, PromptSpec

LABELS = ("card_arrival", "lost_or_stolen_card", "exchange_rate", "request_refund")
TEXTS = {
    "card_arrival": "my new card has still not arrived",
    "lost_or_stolen_card": "I think my card was stolen yesterday",
    "exchange_rate": "what rate do you use to convert euros",
    "request_refund": "I want my money back for this order",
}
_QUERY = re.compile(r"query (\d+):")


@dataclass
class AbProject:
    """What :func:`build_ab_project` made."""

    path: Path
    dataset: str
    dataset_id: int
    test_ids: list[int]  # example ids in order of query index
    labels: dict[int, str]  # query index -> label
    train_ids: list[int] = field(default_factory=list)


def _spec(version: int) -> PromptSpec:
    return PromptSpec(
        messages=(
            Message("system", f"V{version}: answer with one intent of " + ", ".join(LABELS)),
            Message("user", "{{text}}"),
        ),
        model="loopback-small",
        params={"temperature": 0},
    )


def build_ab_project(path: Path, n_test: int = 24, n_train: int = 4) -> AbProject:
    """A project with dataset ``intents`` (``n_test`` test examples) and prompt ``intent``
    v1, v2."""
    project = new_project(path)
    try:
        info = create_dataset(project, "intents", task_type="classification", label_set=LABELS)
        test_ids: list[int] = []
        labels: dict[int, str] = {}
        for i in range(n_test):
            label = LABELS[i % len(LABELS)]
            labels[i] = label
            ch = add_example(
                project,
                info.id,
                {"text": f"query {i}: {TEXTS[label]}"},
                ideal_output=label,
                label=label,
                split="test",
                status="approved",
            )
            test_ids.append(ch.example_ids[0])
        train_ids = []
        for j in range(n_train):
            label = LABELS[j % len(LABELS)]
            ch = add_example(
                project,
                info.id,
                {"text": f"train {j}: {TEXTS[label]}"},
                ideal_output=label,
                label=label,
                split="train",
            )
            train_ids.append(ch.example_ids[0])
        prompts.save_version(project, "intent", _spec(1), "first", author="alice")
        prompts.save_version(project, "intent", _spec(2), "second", author="bob")
    finally:
        project.close()
    return AbProject(path, "intents", info.id, test_ids, labels, train_ids)


def wrong_label(label: str) -> str:
    """A label that is not ``label``."""
    return LABELS[(LABELS.index(label) + 1) % len(LABELS)]


def query_index(body: dict[str, Any]) -> int:
    """The ``i`` of ``"query <i>: ..."`` in the last user message."""
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            m = _QUERY.search(str(message.get("content")))
            if m:
                return int(m.group(1))
    return -1


def variant_of(body: dict[str, Any]) -> int:
    """1 or 2: which prompt version sent ``body``."""
    system = next(
        (m.get("content") for m in body.get("messages") or [] if m.get("role") == "system"), ""
    )
    return 2 if str(system).startswith("V2") else 1


class IntentResponder:
    """Answers right for ``correct[version]`` query indexes, wrong otherwise; counts calls."""

    def __init__(self, labels: dict[int, str], correct: dict[int, Iterable[int]]) -> None:
        self.labels = labels
        self.correct = {v: set(ids) for v, ids in correct.items()}
        self.calls: list[tuple[int, int]] = []
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> str:
        i, v = query_index(body), variant_of(body)
        with self._lock:
            self.calls.append((v, i))
        label = self.labels[i]
        return label if i in self.correct.get(v, set()) else wrong_label(label)


def correct_sets(n: int, a_wrong_every: int = 4, b_wrong_every: int = 6) -> dict[int, set[int]]:
    """v1 is wrong on every ``a_wrong_every``-th query, v2 on every ``b_wrong_every``-th."""
    return {
        1: {i for i in range(n) if i % a_wrong_every != 1},
        2: {i for i in range(n) if i % b_wrong_every != 1},
    }


def open_ab(path: Path) -> Project:
    """Open the project (helper for symmetry with build)."""
    from studio.core.db.project import open_project

    return open_project(path)


Responder = Callable[[dict[str, Any]], str]


def ab_args(
    ab: AbProject, *extra: str, variants: tuple[str, str] = ("intent@1", "intent@2")
) -> list[str]:
    """``studio ab`` on the project's ``intents`` dataset, two variants, then ``extra``."""
    return [
        "ab",
        "--project",
        str(ab.path),
        "--dataset",
        "intents",
        "--variant",
        variants[0],
        "--variant",
        variants[1],
        *extra,
    ]
