"""The runs Decide reads: completed test-split runs of a dataset, the best variant, the A/B
across models, each with a provenance sentence a reader can check in the app.

Every figure comes from the evals' own summary
(:func:`studio.core.evals.run_results.run_summary`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import text

from studio.core.db.project import Project
from studio.core.db.transactions import read_conn
from studio.core.errors import UserError
from studio.core.evals.run_results import run_summary
from studio.core.evals.summary import VariantSummary
from studio.core.tokens.counting import strip_snapshot
from studio.core.tokens.prices import PriceTable

#: A run older than this many days gets its age written into the provenance.
STALE_RUN_DAYS = 30


# --------------------------------------------------------------------------- run data


@dataclass
class VariantStats:
    """One side of a completed test-split run: its figures from the run's summary."""

    run_id: int
    run_name: str
    run_date: date | None
    recorded_note: str
    variant_id: int
    position: int
    label: str
    model: str
    prompt_version_id: int | None
    prompt_name: str | None
    prompt_version: int | None
    summary: VariantSummary | None = None
    outcomes: dict[int, float] = field(default_factory=dict)  # example id -> 0..1, answered

    @property
    def n(self) -> int:
        """Scored answers (failed calls are not counted)."""
        return self.summary.answered if self.summary is not None else 0

    @property
    def errors(self) -> int:
        """Calls that failed (no answer)."""
        return self.summary.errors if self.summary is not None else 0

    @property
    def score(self) -> float:
        """The summary's score (the pass rate for pass/fail scorers)."""
        if self.summary is None or self.summary.score is None:
            return 0.0
        return self.summary.score

    @property
    def binary(self) -> bool:
        """Every outcome is a pass or a fail (McNemar applies)."""
        return all(v in (0.0, 1.0) for v in self.outcomes.values())

    def interval(self) -> tuple[float, float]:
        """The summary's 95 % interval of the score (Wilson for pass/fail)."""
        if self.summary is None or self.summary.ci95 is None:
            return (0.0, 1.0)
        return self.summary.ci95

    @property
    def calls(self) -> int:
        """Answered calls (scored or not): what tokens and cost are summed over."""
        return self.summary.answered + self.summary.unscored if self.summary else 0

    @property
    def ref(self) -> str:
        """``NAME@VERSION`` when the prompt version is known, else the variant's label."""
        if self.prompt_name is not None and self.prompt_version is not None:
            return f"{self.prompt_name}@{self.prompt_version}"
        return self.label or f"variant {self.position + 1}"


@dataclass
class RunEvidence:
    id: int
    name: str
    when: date | None
    note: str
    variants: list[VariantStats]


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        return None


def _same_model(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return a == b or strip_snapshot(a) == strip_snapshot(b)


def load_runs(project: Project, dataset_id: int) -> list[RunEvidence]:
    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT id, name, COALESCE(finished_at, started_at, created_at), recorded_note "
                "FROM eval_run WHERE dataset_id = :ds AND split = 'test' "
                "AND status = 'completed' AND kind = 'ab' ORDER BY id"
            ),
            {"ds": dataset_id},
        ).all()
        runs = {
            int(r[0]): RunEvidence(int(r[0]), r[1] or "", _as_date(r[2]), r[3] or "", [])
            for r in rows
        }
        if not runs:
            return []
        ids = ",".join(str(i) for i in runs)  # integers from the database: safe to inline
        by_variant: dict[int, VariantStats] = {}
        for v in conn.execute(
            text(
                "SELECT v.id, v.run_id, v.position, v.label, v.model, v.prompt_version_id, "
                "p.name, pv.version FROM eval_variant v "
                "LEFT JOIN prompt_version pv ON pv.id = v.prompt_version_id "
                f"LEFT JOIN prompt p ON p.id = pv.prompt_id WHERE v.run_id IN ({ids}) "
                "ORDER BY v.run_id, v.position"
            )
        ).all():
            run = runs[int(v[1])]
            stats = VariantStats(
                run_id=run.id,
                run_name=run.name,
                run_date=run.when,
                recorded_note=run.note,
                variant_id=int(v[0]),
                position=int(v[2]),
                label=v[3] or "",
                model=v[4] or "",
                prompt_version_id=v[5],
                prompt_name=v[6],
                prompt_version=v[7],
            )
            run.variants.append(stats)
            by_variant[stats.variant_id] = stats
        # Per-example outcomes pair two variants for McNemar; the summary's rule: a
        # failed call is no answer, a pass/fail is 1/0, else the score.
        for r in conn.execute(
            text(
                "SELECT variant_id, example_id, passed, score FROM eval_result "
                f"WHERE run_id IN ({ids}) AND error IS NULL"
            )
        ).all():
            vs = by_variant.get(int(r[0]))
            if vs is None or (r[2] is None and r[3] is None):
                continue
            vs.outcomes[int(r[1])] = (
                (1.0 if r[2] else 0.0) if r[2] is not None else min(1.0, max(0.0, float(r[3])))
            )
    for run in runs.values():
        try:
            summary = run_summary(project, run.id)
        except UserError:  # a run the evals cannot summarise is no evidence
            run.variants = []
            continue
        by_id = {v.variant_id: v for v in summary.variants}
        for stats in run.variants:
            stats.summary = by_id.get(stats.variant_id)
    return [run for run in runs.values() if run.variants]


