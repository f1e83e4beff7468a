"""Evidence gathered from real project files: runs, A/B across models, data readiness."""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from helpers.backends import BACKENDS, on_backend, other_connection
from helpers.decide_project import BuiltProject

from studio.core.datasets.catalog import create_dataset
from studio.core.db.project import new_project, open_project
from studio.core.decide import DecisionAnswers, decide, load_platforms
from studio.core.decide.compute import compute_decision, write_report
from studio.core.decide.project_evidence import gather_evidence
from studio.core.decide.store import load_report, load_saved_answers, save_answers, save_report
from studio.core.demo.decision import DEMO_ANSWERS, add_demo_decision
from studio.core.errors import NotFoundError, ProjectFileError, UserError
from studio.core.evals.run_results import run_summary
from studio.core.evals.stats import mcnemar_exact, wilson_interval
from studio.core.tokens.prices import load_price_table

TODAY = date(2026, 11, 22)


@pytest.fixture(params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path: Path, decision_template: BuiltProject
) -> BuiltProject:
    """The team's project as a file, or copied to PostgreSQL (``path`` is then its URL)."""
    dest = tmp_path / "p.studio"
    shutil.copyfile(decision_template.path, dest)
    where = on_backend(request, dest, request.param)
    b = decision_template
    return BuiltProject(
        where,  # type: ignore[arg-type]
        b.dataset,
        b.train_texts,
        b.test_ids,
        b.duplicate_copies,
        b.leaked,
    )


def test_best_prompt_candidate_and_usage_from_runs(built: BuiltProject) -> None:
    with open_project(built.path) as project:
        ev = gather_evidence(
            project, today=TODAY, current_model="gpt-4.1", candidate_model="gpt-4.1-mini"
        )
    n = len(built.test_ids)
    # @2 beats @1 (90 % vs 80 %) on gpt-4.1; the latest run with it wins the tie
    assert ev.best_prompt == "banking-intent@2"
    assert ev.best_model == "gpt-4.1"
    assert ev.best_n == n
    assert ev.best_score == pytest.approx(sum(1 for i in range(n) if i % 10 != 0) / n)
    k = sum(1 for i in range(n) if i % 10 != 0)
    assert (ev.best_ci_low, ev.best_ci_high) == pytest.approx(wilson_interval(k, n))
    # the A/B across models in run 2: same prompt version on the cheaper model
    assert ev.candidate_model == "gpt-4.1-mini"
    assert ev.candidate_score == pytest.approx(
        sum(1 for i in range(n) if i % 10 not in (0, 1, 2)) / n
    )
    big_only = sum(1 for i in range(n) if i % 10 in (1, 2))
    assert ev.candidate_p_value == pytest.approx(mcnemar_exact(big_only, 0))
    assert ev.candidate_p_value < 0.01
    # measured usage of the best variant; the cached first call is not a latency
    assert ev.mean_input_tokens == pytest.approx(sum(150 + i % 7 for i in range(n)) / n)
    assert ev.mean_output_tokens == 5
    costs = [((150 + i % 7) * 2.0 + 5 * 8.0) / 1e6 for i in range(n)]
    assert ev.cost_per_1000_tasks == pytest.approx(1000 * sum(costs) / n)
    # p95 latency: the evals summary's one definition (linear interpolation over every
    # answered call; a cache hit keeps its original call's latency), by hand here
    latencies = sorted(800.0 + 3 * i for i in range(n))
    pos = 0.95 * (n - 1)
    lo = int(pos)
    by_hand = latencies[lo] + (latencies[lo + 1] - latencies[lo]) * (pos - lo)
    assert ev.latency_p95_ms == pytest.approx(by_hand)
    mini = sorted(300.0 + i for i in range(n))
    assert ev.candidate_latency_p95_ms == pytest.approx(
        mini[lo] + (mini[lo + 1] - mini[lo]) * (pos - lo)
    )
    prov = ev.provenance
    assert prov["best_score"].startswith(
        "eval run #2 (banking-intent@2 on gpt-4.1 vs @2 on gpt-4.1-mini, test split, 2026-11-20"
    )
    assert "recorded against a local loopback server" in prov["best_score"]
    assert "McNemar" in prov["candidate_p_value"] and f"{big_only}" in prov["candidate_p_value"]
    assert "60 answered calls" in prov["latency_p95_ms"]


