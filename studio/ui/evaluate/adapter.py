"""Thin reads the Evaluate view needs that the evals service does not (yet) offer.

Run on the database thread only. Each function returns plain frozen dataclasses.

* :func:`run_meta`: a stored run's dataset id, provider (no key) and a :class:`RunSpec`
  that re-creates it (for "Re-run", which is then served from the response cache).
* :func:`pending_review_pairs`: every blind pair still to review, in order, so the
  reviewer can Skip (the service's ``next_review_pair`` always returns the first).
* :func:`review_counts`: reviewed / total for "12 of 120 reviewed".
* :func:`runs_with_verdicts`: the past-runs list with n and the verdict sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import text

from studio.core.errors import NotFoundError
from studio.core.evals import service
from studio.core.evals.preferences import ReviewPair, shown_left_for
from studio.core.evals.workitems import input_preview
from studio.core.llm.providers import ProviderConfig

if TYPE_CHECKING:
    from studio.core.db.project import Project


@dataclass(frozen=True)
class RunMeta:
    """What the view needs to act on a stored run."""

    run_id: int
    dataset_id: int | None
    dataset: str
    status: str
    provider: ProviderConfig | None
    spec: service.RunSpec | None


def run_meta(project: Project, run_id: int) -> RunMeta:
    """The run's dataset, provider and a spec that re-creates it (None when a version or the
    dataset was deleted)."""
    with project.engine.connect() as conn:
        row = conn.execute(
            text("SELECT r.dataset_id, coalesce(d.name, ''), r.status, r.provider_json, "
                 "r.split, r.scorer, r.scorer_config_json, r.concurrency, r.name "
                 "FROM eval_run r LEFT JOIN dataset d ON d.id = r.dataset_id WHERE r.id = :r"),
            {"r": run_id},
        ).first()
        if row is None:
            raise NotFoundError(f"There is no run with id {run_id}.", where=f"run {run_id}")
        variants = conn.execute(
            text("SELECT p.name, pv.version, v.model, v.params_json FROM eval_variant v "
                 "LEFT JOIN prompt_version pv ON pv.id = v.prompt_version_id "
                 "LEFT JOIN prompt p ON p.id = pv.prompt_id WHERE v.run_id = :r "
                 "ORDER BY v.position"),
            {"r": run_id},
        ).all()
    provider: ProviderConfig | None
    try:
        provider = ProviderConfig.from_dict(orjson.loads(row[3] or "{}"))
    except Exception:  # an older or damaged row: the run can still be shown
        provider = None
    spec: service.RunSpec | None = None
    if provider is not None and row[0] is not None and all(v[0] for v in variants):
        spec = service.RunSpec(
            dataset=int(row[0]),
            variants=[
                service.VariantSpec(f"{v[0]}@{v[1]}", v[2] or None,
                                    orjson.loads(v[3] or "{}"))
                for v in variants
            ],
            provider=provider,
            split=str(row[4]),
            scorer=str(row[5]),
            scorer_config=orjson.loads(row[6] or "{}"),
            concurrency=int(row[7]),
        )
    return RunMeta(run_id, None if row[0] is None else int(row[0]), str(row[1]), str(row[2]),
                   provider, spec)


def pending_review_pairs(project: Project, run_id: int, rater: str = "") -> list[ReviewPair]:
    """Every pair of differing answers (first two variants) ``rater`` has not judged."""
    with project.engine.connect() as conn:
        ids = [int(r[0]) for r in conn.execute(
            text("SELECT id FROM eval_variant WHERE run_id = :r ORDER BY position"),
            {"r": run_id}).all()]
        if len(ids) < 2:
            return []
        a, b = ids[0], ids[1]
        rows = conn.execute(
            text(
                "SELECT ra.example_id, ra.output, rb.output FROM eval_result ra "
                "JOIN eval_result rb ON rb.example_id = ra.example_id AND rb.variant_id = :b "
                "WHERE ra.variant_id = :a AND ra.error IS NULL AND rb.error IS NULL "
                "AND ra.output IS NOT NULL AND rb.output IS NOT NULL AND ra.output != rb.output "
                "AND NOT EXISTS (SELECT 1 FROM preference p WHERE p.run_id = :r AND "
                "p.example_id = ra.example_id AND p.source = 'human' AND p.rater = :who) "
                "ORDER BY ra.example_id"
            ),
            {"a": a, "b": b, "r": run_id, "who": rater},
        ).all()
    examples = {e.id: e for e in service.load_examples(project, [int(r[0]) for r in rows])}
    out: list[ReviewPair] = []
    for i, (example_id, out_a, out_b) in enumerate(rows):
        example = examples.get(int(example_id))
        left = shown_left_for(run_id, int(example_id))
        out.append(ReviewPair(
            run_id=run_id, example_id=int(example_id),
            input_preview=input_preview(example, 2000) if example else "(deleted example)",
            ideal=(example.label or example.ideal_output) if example else None,
            left=str(out_a if left == "a" else out_b),
            right=str(out_b if left == "a" else out_a),
            variant_a_id=a, variant_b_id=b, shown_left=left, remaining=len(rows) - i - 1,
        ))
    return out


def review_counts(project: Project, run_id: int, rater: str = "") -> int:
    """How many human preferences ``rater`` stored for this run."""
    with project.engine.connect() as conn:
        return int(conn.execute(
            text("SELECT count(*) FROM preference WHERE run_id = :r AND source = 'human' "
                 "AND rater = :who"), {"r": run_id, "who": rater}).scalar_one())


@dataclass(frozen=True)
class RunListEntry:
    """A row of the past-runs list."""

    info: service.RunInfo
    n: int | None
    verdict: str


def runs_with_verdicts(project: Project, limit: int = 200) -> list[RunListEntry]:
    """Past runs, newest first, with n and the verdict of finished ones."""
    out: list[RunListEntry] = []
    for info in service.list_runs(project)[:limit]:
        n: int | None = None
        verdict = ""
        if info.status in ("completed", "cancelled", "failed"):
            try:
                summary = service.run_summary(project, info.id)
            except Exception as exc:  # one damaged run must not hide the others
                verdict = f"(summary unavailable: {exc})"
            else:
                n = summary.n
                verdict = (summary.failed_reason or summary.verdict_text
                           if info.status == "failed" else summary.verdict_text)
        out.append(RunListEntry(info, n, verdict))
    return out


def run_label(info: Any) -> str:
    """A short title for a run in lists and compare headers."""
    return f"#{info.id} {info.name}"
