"""A project with teacher candidates written directly (no teacher run), for review tests.

Classification dataset ``intents`` (labels refund, card_lost, balance), one example per
key of :data:`CASES`, and one candidate per example as the case says (plus an older,
rejected candidate of ``teacher_refund``, so "current" is the newest). The tests count
what accept/reject must do from this table by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.datasets import curation
from studio.core.datasets.catalog import create_dataset
from studio.core.db.project import Project, new_project
from studio.core.db.transactions import session
from studio.core.models.distil import Candidate

LABELS = ["refund", "card_lost", "balance"]

# key -> (example fields, candidate fields or None)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    # An approved human label: never overwritten
    "human": (
        {"label": "refund", "status": "approved"},
        {"output": "card_lost", "label": "card_lost", "agreement": 1.0},
    ),
    "teacher_refund": ({}, {"output": "refund", "label": "refund", "agreement": 1.0}),
    # The label is read from the answer (label scorer: "Card lost" is card_lost)
    "teacher_card": ({}, {"output": "Card lost", "label": None, "agreement": 1.0}),
    "teacher_balance": ({}, {"output": "The answer is balance.", "agreement": 1.0}),
    "teacher_refund2": ({"status": "needs_review"}, {"output": "refund", "agreement": 1.0}),
    "low_agreement": ({}, {"output": "balance", "agreement": 0.6}),
    "failed": ({}, {"output": None, "valid": False, "status": "failed", "reason": "timeout"}),
    "invalid": ({}, {"output": "refund", "valid": False, "reason": "schema", "agreement": 1.0}),
    "unmeasured": ({}, {"output": "balance", "agreement": None}),
    "no_label": ({}, {"output": "I do not know", "agreement": 1.0}),
    "no_candidate": ({}, None),
}


@dataclass
class CandidatesProject:
    path: Path
    dataset_id: int
    examples: dict[str, int]  # case key -> example id
    candidates: dict[str, int]  # case key -> its (current) candidate id
    old_candidate: int  # the older, rejected candidate of teacher_refund


def add_candidate(project: Project, dataset_id: int, example_id: int, **fields: Any) -> int:
    """Insert one candidate row through the ORM; returns its id."""
    values: dict[str, Any] = {
        "prompt_ref": "triage@3",
        "model": "big-model",
        "output_kind": "text",
        "samples": 5,
        "cost_usd": 0.002,
        "status": "pending",
    }
    values.update(fields)
    with session(project) as s:
        c = Candidate(dataset_id=dataset_id, example_id=example_id, **values)
        s.add(c)
        s.flush()
        assert c.id is not None
        return int(c.id)


def build_candidates_project(path: Path) -> CandidatesProject:
    project = new_project(path)
    try:
        ds = create_dataset(project, "intents", "classification", LABELS).id
        examples: dict[str, int] = {}
        candidates: dict[str, int] = {}
        old = 0
        for i, (key, (ex, cand)) in enumerate(CASES.items()):
            ch = curation.add_example(project, ds, {"text": f"customer message {i} ({key})"}, **ex)
            examples[key] = ch.example_ids[0]
            if key == "teacher_refund":
                old = add_candidate(
                    project, ds, examples[key], output="balance", status="rejected", agreement=0.4
                )
            if cand is not None:
                candidates[key] = add_candidate(project, ds, examples[key], **cand)
        return CandidatesProject(path, ds, examples, candidates, old)
    finally:
        project.close()
