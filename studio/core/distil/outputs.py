"""Teacher outputs for real inputs: a distil run on the A/B runner (ISSUE 13 §1).

API
---
``plan_outputs(project, spec: OutputsSpec) -> OutputsPlan``
    Before any call: which rows get a candidate, which are skipped and why, the number of
    calls, how many are cached and the cost estimate.
``create_outputs_run(project, spec) -> run_id``
    Stores an ``eval_run`` of kind ``"distil"`` with one ``eval_variant`` per sample (K
    samples = K variants of the same version; each variant's position is its requests'
    repeat index, so each sample has its own cache key).
``execute_outputs_run(project, run_id, *, key, ...) -> OutputsOutcome``
    Runs (or resumes) it through :func:`studio.core.evals.run_execute.execute_run`, so
    progress, cancel, the silent-server stop rule, the run's OS lock, resume (only the
    missing calls are sent) and the response cache (a re-run makes 0 calls) are those of
    A/B runs; then writes one ``candidate`` per row whose samples are all answered (all
    rows once the run completes): :mod:`.outputs_answers`.

Selection (:mod:`.outputs_select`): rows with an approved ideal output are never asked
(never overwritten), test-split rows only with ``include_test``, and rows with a pending
(or rejected) candidate of the same version and model are skipped; each reason counted.
With ``spec.audit = N``, N rows that have an approved human ideal are asked too and their
answers stored as ``audit`` candidates, to measure the teacher (:mod:`.outputs_audit`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from studio.core.distil.outputs_spec import OutputsOutcome, OutputsPlan, OutputsSpec
from studio.core.errors import UserError
from studio.core.evals.calls import RunProgress
from studio.core.evals.limits import RunLimits
from studio.core.progress import CancelToken

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from studio.core.db.project import Project

__all__ = [
    "OutputsOutcome",
    "OutputsPlan",
    "OutputsSpec",
    "create_outputs_run",
    "execute_outputs_run",
    "plan_outputs",
]


def plan_outputs(project: Project, spec: OutputsSpec) -> OutputsPlan:
    """The plan shown before any call: rows, skipped rows by reason, calls, cost.

    Raises:
        UserError: an unknown dataset or prompt version, no model, bad samples,
            temperature or concurrency (``where`` names the field).
    """
    from studio.core.distil.outputs_select import estimate, resolve

    resolved = resolve(project, spec)
    n_cached, cost, note = estimate(project, spec.provider, resolved)
    return OutputsPlan(
        rows=len(resolved.example_ids),
        skipped=dict(resolved.skipped),
        n_calls=len(resolved.asked_ids) * spec.samples,
        n_cached=n_cached,
        cost_usd=cost,
        price_note=note,
        example_ids=list(resolved.example_ids),
        audit_rows=len(resolved.audit_ids),
        audit_ids=list(resolved.audit_ids),
        audit_note=resolved.audit_note,
    )


def create_outputs_run(project: Project, spec: OutputsSpec) -> int:
    """Validate and store a distil run (status ``pending``); see the module docstring.

    Raises:
        UserError: as :func:`plan_outputs`, or no row needs a teacher output.
    """
    from studio.core.distil.outputs_select import resolve, store_run

    resolved = resolve(project, spec)
    if not resolved.asked_ids:
        skipped = ", ".join(f"{n} {reason}" for reason, n in resolved.skipped.items())
        raise UserError(
            "No selected row needs a teacher output"
            + (f" (skipped: {skipped})." if skipped else "."),
            where="dataset",
        )
    return store_run(project, spec, resolved)


def execute_outputs_run(
    project: Project,
    run_id: int,
    *,
    key: str | None,
    progress: Callable[[RunProgress], None] | None = None,
    cancel: CancelToken | None = None,
    cache: bool = True,
    client_factory: Callable[[], AsyncOpenAI] | None = None,
    limits: RunLimits | None = None,
    join: bool = False,
) -> OutputsOutcome:
    """Run or resume a distil run and write its candidates. Blocks: use a worker thread.

    ``key`` is used for this call only (never stored). Raises :class:`UserError` for a run
    that is not a distil run or is executing elsewhere (unless ``join``: this process
    then helps finish it, :mod:`studio.core.evals.run_claims`).
    """
    from studio.core.distil.outputs_store import run_kind, write_candidates
    from studio.core.evals.run_execute import execute_run

    if run_kind(project, run_id) != "distil":
        raise UserError(f"Run {run_id} is not a distil run.", where=f"run {run_id}")
    outcome = execute_run(
        project,
        run_id,
        key=key,
        progress=progress,
        cancel=cancel,
        cache=cache,
        client_factory=client_factory,
        limits=limits,
        join=join,
    )
    counts = write_candidates(project, run_id, final=outcome.completed)
    return OutputsOutcome(
        run_id=run_id,
        rows=counts.rows,
        stored=counts.stored,
        failed=counts.failed,
        skipped=counts.skipped,
        calls=outcome.calls_made,
        cost_usd=counts.cost_usd,
        cancelled=outcome.cancelled,
        failed_reason=outcome.failed_reason,
        stop_kind=outcome.stop_kind,
        pending=outcome.pending,
        audit=counts.audit,
    )
