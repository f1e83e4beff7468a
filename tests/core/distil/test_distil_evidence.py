"""Distil evidence: every figure against the hand count of helpers.distil_evidence_project,
the interval against scipy's Wilson interval."""

from __future__ import annotations

import pytest
from helpers import distil_evidence_project as fx
from helpers.distil_evidence_project import HAND, insert_candidate
from scipy.stats import binomtest
from sqlalchemy import text

from studio.core.datasets import add_example, create_dataset
from studio.core.db.project import Project
from studio.core.db.transactions import write_tx
from studio.core.distil.evidence import agreement_bucket, distil_evidence
from studio.core.errors import NotFoundError


def test_every_figure_matches_the_hand_count(project: Project) -> None:
    fx.build(project)
    ev = distil_evidence(project, fx.DATASET)
    assert (ev.accepted, ev.rejected, ev.pending, ev.failed) == (
        HAND["accepted"],
        HAND["rejected"],
        HAND["pending"],
        HAND["failed"],
    )
    assert ev.by_label == HAND["by_label"]
    assert ev.agreement_hist == HAND["agreement"]
    assert (ev.teacher_correct, ev.teacher_compared) == (2, 4)
    ci = binomtest(2, 4).proportion_ci(confidence_level=0.95, method="wilson")
    assert ev.teacher_accuracy_ci == pytest.approx((ci.low, ci.high), abs=1e-9)
    # and by hand: p = 0.5 -> the interval is symmetric around 0.5
    assert ev.teacher_accuracy_ci is not None
    assert ev.teacher_accuracy_ci[0] + ev.teacher_accuracy_ci[1] == pytest.approx(1.0)
    assert (ev.human_ideals, ev.teacher_ideals, ev.unknown_ideals) == (4, 2, 1)
    assert ev.synthetic_inputs == 2
    assert ev.cost_usd == pytest.approx(HAND["cost"])
    assert ev.acceptance_rate == pytest.approx(2 / 4)
    j = ev.to_json()
    assert j["candidates"] == 9
    assert j["teacher"]["ci95"] == pytest.approx([ci.low, ci.high], abs=1e-9)


def test_by_id_and_unknown_dataset(project: Project) -> None:
    fx.build(project)
    with pytest.raises(NotFoundError):
        distil_evidence(project, "no such")
    ds_id = int(project.engine.connect().execute(text("SELECT id FROM dataset")).scalar_one())
    assert distil_evidence(project, ds_id).accepted == 2


def test_empty_dataset_has_no_interval(project: Project) -> None:
    create_dataset(project, "empty", task_type="classification", label_set=["a"])
    ev = distil_evidence(project, "empty")
    assert ev.candidates == 0
    assert ev.teacher_accuracy_ci is None
    assert ev.acceptance_rate is None
    assert ev.agreement_hist == {}


@pytest.mark.parametrize(
    ("agreement", "bucket"),
    [
        (1.0, "1.0"),
        (0.99, "0.8–1.0"),
        (0.8, "0.8–1.0"),
        (0.79, "0.6–0.8"),
        (0.6, "0.6–0.8"),
        (0.4, "0.4–0.6"),
        (0.39, "0–0.4"),
        (0.0, "0–0.4"),
        (None, "single sample"),
    ],
)
def test_agreement_buckets_lower_bound_inclusive(agreement: float | None, bucket: str) -> None:
    assert agreement_bucket(agreement) == bucket


def _one_candidate_each(
    project: Project, task: str, pairs: list[tuple[str, str, str]], **kw: object
) -> None:
    ds = create_dataset(project, task, task_type=task, **kw).id  # type: ignore[arg-type]
    for ideal, answer, kind in pairs:
        eid = add_example(
            project, ds, {"text": answer}, ideal_output=ideal, output_kind=kind, status="approved"
        ).example_ids[0]
        with write_tx(project) as conn:
            conn.execute(text("UPDATE example SET ideal_source='human' WHERE id=:i"), {"i": eid})
            insert_candidate(
                conn,
                ds,
                eid,
                status="pending",
                label=None,
                output=answer,
                agreement=None,
                valid=True,
                cost=None,
                kind=kind,
            )


def test_json_rows_compare_as_json_data(project: Project) -> None:
    _one_candidate_each(
        project,
        "extraction",
        [
            ('{"a": 1, "b": [1, 2]}', '{"b": [1, 2], "a": 1.0}', "json"),  # same data
            ('{"a": 1}', '{"a": 2}', "json"),  # different value
            ('{"a": 1}', '{"a": 1, "c": 0}', "json"),  # extra key
        ],
    )
    ev = distil_evidence(project, "extraction")
    assert (ev.teacher_correct, ev.teacher_compared) == (1, 3)


def test_text_rows_compare_after_normalising(project: Project) -> None:
    _one_candidate_each(
        project,
        "generation",
        [
            ("Hello, World!", "hello   world", "text"),  # case, punctuation, spaces
            ("Hello, World!", "Hello there", "text"),
        ],
    )
    ev = distil_evidence(project, "generation")
    assert (ev.teacher_correct, ev.teacher_compared) == (1, 2)
    assert ev.by_label == {}  # not a classification dataset


def test_acceptance_by_label_reads_unlabelled_answers_like_the_label_scorer(
    project: Project,
) -> None:
    ds = create_dataset(project, "lab", task_type="classification", label_set=["top_up", "a"]).id
    rows = [
        ("rejected", "This is about Top-Up."),  # the label scorer finds top_up
        ("accepted", "top_up"),
        ("rejected", "no idea"),  # no label
    ]
    for i, (status, answer) in enumerate(rows):
        eid = add_example(project, ds, {"text": f"m{i}"}).example_ids[0]
        with write_tx(project) as conn:
            insert_candidate(
                conn,
                ds,
                eid,
                status=status,
                label=None,
                output=answer,
                agreement=None,
                valid=True,
                cost=None,
            )
    ev = distil_evidence(project, "lab")
    assert ev.by_label == {"top_up": (1, 2), "(none)": (0, 1)}
