"""The judge of a distil run, and which judges gave a set of scores.

A distil run started with a judge (``studio distil outputs --judge NAME@VERSION``, or a
judge chosen in the app's teacher dialog) stores it in its plan
(``plan["distil"]["judge"]``, resolved to ``NAME@N`` when the run was created, so a
label moved later does not change the judge). :func:`judge_run` scores the run's
pending candidates with that judge; ``distil outputs`` calls it after the teacher's
calls and ``studio runs resume`` (and Resume in the app) after the resumed ones, so a
resumed run is judged like one that never stopped. Candidates judged before the
interruption are asked again from the response cache: 0 calls.

:func:`judge_mix` counts scores by the judge that gave them, for the warning when
``accept --min-judge`` compares scores of different judges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from sqlalchemy import text

from studio.core.db.transactions import read_conn
from studio.core.distil.judging import JudgeOutcome, judge_candidates
from studio.core.evals.calls import RunProgress
from studio.core.evals.limits import RunLimits
from studio.core.evals.run_store import plan_of, run_row
from studio.core.llm.providers import ProviderConfig
from studio.core.progress import CancelToken

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from studio.core.db.project import Project

NOT_RECORDED = "judge not recorded"


def run_judge_ref(project: Project, run_id: int) -> str | None:
    """The judge stored with the distil run (``NAME@N``), or None (no judge asked).

    Raises:
        NotFoundError: no such run.
    """
    distil = plan_of(run_row(project, run_id)).get("distil") or {}
    ref = distil.get("judge") if isinstance(distil, dict) else None
    return str(ref) if ref else None


def run_pending_candidates(project: Project, run_id: int) -> list[int]:
    """The ids of the run's pending candidates (what its judge scores), oldest first."""
    with read_conn(project) as conn:
        rows = conn.execute(
            text("SELECT id FROM candidate WHERE run_id = :r AND status = 'pending' ORDER BY id"),
            {"r": run_id},
        ).all()
    return [int(r[0]) for r in rows]


def judge_run(
    project: Project,
    run_id: int,
    *,
    provider: ProviderConfig,
    key: str | None,
    progress: Callable[[RunProgress], None] | None = None,
    cancel: CancelToken | None = None,
    concurrency: int | None = None,
    limits: RunLimits | None = None,
    client_factory: Callable[[], AsyncOpenAI] | None = None,
    cache: bool = True,
) -> JudgeOutcome | None:
    """Score the run's pending candidates with the run's judge; None when it has none.

    ``concurrency`` defaults to the run's. Blocks: use a worker thread. Raises as
    :func:`studio.core.distil.judging.judge_candidates` (a judge prompt deleted since
    the run was created: NotFoundError).
    """
    ref = run_judge_ref(project, run_id)
    if ref is None:
        return None
    row = run_row(project, run_id)
    return judge_candidates(
        project,
        int(row.dataset_id),
        ref,
        provider=provider,
        key=key,
        candidate_ids=run_pending_candidates(project, run_id),
        progress=progress,
        cancel=cancel,
        client_factory=client_factory,
        concurrency=int(concurrency or row.concurrency or 8),
        limits=limits,
        cache=cache,
    )


def judge_name(ref: str | None, model: str | None) -> str:
    """``"grader@2 (model)"``; :data:`NOT_RECORDED` for a score without a judge."""
    if not ref:
        return NOT_RECORDED
    return f"{ref} ({model})" if model else ref


def judge_mix(judges: Iterable[tuple[str | None, str | None]]) -> dict[str, int]:
    """How many scores each judge gave: ``judge_name`` -> count, most first.

    More than one key means the scores come from different judges (or some from an
    unrecorded one) and are not on one scale.
    """
    counts: dict[str, int] = {}
    for ref, model in judges:
        name = judge_name(ref, model)
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def mixed_judges_sentence(mix: dict[str, int], what: str = "scores") -> str:
    """One sentence naming the judges and their counts ("" when one judge or none)."""
    if len(mix) < 2:
        return ""
    parts = ", ".join(f"{n:,} by {name}" for name, n in mix.items())
    return (
        f"The {what} come from {len(mix)} different judges ({parts}); a score from one "
        "judge is not on the same scale as another's."
    )