def describe_run(run_id: int, variants: Sequence[VariantStats], today: date) -> str:
    """``eval run #3 (banking-intent@4 vs @2 on gpt-4.1-mini, test split, 2026-11-20)``."""
    if not variants:
        return f"eval run #{run_id}"
    first = variants[0]
    names = {v.prompt_name for v in variants}
    models = {v.model for v in variants}
    parts: list[str] = []
    for i, v in enumerate(variants):
        ref = v.ref
        if i > 0 and len(names) == 1 and v.prompt_name and v.prompt_version is not None:
            ref = f"@{v.prompt_version}"
        parts.append(ref if len(models) == 1 else f"{ref} on {v.model}")
    what = " vs ".join(parts)
    if len(models) == 1:
        what += f" on {first.model}"
    bits = [what, "test split"]
    if first.run_date is not None:
        stamp = first.run_date.isoformat()
        age = (today - first.run_date).days
        if age > STALE_RUN_DAYS:
            stamp += f", {age} days ago"
        bits.append(stamp)
    if first.recorded_note:
        bits.append(first.recorded_note)
    return f"eval run #{run_id} ({', '.join(bits)})"


# --------------------------------------------------------------------------- choices


def choose_best(
    runs: Sequence[RunEvidence],
    current_model: str | None = None,
    candidate_model: str | None = None,
) -> VariantStats | None:
    """The variant with the best lower 95 % bound (on the current model when named)."""
    pool = [v for run in runs for v in run.variants if v.n > 0]
    if current_model:
        on_current = [v for v in pool if _same_model(v.model, current_model)]
        pool = on_current or pool
    elif candidate_model:
        not_candidate = [v for v in pool if not _same_model(v.model, candidate_model)]
        pool = not_candidate or pool
    if not pool:
        return None
    return max(pool, key=lambda v: (v.interval()[0], v.score, v.n, v.run_id))


def _price_per_call(prices: PriceTable | None, model: str) -> float | None:
    """A rough per-call price (1,000 in + 100 out tokens) to rank models by cost."""
    if prices is None:
        return None
    entry = prices.get(model) or prices.get(strip_snapshot(model))
    if entry is None or entry.input_per_1m is None or entry.output_per_1m is None:
        return None
    return entry.input_per_1m * 1000 + entry.output_per_1m * 100


def choose_ab(
    runs: Sequence[RunEvidence],
    best: VariantStats,
    candidate_model: str | None,
    prices: PriceTable | None,
) -> tuple[RunEvidence, VariantStats, VariantStats] | None:
    """A run with the same prompt version on the best variant's model and a cheaper one.

    Returns (run, big side, candidate side). With a named candidate model only that
    model counts; otherwise any model the price table shows as cheaper (or unpriced).
    """
    found: list[tuple[tuple[int, int, int], RunEvidence, VariantStats, VariantStats]] = []
    for run in runs:
        for a in run.variants:
            if a.prompt_version_id is None or not _same_model(a.model, best.model):
                continue
            for b in run.variants:
                if b is a or b.prompt_version_id != a.prompt_version_id or b.n == 0:
                    continue
                if _same_model(a.model, b.model):
                    continue
                if candidate_model:
                    if not _same_model(b.model, candidate_model):
                        continue
                else:
                    pa, pb = _price_per_call(prices, a.model), _price_per_call(prices, b.model)
                    if pa is not None and pb is not None and pb >= pa:
                        continue
                rank = (int(a.prompt_version_id == best.prompt_version_id), a.n, run.id)
                found.append((rank, run, a, b))
    if not found:
        return None
    _, run, a, b = max(found, key=lambda f: f[0])
    return run, a, b
