"""A small banking77 project and a model that writes "new" inputs, some of them copies.

The project (:func:`build_inputs_project`): dataset ``bank`` (classification) with
banking77 rows of three labels, in the label set's order ``card_arrival`` (10 train
rows), ``exchange_rate`` (2 train rows), ``lost_or_stolen_card`` (5 train rows), and 2
test rows per label. Rows are picked so that no train row is within 0.8 similarity of
a test row (so a copy of a train row is a near-duplicate, never a test leak).

The model (:class:`CopyingModel`): for a call asking for N inputs it answers
``{"inputs": [...]}`` whose item at position p is

=====  =======================================================  ==================
p      item                                                     expected verdict
=====  =======================================================  ==================
0      a new text (random words, seeded by the request)         added
1      the call's first example + "!"                           near-duplicate
2      a test row in upper case (same normalised text)          test leak
3      a test row + "!!"                                        test leak
4      item 0 + "!"                                             near-duplicate
=====  =======================================================  ==================

and for the instruction ``"broken"`` it answers prose with no JSON.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz.distance import Indel

from helpers import BANKING77
from studio.core.datasets.catalog import create_dataset
from studio.core.datasets.curation import add_example
from studio.core.datasets.normalize import normalize_text
from studio.core.db.project import new_project

LABELS = ("card_arrival", "exchange_rate", "lost_or_stolen_card")
TRAIN_COUNTS = {"card_arrival": 10, "exchange_rate": 2, "lost_or_stolen_card": 5}
TEST_PER_LABEL = 2
_WORDS = [
    "apple",
    "river",
    "violet",
    "marble",
    "canyon",
    "whisper",
    "lantern",
    "orbit",
    "velvet",
    "thunder",
    "copper",
    "meadow",
    "harbor",
    "pixel",
    "saffron",
    "glacier",
    "falcon",
    "ember",
    "tundra",
    "quartz",
    "willow",
    "nimbus",
    "cobalt",
    "fern",
    "mosaic",
    "prairie",
    "zephyr",
    "basalt",
    "lotus",
    "citadel",
]
_ASKED = re.compile(r"Write (\d+) new input")
_EXAMPLE = re.compile(r"^1\. (.*)$", re.M)


@dataclass
class InputsProject:
    """What :func:`build_inputs_project` made."""

    path: Path
    dataset_id: int
    train: dict[int, tuple[str, str]]  # id -> (text, label)
    test: dict[int, tuple[str, str]]


def _rows(name: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {lb: [] for lb in LABELS}
    with (BANKING77 / name).open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["category"] in out:
                out[row["category"]].append(row["text"])
    return out


def build_inputs_project(path: Path) -> InputsProject:
    """The project described in the module docstring."""
    train_all, test_all = _rows("train.csv"), _rows("test.csv")
    test = {lb: test_all[lb][:TEST_PER_LABEL] for lb in LABELS}
    test_norm = [normalize_text(t) for lb in LABELS for t in test[lb]]

    def far_from_test(t: str) -> bool:
        n = normalize_text(t)
        return all(Indel.normalized_similarity(n, x) < 0.8 for x in test_norm)

    project = new_project(path)
    try:
        info = create_dataset(project, "bank", task_type="classification", label_set=LABELS)
        built = InputsProject(path, info.id, {}, {})
        for lb in LABELS:
            picked = [t for t in train_all[lb] if far_from_test(t)][: TRAIN_COUNTS[lb]]
            assert len(picked) == TRAIN_COUNTS[lb]
            for t in picked:
                ids = add_example(
                    project, info.id, {"text": t}, label=lb, ideal_output=lb, split="train"
                ).example_ids
                built.train[ids[0]] = (t, lb)
            for t in test[lb]:
                ids = add_example(
                    project, info.id, {"text": t}, label=lb, ideal_output=lb, split="test"
                ).example_ids
                built.test[ids[0]] = (t, lb)
    finally:
        project.close()
    return built


@dataclass
class CopyingModel:
    """The responder described in the module docstring (thread-safe)."""

    test_texts: list[str]
    novel: list[str] = field(default_factory=list)
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, body: dict[str, Any]) -> str:
        user = body["messages"][-1]["content"]
        with self.lock:
            self.calls += 1
        if "Style: broken." in user:
            return "Sorry, I would rather not write those."
        asked = int(_ASKED.search(user).group(1))  # type: ignore[union-attr]
        digest = hashlib.sha256(json.dumps(body["messages"]).encode()).hexdigest()
        rng = random.Random(digest)
        first = _EXAMPLE.search(user)
        novel = " ".join(rng.choice(_WORDS) for _ in range(9))
        test_a = self.test_texts[int(digest[:8], 16) % len(self.test_texts)]
        test_b = self.test_texts[int(digest[8:16], 16) % len(self.test_texts)]
        items = [
            novel,
            (first.group(1) if first else "no example given") + "!",
            test_a.upper(),
            test_b + "!!",
            novel + "!",
        ]
        with self.lock:
            self.novel.append(novel)
        return json.dumps({"inputs": items[:asked]})