def _wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    z = 1.959963984540054  # two-sided 95 % normal quantile
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_run_figures_are_the_evals_summary(built: BuiltProject) -> None:
    """One p95, one Wilson: Decide's figures equal a hand computation and the summary."""
    with open_project(built.path) as project:
        ev = gather_evidence(
            project,
            today=TODAY,
            current_model="gpt-4.1",
            candidate_model="gpt-4.1-mini",
            check_duplicates=False,
        )
        summary = run_summary(project, 2)
    big, small = summary.variants
    n = len(built.test_ids)
    k_big = sum(1 for i in range(n) if i % 10 != 0)
    k_small = sum(1 for i in range(n) if i % 10 not in (0, 1, 2))
    assert (ev.best_ci_low, ev.best_ci_high) == pytest.approx(_wilson_by_hand(k_big, n))
    assert (ev.best_ci_low, ev.best_ci_high) == big.ci95
    assert (ev.candidate_ci_low, ev.candidate_ci_high) == pytest.approx(_wilson_by_hand(k_small, n))
    assert (ev.candidate_ci_low, ev.candidate_ci_high) == small.ci95
    assert ev.best_score == big.score and ev.candidate_score == small.score
    assert ev.latency_p95_ms == big.latency_p95_ms
    assert ev.candidate_latency_p95_ms == small.latency_p95_ms
    assert ev.cost_per_1000_tasks == pytest.approx(big.cost_per_1000)
    # numpy's default percentile is the same definition
    assert ev.latency_p95_ms == pytest.approx(
        float(np.percentile([800.0 + 3 * i for i in range(n)], 95))
    )


def test_data_readiness(built: BuiltProject) -> None:
    with open_project(built.path) as project:
        ev = gather_evidence(project, today=TODAY, candidate_model="gpt-4.1-mini")
    # drafts and rejected examples are not counted
    assert ev.approved_examples == built.train_texts
    assert ev.test_set_size == len(built.test_ids)
    assert ev.mde is not None and 0.1 < ev.mde < 0.2
    assert ev.provenance["approved_examples"] == (
        f"dataset banking-demo: {built.train_texts} approved train examples"
    )
    # the two planted copies at least (banking77 has near duplicates of its own)
    assert ev.duplicates is not None and ev.duplicates >= built.duplicate_copies
    assert ev.leaks is not None and ev.leaks >= built.leaked
    assert ev.label_counts is not None and sum(ev.label_counts.values()) == built.train_texts
    assert ev.class_shares() == pytest.approx((30 / 123, 33 / 123))
    assert "rarest" in ev.provenance["min_class_share"]
    # exact token counts of what would be exported, rendered through the best prompt
    assert ev.tokens_mean_per_example is not None and 40 < ev.tokens_mean_per_example < 150
    assert ev.tokens_p95_per_example is not None
    assert ev.tokens_p95_per_example >= ev.tokens_mean_per_example
    assert "rendered through banking-intent@2" in ev.provenance["tokens_mean_per_example"]
    assert "exact o200k_base" in ev.provenance["tokens_mean_per_example"]
    assert ev.validation_errors == 0
    assert ev.validation_warnings is not None
    assert "validated for gpt-4.1-mini" in ev.provenance["validation_errors"]


def test_without_current_model_the_candidate_is_not_the_best(built: BuiltProject) -> None:
    with open_project(built.path) as project:
        ev = gather_evidence(
            project, today=TODAY, candidate_model="gpt-4.1-mini", check_duplicates=False
        )
    assert ev.best_model == "gpt-4.1"
    assert ev.duplicates is None and ev.leaks is None  # not checked: unknown, not zero


def test_no_cheaper_model_run_leaves_candidate_unknown(built: BuiltProject) -> None:
    with open_project(built.path) as project:
        ev = gather_evidence(
            project,
            today=TODAY,
            current_model="gpt-4.1",
            candidate_model="gpt-4.1-nano",
            check_duplicates=False,
        )
    assert ev.best_score is not None
    assert ev.candidate_model is None and ev.candidate_p_value is None


