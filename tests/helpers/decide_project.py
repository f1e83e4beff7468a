"""A realistic project for the decision tests: banking77 examples, prompt versions, runs.

Built through the core services and the models (no hand-written SQL), so the evidence
gathering is tested on what the studio itself writes. banking77: PolyAI, Casanueva et
al. 2020, CC BY 4.0.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from studio.core.datasets.catalog import create_dataset
from studio.core.datasets.normalize import input_text, normalize_text, text_hash
from studio.core.db.project import Project, new_project
from studio.core.models import EvalResult, EvalRun, EvalVariant, Example, Prompt, PromptVersion
from studio.core.prompts import service
from studio.core.prompts.spec import Message, PromptSpec

LABELS = ("card_arrival", "card_linking", "exchange_rate", "lost_or_stolen_card")
RUN_DAY = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@dataclass
class BuiltProject:
    """What the builder made, for the assertions."""

    path: Path
    dataset: str
    train_texts: int
    test_ids: list[int]
    duplicate_copies: int
    leaked: int


def _read(path: Path, per_label: int) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            label = row["category"]
            if label in LABELS and seen.get(label, 0) < per_label:
                seen[label] = seen.get(label, 0) + 1
                rows.append((row["text"], label))
    return rows


def _spec(version: int) -> PromptSpec:
    system = "Classify the online-banking query into one intent. Answer with the intent only."
    if version >= 2:
        system += " Intents: " + ", ".join(LABELS) + "."
    return PromptSpec(
        messages=(Message("system", system), Message("user", "{{ text }}")),
        model="gpt-4.1",
        params={"temperature": 0},
    )


def build_decision_project(
    path: Path,
    banking77: Path,
    *,
    per_label_train: int = 30,
    per_label_test: int = 15,
    with_runs: bool = True,
) -> BuiltProject:
    """Create ``path`` with a labelled, split dataset and (optionally) two completed runs."""
    project = new_project(path)
    try:
        return _fill(project, banking77, per_label_train, per_label_test, with_runs)
    finally:
        project.close()


def _example(dataset_id: int, text: str, label: str, split: str, status: str) -> Example:
    inputs = {"text": text}
    shown = input_text(inputs)
    return Example(
        dataset_id=dataset_id,
        input_json=json.dumps(inputs),
        output_kind="text",
        ideal_output=label,
        label=label,
        status=status,
        split=split,
        norm_hash=text_hash(normalize_text(shown)),
        search_text=shown,
    )


def _fill(
    project: Project, banking77: Path, per_train: int, per_test: int, with_runs: bool
) -> BuiltProject:
    for v in (1, 2):
        service.save_version(project, "banking-intent", _spec(v), f"version {v}", "alice")
    info = create_dataset(project, "banking-demo", task_type="classification", label_set=LABELS)
    train = _read(banking77 / "train.csv", per_train)
    test = _read(banking77 / "test.csv", per_test)
    with project.session() as s:
        for text_, label in train:
            s.add(_example(info.id, text_, label, "train", "approved"))
        # two exact copies of the first training text, and one test text leaked into train
        s.add(_example(info.id, train[0][0], train[0][1], "train", "approved"))
        s.add(_example(info.id, train[0][0], train[0][1], "train", "approved"))
        s.add(_example(info.id, test[0][0], test[0][1], "train", "approved"))
        # not counted anywhere: a draft and a rejected example
        s.add(_example(info.id, "how do I close my account", "card_linking", "train", "draft"))
        s.add(_example(info.id, "asdf", "card_linking", "test", "rejected"))
        test_rows = [_example(info.id, t, lab, "test", "approved") for t, lab in test]
        s.add_all(test_rows)
        s.flush()
        test_ids = [int(r.id) for r in test_rows if r.id is not None]
    if with_runs:
        _runs(project, info.id, test_ids)
    return BuiltProject(project.path, "banking-demo", len(train) + 3, test_ids, 2, 1)


def _version_id(project: Project, version: int) -> int:
    with project.session() as s:
        prompt = s.exec(select(Prompt).where(Prompt.name == "banking-intent")).one()
        row = s.exec(
            select(PromptVersion).where(
                PromptVersion.prompt_id == prompt.id, PromptVersion.version == version
            )
        ).one()
        assert row.id is not None
        return row.id


def _runs(project: Project, dataset_id: int, test_ids: list[int]) -> None:
    v1, v2 = _version_id(project, 1), _version_id(project, 2)
    # Run 1: @1 vs @2 on gpt-4.1 (80 % vs 90 %). Run 2: @2 on gpt-4.1 vs gpt-4.1-mini
    # (90 % vs 70 %: the big model alone is right on 20 % of the items, never the reverse).
    plans = [
        (
            "prompt v1 vs v2",
            [(v1, "gpt-4.1", lambda i: i % 5 != 0), (v2, "gpt-4.1", lambda i: i % 10 != 0)],
        ),
        (
            "gpt-4.1 vs mini",
            [
                (v2, "gpt-4.1", lambda i: i % 10 != 0),
                (v2, "gpt-4.1-mini", lambda i: i % 10 not in (0, 1, 2)),
            ],
        ),
    ]
    with project.session() as s:
        for name, variants in plans:
            run = EvalRun(
                name=name,
                dataset_id=dataset_id,
                split="test",
                scorer="label",
                status="completed",
                created_at=RUN_DAY,
                started_at=RUN_DAY,
                finished_at=RUN_DAY,
                recorded_note="recorded against a local loopback server",
                # the run's plan, as create_run stores it (the summary reads it)
                summary_json=json.dumps({"example_ids": test_ids}),
            )
            s.add(run)
            s.flush()
            assert run.id is not None
            for pos, (vid, model, passes) in enumerate(variants):
                ver = 1 if vid == v1 else 2
                var = EvalVariant(
                    run_id=run.id,
                    position=pos,
                    prompt_version_id=vid,
                    label=f"banking-intent@{ver} ({model})",
                    model=model,
                )
                s.add(var)
                s.flush()
                assert var.id is not None
                mini = model.endswith("mini")
                for i, ex_id in enumerate(test_ids):
                    tin, tout = 150 + i % 7, 5
                    price_in, price_out = (0.4, 1.6) if mini else (2.0, 8.0)
                    s.add(
                        EvalResult(
                            run_id=run.id,
                            variant_id=var.id,
                            example_id=ex_id,
                            output="x",
                            latency_ms=(300.0 + i) if mini else (800.0 + 3 * i),
                            tokens_in=tin,
                            tokens_out=tout,
                            cost_usd=(tin * price_in + tout * price_out) / 1e6,
                            passed=passes(i),
                            score=1.0 if passes(i) else 0.0,
                            cached=(i == 0),
                        )
                    )
