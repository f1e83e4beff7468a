"""A run's results read back: its summary, the case table, re-scoring and comparing runs.

API
---
``run_summary(project, run_id) -> RunSummary`` (:mod:`.summary`; ``to_json()``;
    ``to_cli_json()`` is the ``studio ab --json`` document).
``case_rows(project, run_id, filter="all"|"disagreements"|"regressions"|"errors")
-> [CaseRow(example_id, input_preview, ideal, outputs, passed, errors, details, fields)]``
    keyed by variant label ("NAME@VERSION"); ``fields`` is json-equal's per-field
    agreement of each answer.
``rescore_run(project, run_id) -> RunSummary``
    After a label fix: re-scores stored answers with the current ideal outputs; no calls.
``compare_runs(project, run_ids) -> RunsComparison`` past runs side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import orjson
from sqlalchemy import text

from studio.core.db.transactions import read_conn, write_tx
from studio.core.errors import UserError, ValidationError
from studio.core.evals.run_scoring import RunScorer
from studio.core.evals.run_store import (
    effective_status,
    load_examples,
    plan_of,
    run_row,
    scorer_for,
    store_plan,
    variant_rows,
)
from studio.core.evals.store import Scored
from studio.core.evals.summary import PreferenceRow, ResultRow, RunSummary, VariantMeta
from studio.core.evals.summary_compute import summarise
from studio.core.evals.workitems import input_preview

if TYPE_CHECKING:
    from studio.core.db.project import Project

CaseFilter = Literal["all", "disagreements", "regressions", "errors"]


@dataclass(frozen=True)
class CaseRow:
    """One example across the variants (keys of the dicts are variant labels)."""

    example_id: int
    input_preview: str
    ideal: str | None
    outputs: dict[str, str | None]
    passed: dict[str, bool | None]
    errors: dict[str, str | None]
    details: dict[str, str] = field(default_factory=dict)
    fields: dict[str, dict[str, bool]] = field(default_factory=dict)  # json-equal, per variant


@dataclass(frozen=True)
class RunsComparison:
    """Past runs side by side: one row per (run, variant)."""

    summaries: list[RunSummary]
    rows: list[dict[str, Any]]


def _result_rows(project: Project, run_id: int, scorer: RunScorer) -> list[ResultRow]:
    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT variant_id, example_id, output, error, passed, score, latency_ms, "
                "tokens_in, tokens_out, cost_usd, cached, attempts FROM eval_result "
                "WHERE run_id = :r"
            ),
            {"r": run_id},
        ).all()
    labelled = scorer.name == "label"
    # Per-field agreement and exact/lenient label counts are recomputed from the stored
    # answers (cheap, and always in step with the current ideals after a re-score).
    return [
        ResultRow(
            variant_id=int(r[0]),
            example_id=int(r[1]),
            output=r[2],
            error=r[3],
            passed=None if r[4] is None else bool(r[4]),
            score=r[5],
            latency_ms=r[6],
            tokens_in=r[7],
            tokens_out=r[8],
            cost_usd=r[9],
            cached=bool(r[10]),
            attempts=int(r[11]),
            predicted_label=scorer.predicted_label(r[2]) if labelled and r[3] is None else None,
            fields=scorer.fields(int(r[1]), r[2]) if r[3] is None else None,
            label_match=scorer.label_match(int(r[1]), r[2]) if r[3] is None else None,
        )
        for r in rows
    ]


# This read pairs by shape with other one-query reads (evals/preferences.answered_outputs,
# demo/run._labels_by_text, decide/run_evidence.load_runs, case rows below):
# SQL over different tables and columns (duplicates report); kept apart.
def _preference_rows(project: Project, run_id: int) -> list[PreferenceRow]:
    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT example_id, variant_a_id, variant_b_id, choice, source FROM preference "
                "WHERE run_id = :r"
            ),
            {"r": run_id},
        ).all()
    return [PreferenceRow(int(r[0]), int(r[1]), int(r[2]), str(r[3]), str(r[4])) for r in rows]


def run_summary(project: Project, run_id: int) -> RunSummary:
    """The run's summary, computed from the stored results (see :mod:`.summary`)."""
    row = run_row(project, run_id)
    plan = plan_of(row)
    example_ids = [int(i) for i in plan.get("example_ids", [])]
    examples = load_examples(project, example_ids)
    existing = {e.id for e in examples}
    example_ids = [i for i in example_ids if i in existing]
    scorer = scorer_for(project, row, examples)
    metas = [
        VariantMeta(
            int(v.id),
            int(v.position),
            v.label,
            v.model,
            prompt_name=v.prompt_name,
            version=None if v.version is None else int(v.version),
        )
        for v in variant_rows(project, run_id)
    ]
    rows = [r for r in _result_rows(project, run_id, scorer) if r.example_id in existing]
    expected = {e.id: scorer.ideal(e) for e in examples} if scorer.name == "label" else None
    return summarise(
        run_id=run_id,
        name=row.name or "",
        dataset=row.dataset_name or "(deleted dataset)",
        split=row.split,
        scorer=row.scorer,
        status=effective_status(project, run_id, row.status),
        example_ids=example_ids,
        variants=metas,
        rows=rows,
        pass_fail=scorer.pass_fail,
        expected_labels=expected,
        preferences=_preference_rows(project, run_id),
        recorded_note=row.recorded_note or "",
        failed_reason=plan.get("failed_reason"),
    )