def test_failed_calls_are_left_out_and_said(built: BuiltProject) -> None:
    # three calls of gpt-4.1 in run 2 that had passed now failed without a score
    failed = ",".join(str(i) for i in built.test_ids[1:4])
    with other_connection(built.path) as con:  # another program, autocommit
        con.execute(
            "UPDATE eval_result SET passed = NULL, score = NULL, error = 'timeout' "
            "WHERE run_id = 2 AND variant_id = (SELECT id FROM eval_variant WHERE "
            f"run_id = 2 AND position = 0) AND example_id IN ({failed})"
        )
    with open_project(built.path) as project:
        ev = gather_evidence(project, today=TODAY, current_model="gpt-4.1", check_duplicates=False)
    # run 1 measured @2 on every item: its interval is now the tighter one
    assert ev.best_n == len(built.test_ids)
    assert ev.provenance["best_score"].startswith("eval run #1")
    with other_connection(built.path) as con:
        for table in ("eval_result", "eval_variant", "preference"):  # its rows first
            con.execute(f"DELETE FROM {table} WHERE run_id = 1")
        con.execute("DELETE FROM eval_run WHERE id = 1")
    with open_project(built.path) as project:
        ev = gather_evidence(project, today=TODAY, current_model="gpt-4.1", check_duplicates=False)
    assert ev.best_n == len(built.test_ids) - 3
    assert "3 calls failed and are left out" in ev.provenance["best_score"]


def test_runs_not_completed_or_not_on_test_are_ignored(built: BuiltProject) -> None:
    with other_connection(built.path) as con:
        con.execute("UPDATE eval_run SET status = 'cancelled' WHERE id = 1")
        con.execute("UPDATE eval_run SET split = 'validation' WHERE id = 2")
    with open_project(built.path) as project:
        ev = gather_evidence(project, today=TODAY, check_duplicates=False)
    assert ev.best_score is None and ev.mean_input_tokens is None
    # no measured prompt version: tokens come from the input text alone, and it says so
    assert ev.tokens_mean_per_example is not None
    assert "input text alone" in ev.provenance["tokens_mean_per_example"]
    assert ev.approved_examples == built.train_texts


def test_old_runs_say_their_age(built: BuiltProject) -> None:
    with open_project(built.path) as project:
        ev = gather_evidence(project, today=date(2027, 2, 1), check_duplicates=False)
    assert "2026-11-20, 73 days ago" in ev.provenance["best_score"]


def test_empty_project_and_unknown_dataset(tmp_path: Path) -> None:
    with new_project(tmp_path / "empty.studio") as project:
        ev = gather_evidence(project, today=TODAY)
        assert ev.best_score is None and ev.approved_examples is None
        assert ev.provenance == {}
        create_dataset(project, "tickets")
        ev = gather_evidence(project, today=TODAY)
        assert ev.approved_examples == 0 and ev.test_set_size == 0
        assert "not split yet" in ev.provenance["approved_examples"]
        assert ev.tokens_mean_per_example is None and ev.validation_errors is None
        with pytest.raises(NotFoundError, match=r"no dataset named .nope.*.tickets."):
            gather_evidence(project, dataset="nope", today=TODAY)


def test_decision_from_project_evidence(built: BuiltProject, tmp_path: Path) -> None:
    answers = DecisionAnswers.from_dict(DEMO_ANSWERS)
    with open_project(built.path) as project:
        d = compute_decision(project, answers, today=TODAY, dataset="banking-demo")
    # a 60-item test split cannot tell a tuned model from the prompt
    assert d.recommendation == "collect_more_data"
    fields = {r.field for r in d.reasons}
    assert "test_set_size" in fields
    ev_reason = next(r for r in d.reasons if r.field == "test_set_size")
    assert "dataset banking-demo: 60 test-split examples" in ev_reason.text
    out = d.to_json()
    assert {"recommendation", "reasons", "evidence"} <= set(out)
    assert out["evidence"]["best_prompt"] == "banking-intent@2"
    json.dumps(out)  # JSON-ready
    # the same evidence with the core decide() directly gives the same answer
    with open_project(built.path) as project:
        ev = gather_evidence(
            project, today=TODAY, current_model="gpt-4.1", candidate_model="gpt-4.1-mini"
        )
    d2 = decide(answers, ev, load_price_table(), load_platforms(), TODAY)
    assert d2.recommendation == d.recommendation and d2.headline == d.headline

    html = tmp_path / "r.html"
    assert write_report(d, html) == "html"
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    md = tmp_path / "r.md"
    assert write_report(d, md) == "markdown"
    assert "banking-intent@2" in md.read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".*.part"))  # atomic: no leftovers
    with pytest.raises(UserError, match=r"name it \.html"):
        write_report(d, tmp_path / "r.pdf")
    with pytest.raises(UserError, match="does not exist"):
        write_report(d, tmp_path / "missing" / "r.html")


