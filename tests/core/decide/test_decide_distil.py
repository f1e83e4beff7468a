"""Decide and distillation: the distil evidence of a project (hand counts of
helpers.distil_evidence_project) in the evidence, the reasons and the report of a fine-tune
recommendation; eval runs of kind "distil" are not A/B evidence."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from decide_fixtures import TODAY, good_evidence, make_catalog, make_prices, narrow_answers
from helpers import distil_evidence_project as fx
from helpers.backends import BACKENDS, on_backend, other_connection
from helpers.decide_project import BuiltProject
from scipy.stats import binomtest

from studio.core.db.project import Project, open_project
from studio.core.decide.decision import decide
from studio.core.decide.project_evidence import gather_evidence
from studio.core.decide.report import render_html, render_markdown

CI = binomtest(2, 4).proportion_ci(method="wilson")  # teacher 2 of 4 rows


def test_gathered_evidence_has_the_hand_counts(project: Project) -> None:
    fx.build(project)
    ev = gather_evidence(project, dataset=fx.DATASET, today=date(2026, 12, 7))
    assert (ev.distil_reviewed, ev.distil_accepted) == (4, 2)
    assert (ev.teacher_correct, ev.teacher_compared) == (2, 4)
    assert (ev.teacher_ci_low, ev.teacher_ci_high) == pytest.approx((CI.low, CI.high))
    assert (ev.human_ideals, ev.teacher_ideals, ev.synthetic_inputs) == (4, 2, 2)
    assert "studio distil stats intents" in ev.where("teacher_accuracy")


def test_no_distillation_leaves_the_fields_unknown(project: Project) -> None:
    from studio.core.datasets import create_dataset

    create_dataset(project, "plain")
    ev = gather_evidence(project, dataset="plain", today=date(2026, 12, 7))
    assert ev.distil_reviewed is None and ev.teacher_compared is None


def _distilled(**over: object) -> object:
    return good_evidence(
        distil_reviewed=130,
        distil_accepted=120,
        teacher_correct=2,
        teacher_compared=4,
        teacher_ci_low=CI.low,
        teacher_ci_high=CI.high,
        human_ideals=40,
        teacher_ideals=120,
        synthetic_inputs=30,
        provenance={"teacher_accuracy": "dataset intents: distillation"},
        **over,
    )


def test_fine_tune_report_shows_the_distil_evidence() -> None:
    d = decide(narrow_answers(), _distilled(), make_prices(), make_catalog(), TODAY)  # type: ignore[arg-type]
    assert d.recommendation == "fine_tune_small_model"
    texts = [r.text for r in d.reasons]
    acc = f"2 of 4 rows (50.0 %, 95 % CI {100 * CI.low:.1f} %–{100 * CI.high:.1f} %)"
    assert any(acc in t for t in texts)
    # 120 / 130 = 92.3 %
    assert any(
        "120 of 130 reviewed (92.3 %)" in t
        and "120 ideal outputs are teacher-generated" in t
        and "40 human-written" in t
        and "30 inputs synthetic" in t
        for t in texts
    )
    # the CI lower end (15.0 %) is below the 90 % quality target: a warning says so
    assert any(
        "as low as 15.0 %" in w and "below the quality target 90.0 %" in w for w in d.warnings
    )
    md = render_markdown(d)
    assert "Teacher accuracy vs human ideals" in md and acc in md
    assert "| Ideal outputs: human / teacher | 40 / 120 |" in md
    html = render_html(d)
    assert "Teacher answers accepted" in html and "120 of 130 reviewed (92.3 %)" in html


def test_no_distil_reasons_for_other_recommendations() -> None:
    # no test split: no claim about quality can be checked, so no fine-tune
    d = decide(narrow_answers(), _distilled(test_set_size=0), make_prices(), make_catalog(), TODAY)  # type: ignore[arg-type]
    assert d.recommendation != "fine_tune_small_model"
    assert not any(r.field in ("teacher_accuracy", "distil_accepted") for r in d.reasons)


@pytest.mark.parametrize("backend", BACKENDS)
def test_distil_runs_are_not_ab_evidence(
    request: pytest.FixtureRequest, tmp_path: Path, decision_template: BuiltProject, backend: str
) -> None:
    dest = tmp_path / "p.studio"
    shutil.copyfile(decision_template.path, dest)
    where = on_backend(request, dest, backend)
    with open_project(where) as project:
        before = gather_evidence(project, today=date(2026, 11, 22), current_model="gpt-4.1")
    assert before.best_score is not None
    with other_connection(where) as con:  # autocommit
        con.execute("UPDATE eval_run SET kind = 'distil'")
    with open_project(where) as project:
        after = gather_evidence(
            project,
            dataset=decision_template.dataset,
            today=date(2026, 11, 22),
            current_model="gpt-4.1",
        )
    assert after.best_score is None and after.candidate_model is None
