"""Reads behind the Evaluate screen: a stored run's settings, the review queue, run lists.

Every function takes an open :class:`~studio.core.db.project.Project` and returns plain
frozen dataclasses (safe to hand to the GUI thread).

``run_meta(project, run_id) -> RunMeta(run_id, dataset_id, dataset, status, provider,
spec)``
    The run's dataset, provider settings (never a key) and a :class:`RunSpec` that
    re-creates it ("Re-run", then served from the response cache); ``spec`` is None when
    a prompt version or the dataset was deleted or the stored provider cannot be read.
``pending_review_pairs(project, run_id, rater="") -> [ReviewPair]``
    Every blind pair ``rater`` has still to judge, in example order, so a reviewer can
    Skip (``next_review_pair`` always gives the first). Same pairs, same sides.
``review_counts(project, run_id, rater="") -> int``
    How many human preferences ``rater`` stored for the run ("12 of 120 reviewed").
``runs_with_verdicts(project, limit=200) -> [RunListEntry(info, n, verdict)]``
    Past runs, newest first, with n and the verdict sentence of finished runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import text

from studio.core.db.transactions import read_conn
from studio.core.errors import NotFoundError
from studio.core.evals.preferences import ReviewPair, candidate_outputs, review_pair
from studio.core.evals.run_results import run_summary
from studio.core.evals.run_setup import RunSpec, VariantSpec
from studio.core.evals.run_store import RunInfo, list_runs, load_examples
from studio.core.llm.providers import ProviderConfig

if TYPE_CHECKING:
    from studio.core.db.project import Project

REVIEW_PREVIEW_CHARS = 2000
"""Input shown in the review queue (longer than a table cell: the reviewer reads it)."""

__all__ = [
    "REVIEW_PREVIEW_CHARS",
    "RunListEntry",
    "RunMeta",
    "pending_review_pairs",
    "review_counts",
    "run_meta",
    "runs_with_verdicts",
]


@dataclass(frozen=True)
class RunMeta:
    """What the Evaluate screen needs to act on a stored run."""

    run_id: int
    dataset_id: int | None
    dataset: str
    status: str
    provider: ProviderConfig | None
    spec: RunSpec | None


def run_meta(project: Project, run_id: int) -> RunMeta:
    """The run's dataset, provider and a spec that re-creates it.

    Raises:
        NotFoundError: no run with that id.
    """
    with read_conn(project) as conn:
        row = conn.execute(
            text(
                # Same shape as run_store.run_row's read (duplicates report): other columns, and
                # the variants query below reads in the same connection.
                "SELECT r.dataset_id, coalesce(d.name, ''), r.status, r.provider_json, "
                "r.split, r.scorer, r.scorer_config_json, r.concurrency, r.summary_json "
                "FROM eval_run r LEFT JOIN dataset d ON d.id = r.dataset_id WHERE r.id = :r"
            ),
            {"r": run_id},
        ).first()
        if row is None:
            raise NotFoundError(f"There is no run with id {run_id}.", where=f"run {run_id}")
        variants = conn.execute(
            text(
                "SELECT p.name, pv.version, v.model, v.params_json FROM eval_variant v "
                "LEFT JOIN prompt_version pv ON pv.id = v.prompt_version_id "
                "LEFT JOIN prompt p ON p.id = pv.prompt_id WHERE v.run_id = :r "
                "ORDER BY v.position"
            ),
            {"r": run_id},
        ).all()
    provider: ProviderConfig | None
    try:
        provider = ProviderConfig.from_dict(orjson.loads(row[3] or "{}"))
    except Exception:  # an older or damaged row: the run can still be shown, not re-run
        provider = None
    spec: RunSpec | None = None
    if provider is not None and row[0] is not None and variants and all(v[0] for v in variants):
        from studio.core.evals.limits import RunLimits

        try:
            plan = orjson.loads(row[8] or "{}")
        except orjson.JSONDecodeError:
            plan = {}
        stored_limits = plan.get("limits") if isinstance(plan, dict) else None
        spec = RunSpec(
            dataset=int(row[0]),
            variants=[
                VariantSpec(f"{v[0]}@{v[1]}", v[2] or None, orjson.loads(v[3] or "{}"))
                for v in variants
            ],
            provider=provider,
            split=str(row[4]),
            scorer=str(row[5]),
            scorer_config=orjson.loads(row[6] or "{}"),
            concurrency=int(row[7]),
            # a re-run keeps the run's time limits
            limits=RunLimits.from_json(stored_limits) if stored_limits is not None else None,
        )
    return RunMeta(
        run_id=run_id,
        dataset_id=None if row[0] is None else int(row[0]),
        dataset=str(row[1]),
        status=str(row[2]),
        provider=provider,
        spec=spec,
    )


def _variant_ids(project: Project, run_id: int) -> list[int]:
    with read_conn(project) as conn:
        rows = conn.execute(
            text("SELECT id FROM eval_variant WHERE run_id = :r ORDER BY position"),
            {"r": run_id},
        ).all()
    return [int(r[0]) for r in rows]


def pending_review_pairs(
    project: Project,
    run_id: int,
    rater: str = "",
    *,
    preview_chars: int = REVIEW_PREVIEW_CHARS,
) -> list[ReviewPair]:
    """Every pair of differing answers (first two variants) ``rater`` has not judged.

    The first item is what :func:`~studio.core.evals.preferences.next_review_pair`
    returns; the sides are the same stable coin flips. A run with fewer than two
    variants (or no run) has nothing to review: ``[]``.
    """
    ids = _variant_ids(project, run_id)
    if len(ids) < 2:
        return []
    a, b = ids[0], ids[1]
    todo = candidate_outputs(project, run_id, a, b, rater)
    examples = {e.id: e for e in load_examples(project, [t[0] for t in todo])}
    return [
        review_pair(
            run_id,
            example_id,
            out_a,
            out_b,
            a=a,
            b=b,
            example=examples.get(example_id),
            remaining=len(todo) - i - 1,
            rater=rater,
            preview_chars=preview_chars,
        )
        for i, (example_id, out_a, out_b) in enumerate(todo)
    ]


def review_counts(project: Project, run_id: int, rater: str = "") -> int:
    """How many human preferences ``rater`` stored for this run."""
    with read_conn(project) as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM preference WHERE run_id = :r AND source = 'human' "
                    "AND rater = :who"
                ),
                {"r": run_id, "who": rater},
            ).scalar_one()
        )


@dataclass(frozen=True)
class RunListEntry:
    """A row of the past-runs list: the run, its n and its verdict sentence."""

    info: RunInfo
    n: int | None
    verdict: str


FINISHED = ("completed", "cancelled", "failed", "interrupted")


def runs_with_verdicts(project: Project, limit: int = 200) -> list[RunListEntry]:
    """Past runs, newest first, with n and the verdict of finished ones.

    A run whose summary cannot be computed shows why instead of hiding the others.
    """
    out: list[RunListEntry] = []
    for info in list_runs(project)[:limit]:
        n: int | None = None
        verdict = ""
        if info.kind == "distil":
            # Teacher outputs for a training set, not a comparison: no A/B verdict
            verdict = f"Distil: teacher outputs ({info.n_results} answers)"
        elif info.status in FINISHED:
            try:
                summary = run_summary(project, info.id)
            except Exception as exc:  # one damaged run must not hide the others
                verdict = f"(summary unavailable: {exc})"
            else:
                n = summary.n
                verdict = summary.verdict_text
                if info.status == "failed":
                    verdict = summary.failed_reason or summary.verdict_text
                elif info.status == "interrupted":
                    verdict = (
                        "Interrupted: the process running it stopped. Resume to "
                        "finish; answered calls are not repeated."
                    )
        out.append(RunListEntry(info, n, verdict))
    return out