def test_store_round_trip(tmp_path: Path) -> None:
    answers = DecisionAnswers.from_dict(DEMO_ANSWERS)
    with new_project(tmp_path / "s.studio") as project:
        assert load_saved_answers(project) is None
        assert load_report(project) is None
        save_answers(project, answers)
        save_answers(project, answers)  # one row, replaced
        assert load_saved_answers(project) == answers
        save_report(project, {"recommendation": "retrieval", "reasons": []})
        assert load_report(project) == {"recommendation": "retrieval", "reasons": []}
        assert load_saved_answers(project) == answers  # the report keeps the answers
    con = sqlite3.connect(tmp_path / "s.studio")
    with con:
        assert con.execute("SELECT COUNT(*) FROM decision_answers").fetchone()[0] == 1
        con.execute("UPDATE decision_answers SET answers_json = '{\"calls_per_day\": -5}'")
    con.close()
    with (
        open_project(tmp_path / "s.studio") as project,
        pytest.raises(ProjectFileError, match="calls_per_day"),
    ):
        load_saved_answers(project)


def test_report_saved_before_answers_keeps_them(tmp_path: Path) -> None:
    with new_project(tmp_path / "r.studio") as project:
        save_report(project, {"recommendation": "x", "answers": DEMO_ANSWERS})
        saved = load_saved_answers(project)
    assert saved == DecisionAnswers.from_dict(DEMO_ANSWERS)


def test_demo_decision(built: BuiltProject, tmp_path: Path) -> None:
    with open_project(built.path) as project:
        answers = add_demo_decision(project, today=TODAY)
        assert answers.calls_per_day == 8000 and answers.wants("narrow_high_volume")
        assert load_saved_answers(project) == answers
        report = load_report(project)
    assert report is not None and report["today"] == TODAY.isoformat()
    assert report["answers"]["calls_per_day"] == 8000
    # a demo without any data still gets its answers (and a report of what is missing)
    with new_project(tmp_path / "bare.studio") as project:
        add_demo_decision(project, today=TODAY, with_report=False)
        assert load_saved_answers(project) is not None
        assert load_report(project) is None


def test_readiness_is_read_through_the_studio_export(built: BuiltProject, tmp_path: Path) -> None:
    """Decide's token figures and validation come from the export Export writes."""
    from studio.core.export import export_dataset

    with open_project(built.path) as project:
        ev = gather_evidence(
            project,
            today=TODAY,
            current_model="gpt-4.1",
            candidate_model="gpt-4.1-mini",
            check_duplicates=False,
        )
        result = export_dataset(
            project,
            "banking-demo",
            "openai-chat",
            "banking-intent@2",
            tmp_path,
            splits=("train",),
            model="gpt-4.1-mini",
        )
    assert result.ok
    train = result.files[0]
    assert train.report is not None
    lines = train.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == built.train_texts == ev.approved_examples
    tokens = train.report.stats["tokens"]
    assert ev.tokens_mean_per_example == tokens["mean"]
    assert ev.tokens_p95_per_example == tokens["p95"]
    assert ev.validation_errors == 0


def test_readiness_checks_the_prompt_schema_like_the_export(built: BuiltProject) -> None:
    """A best prompt with a response_schema: bare-label answers are errors, as the export
    would refuse them (one per training example, counted here by hand)."""
    from studio.core.prompts.service import get_version, save_version

    schema = {
        "type": "object",
        "properties": {"intent": {"type": "string"}},
        "required": ["intent"],
    }
    with open_project(built.path) as project:
        v2 = get_version(project, "banking-intent", 2).spec
        save_version(
            project, "banking-intent", replace(v2, response_schema=schema), "JSON answers", "alice"
        )
    # the measured runs now stand for version 3 (same messages, with a schema)
    with other_connection(built.path) as con:
        con.execute(
            "UPDATE eval_variant SET prompt_version_id = (SELECT MAX(id) FROM "
            "prompt_version) WHERE label LIKE 'banking-intent@2%'"
        )
    with open_project(built.path) as project:
        ev = gather_evidence(project, today=TODAY, current_model="gpt-4.1", check_duplicates=False)
    assert ev.best_prompt == "banking-intent@3"
    assert ev.validation_errors == built.train_texts
    assert "and its response_schema" in ev.provenance["validation_errors"]
    assert (
        f"{built.train_texts} answers do not fit the response_schema"
        in ev.provenance["validation_errors"]
    )
    assert "output template" in ev.provenance["validation_errors"]
