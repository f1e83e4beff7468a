"""The demo's simulated model as one standalone responder, for ``studio demo-model``.

The demo project's recorded runs each start their own loopback server with the part of
the simulation they need (:mod:`studio.core.demo.run`, :mod:`studio.core.demo.distil`,
:mod:`studio.core.demo.student`). To replay the whole distil loop from the command line
without a real model, :class:`DemoModel` plays all of it behind one server:

* test-split queries of the demo dataset: :class:`~studio.core.demo.run.SimulatedIntentModel`,
  the same answers the demo's recorded A/B runs got (v2/v4 on ``gpt-4.1``,
  ``gpt-4.1-mini``, ``gpt-4.1-nano`` and the fine-tuned student);
* every other query asked of the teacher (``gpt-4.1`` or any large model):
  :class:`~studio.core.demo.distil.SimulatedTeacher`, right on most, consistently wrong on
  a few and unsure on some (its samples disagree), so ``studio distil outputs --samples 3``
  has agreement to review;
* other queries asked of a small model: the intent model's coin flip at its accuracy;
* requests filled from the demo's judge prompt (``intent-judge``, on any model):
  :class:`~studio.core.demo.judge.SimulatedJudge`, "Score: N/10", high when the chosen
  intent is the row's banking77 intent, so ``studio distil judge`` and ``accept
  --min-judge`` have scores to work with.

Which demo rows are in the test split is fixed by the demo dataset's seeded split, so
:func:`build_demo_model` builds that dataset once in a temporary project (under a second)
and reads it, rather than keeping a second copy of the split that could drift.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

from studio.core import paths
from studio.core.demo.distil import SimulatedTeacher, distil_queries
from studio.core.demo.judge import SimulatedJudge
from studio.core.demo.run import (
    LARGE_MODEL,
    SMALL_MODEL,
    STUDENT_MODEL,
    SimulatedIntentModel,
    _norm,
)
from studio.core.demo.simulated_server import SimulatedModelServer, _last_user_text

DEMO_MODELS: tuple[str, ...] = (LARGE_MODEL, SMALL_MODEL, "gpt-4.1-nano", STUDENT_MODEL)


class DemoModel:
    """Responder for every model of the demo (see the module docstring)."""

    def __init__(
        self, test_labels: dict[str, str], all_labels: dict[str, str], label_set: list[str]
    ) -> None:
        self.intent = SimulatedIntentModel(test_labels, label_set, extra_labels=all_labels)
        self.teacher = SimulatedTeacher(all_labels, label_set)
        self.judge = SimulatedJudge(all_labels)
        self.test_queries = {_norm(q) for q in test_labels}

    def __call__(self, body: dict[str, Any]) -> str:
        if self.judge.is_judge_request(body):
            return self.judge(body)
        query = _norm(_last_user_text(body))
        large = SimulatedIntentModel.family(str(body.get("model", ""))) == "large"
        if large and query not in self.test_queries:
            return self.teacher(body)
        return self.intent(body)

    def latency(self, body: dict[str, Any]) -> float:
        """The judge's 4-12 ms, else the intent model's 2-10 ms."""
        if self.judge.is_judge_request(body):
            return self.judge.latency(body)
        return SimulatedIntentModel.latency(body)


def _csv_labels(name: str) -> dict[str, str]:
    path = paths.resources_dir() / "demo" / name
    with path.open(newline="", encoding="utf-8") as fh:
        return {r["text"]: r["category"] for r in csv.DictReader(fh)}


def build_demo_model() -> DemoModel:
    """The responder, with the demo dataset's test split read from a temporary build."""
    from studio.core.datasets.catalog import get_dataset
    from studio.core.db.project import new_project
    from studio.core.demo.dataset import DEMO_CSV, add_demo_dataset
    from studio.core.demo.run import _labels_by_text

    with tempfile.TemporaryDirectory(prefix="studio-demo-model-") as tmp:
        project = new_project(Path(tmp) / "split.studio")
        try:
            dataset_id = add_demo_dataset(project)
            test_labels = _labels_by_text(project, dataset_id)
            label_set = list(get_dataset(project, dataset_id).label_set)
        finally:
            project.close()
    all_labels = _csv_labels(DEMO_CSV)
    all_labels.update(dict(distil_queries()))
    return DemoModel(test_labels, all_labels, label_set)


def demo_model_server(host: str = "127.0.0.1", port: int = 0) -> SimulatedModelServer:
    """A (not yet started) server answering as every demo model, with exact token usage."""
    model = build_demo_model()
    return SimulatedModelServer(
        responder=model,
        latency=model.latency,
        exact_usage=True,
        models=DEMO_MODELS,
        host=host,
        port=port,
    )