def case_rows(project: Project, run_id: int, filter: CaseFilter = "all") -> list[CaseRow]:
    """Side-by-side rows for the case table, filtered (see :class:`CaseRow`)."""
    if filter not in ("all", "disagreements", "regressions", "errors"):
        raise ValidationError(
            f"Filter {filter!r} is not one of all, disagreements, regressions, errors.",
            where="filter",
        )
    row = run_row(project, run_id)
    ids = [int(i) for i in plan_of(row).get("example_ids", [])]
    if filter != "all":
        # Only the filters need the summary's example lists (the view asks for "all")
        summary = run_summary(project, run_id)
        wanted = {
            "disagreements": summary.disagreements,
            "regressions": summary.regressions,
            "errors": summary.errors,
        }[filter]
        keep = set(wanted)
        ids = [i for i in ids if i in keep]
    examples = {e.id: e for e in load_examples(project, ids)}
    scorer = scorer_for(project, row, list(examples.values()))
    labels = {int(v.id): v.label for v in variant_rows(project, run_id)}
    with read_conn(project) as conn:
        results = conn.execute(
            text(
                "SELECT variant_id, example_id, output, tool_calls_json, error, passed, "
                "score_detail FROM eval_result WHERE run_id = :r"
            ),
            {"r": run_id},
        ).all()
    by_example: dict[int, list[Any]] = {}
    for r in results:
        by_example.setdefault(int(r[1]), []).append(r)
    out: list[CaseRow] = []
    for example_id in ids:
        example = examples.get(example_id)
        if example is None:
            continue
        outputs: dict[str, str | None] = {label: None for label in labels.values()}
        passed: dict[str, bool | None] = {label: None for label in labels.values()}
        errors: dict[str, str | None] = {label: None for label in labels.values()}
        details: dict[str, str] = {}
        fields: dict[str, dict[str, bool]] = {}
        for r in by_example.get(example_id, []):
            label = labels.get(int(r[0]))
            if label is None:
                continue
            outputs[label] = r[2] if r[2] is not None else r[3]
            passed[label] = None if r[5] is None else bool(r[5])
            errors[label] = r[4]
            details[label] = r[6] or ""
            agreement = scorer.fields(example_id, r[2]) if r[4] is None else None
            if agreement is not None:
                fields[label] = agreement
        out.append(
            CaseRow(
                example_id=example_id,
                input_preview=input_preview(example),
                ideal=scorer.ideal(example),
                outputs=outputs,
                passed=passed,
                errors=errors,
                details=details,
                fields=fields,
            )
        )
    return out


def rescore_run(project: Project, run_id: int) -> RunSummary:
    """Re-score stored answers with the examples' current ideal outputs (no calls)."""
    row = run_row(project, run_id)
    plan = plan_of(row)
    examples = load_examples(project, plan.get("example_ids", []))
    scorer = scorer_for(project, row, examples)
    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT id, example_id, output, tool_calls_json FROM eval_result "
                "WHERE run_id = :r AND error IS NULL"
            ),
            {"r": run_id},
        ).all()
    updates: list[dict[str, Any]] = []
    for r in rows:
        calls = orjson.loads(r[3]) if r[3] else None
        try:
            s = scorer.score(int(r[1]), r[2], calls)
        except UserError as exc:
            s = Scored(None, None, f"not scored: {exc.message}")
        updates.append(
            {
                "i": int(r[0]),
                "p": None if s.passed is None else bool(s.passed),
                "s": s.score,
                "d": s.detail,
            }
        )
    if updates:
        with write_tx(project) as conn:
            conn.execute(
                text(
                    "UPDATE eval_result SET passed = :p, score = :s, score_detail = :d "
                    "WHERE id = :i"
                ),
                updates,
            )
    summary = run_summary(project, run_id)
    if row.status == "completed":
        plan["summary"] = summary.to_json()
        store_plan(project, run_id, plan)
    return summary


def compare_runs(project: Project, run_ids: Sequence[int]) -> RunsComparison:
    """Several runs side by side (one row per run and variant)."""
    if not run_ids:
        raise ValidationError("Choose at least one run to compare.", where="runs")
    summaries = [run_summary(project, int(r)) for r in run_ids]
    rows: list[dict[str, Any]] = []
    for s in summaries:
        for v in s.variants:
            rows.append(
                {
                    "run_id": s.run_id,
                    "run": s.name,
                    "dataset": s.dataset,
                    "split": s.split,
                    "status": s.status,
                    "prompt": v.prompt,
                    "model": v.model,
                    "n": v.answered,
                    "score": v.score,
                    "ci95": v.ci95,
                    "errors": v.errors,
                    "latency_p50_ms": v.latency_p50_ms,
                    "cost_per_1000": v.cost_per_1000,
                    "recorded_note": s.recorded_note,
                }
            )
    return RunsComparison(summaries, rows)
