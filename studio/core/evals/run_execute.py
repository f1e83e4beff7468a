"""Executing an A/B run: sending its calls, storing and scoring answers, resuming.

API
---
``execute_run(project, run_id, *, key, progress=None, cancel=None, cache=True, ...)
-> RunOutcome(run_id, completed, cancelled, failed_reason, calls_made, cached, failed)``
    Long: call it from a worker thread; it runs its own asyncio loop. Sends the calls
    (``key`` is used for this call only: never stored, hashed, cached or logged), stores
    and scores each result as it arrives (scorers never see errors), resumes a
    crashed/cancelled/interrupted run without repeating completed calls, and sets the
    status (running -> completed / cancelled / failed). A dead server gives
    ``failed_reason`` "Server unreachable at URL ..." within a few seconds; a server that
    accepts connections but never answers, or the run deadline, stops the run by the
    limits of :mod:`.limits` (``stop_kind`` "stalled"/"deadline", unanswered calls stay
    pending). The executing process holds the run's OS lock (:mod:`.run_lock`): a
    ``running`` run whose lock is free is reported as ``interrupted``.
    ``progress`` receives :class:`~studio.core.evals.calls.RunProgress` (done, total,
    errors, cached, in flight; ``.to_progress()`` for the generic type).
    ``join=True`` helps a run that is executing elsewhere finish instead of refusing
    (``studio runs resume RUN --join``, ISSUE-14 §4).

Several processes, on one machine or (PostgreSQL) several, may execute one run together:
each is a worker with a liveness lock of its own (:mod:`.run_workers`) and sends only the
cases it claimed first in a transaction (:mod:`.run_claims`), so no case is paid for
twice; a dead worker's unfinished claims are taken over. Whoever finds every case
settled and wins the election completes the run (status, summary) once; a worker that
is cancelled, or stops on an error, while others still work leaves the run to them.

Render failures (an example lacks a variable the version uses) are stored as errors of
kind ``render`` and never sent. The judge scorer's verdicts are stored as ``judge``
preferences (:mod:`.preferences`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import text

from studio.core.db.transactions import read_conn, write_tx
from studio.core.errors import UserError
from studio.core.evals.calls import CallResult, MemorySink, RetryPolicy, RunProgress, WorkItem
from studio.core.evals.limits import RunLimits, RunStoppedError
from studio.core.evals.preferences import answered_outputs, record_preference
from studio.core.evals.run_claims import (
    RunClaims,
    begin_session,
    elect_finisher,
    run_status,
)
from studio.core.evals.run_lock import RunLock, acquire_run_lock, owner_text
from studio.core.evals.run_results import run_summary
from studio.core.evals.run_setup import price_fn
from studio.core.evals.run_store import (
    load_examples,
    plan_of,
    prepared_variants,
    run_row,
    scorer_for,
    set_status,
    store_plan,
)
from studio.core.evals.run_workers import WorkerLock, acquire_worker_lock, probe_workers
from studio.core.evals.runner import run_items
from studio.core.evals.store import ProjectCacheStore, ProjectResultSink, Scored, db_time
from studio.core.evals.workitems import (
    ExampleInput,
    PreparedVariant,
    RenderFailure,
    build_work_items,
    input_preview,
)
from studio.core.llm.errors import ServerUnreachableError
from studio.core.llm.providers import ProviderConfig
from studio.core.progress import CancelToken
from studio.core.prompts.service import resolve_ref

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from studio.core.db.project import Project

ProgressFn = Callable[[RunProgress], None]


@dataclass(frozen=True)
class RunOutcome:
    """How :func:`execute_run` ended (this execution's calls only)."""

    run_id: int
    completed: bool
    cancelled: bool
    failed_reason: str | None
    calls_made: int
    cached: int
    failed: int
    elapsed_s: float = 0.0
    stop_kind: str | None = None  # "stalled" / "deadline" when a limit stopped the run
    pending: int = 0  # calls still without an answer (a resume sends them)
    claimed: int = 0  # cases this process claimed (several processes on one run)
    taken_over: int = 0  # of which a dead worker had claimed
    finished_here: bool = False  # this process completed the run (set status and summary)


def _render_error(failure: RenderFailure) -> CallResult:
    return CallResult.failure(failure.variant_key, failure.example_id, failure.message, "render")


# Its signature pairs by shape with prompts/service.restore_version's (duplicates report,
# boilerplate): different parameters.
def execute_run(
    project: Project,
    run_id: int,
    *,
    key: str | None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    cache: bool = True,
    retry: RetryPolicy | None = None,
    read_timeout_s: float | None = None,
    client_factory: Callable[[], AsyncOpenAI] | None = None,
    limits: RunLimits | None = None,
    join: bool = False,
) -> RunOutcome:
    """Run (or resume) ``run_id``; see the module docstring. Blocks: use a worker thread.

    The process holds the run's OS lock (:mod:`.run_lock`) while it executes, so a run
    whose process died shows as ``interrupted``; a run already executing elsewhere is
    refused with a :class:`UserError` unless ``join`` (then this process helps finish
    it). ``limits`` (request timeout, deadline, stop rule) default to those stored with
    the run, else :class:`RunLimits`; ``read_timeout_s`` overrides the request timeout.
    """
    run_row(project, run_id)  # a clear "no such run" before any lock file is made
    lock: RunLock | None
    try:
        lock = acquire_run_lock(project, run_id)
    except UserError:
        if not join:
            raise
        lock = None  # executing elsewhere: this process is one more worker
    try:
        with acquire_worker_lock(project, run_id) as worker:
            alive, owner = probe_workers(project, run_id, exclude=worker.token)
            if alive and not join:
                raise UserError(
                    f"Run {run_id} is being executed by {owner_text(owner)}; wait for it "
                    "to end, stop it there first, or help finish it: "
                    f"studio runs resume {run_id} --join.",
                    where=f"run {run_id}",
                )
            return _execute_locked(
                project,
                run_id,
                key=key,
                progress=progress,
                cancel=cancel,
                cache=cache,
                retry=retry,
                read_timeout_s=read_timeout_s,
                client_factory=client_factory,
                limits=limits,
                worker=worker,
                others_alive=alive or lock is None,
            )
    finally:
        if lock is not None:
            lock.release()


def _others_alive(project: Project, run_id: int, worker: WorkerLock) -> bool:
    return probe_workers(project, run_id, exclude=worker.token)[0]


def _wait_for_finisher(project: Project, run_id: int, worker: WorkerLock, cancel: Any) -> str:
    """The run's status once the worker completing it is done (or gone)."""
    while True:
        status = run_status(project, run_id)
        if status != "running" or (cancel is not None and cancel.cancelled):
            return status
        if not _others_alive(project, run_id, worker):
            return run_status(project, run_id)
        time.sleep(0.05)


def _execute_locked(
    project: Project,
    run_id: int,
    *,
    key: str | None,
    progress: ProgressFn | None,
    cancel: CancelToken | None,
    cache: bool,
    retry: RetryPolicy | None,
    read_timeout_s: float | None,
    client_factory: Callable[[], AsyncOpenAI] | None,
    limits: RunLimits | None,
    worker: WorkerLock,
    others_alive: bool,
) -> RunOutcome:
    started = time.monotonic()
    row = run_row(project, run_id)
    plan = plan_of(row)
    if limits is None:
        limits = RunLimits.from_json(plan.get("limits"))
    if read_timeout_s is not None:
        limits = RunLimits(read_timeout_s, limits.deadline_s, limits.stall_s)
    plan["limits"] = limits.to_json()
    provider = ProviderConfig.from_dict(orjson.loads(row.provider_json or "{}"))
    examples = load_examples(project, plan.get("example_ids", []))
    variants = prepared_variants(project, run_id)
    scorer = scorer_for(project, row, examples)
    items, failures = build_work_items(variants, examples)
    price, _ = price_fn()
    claims = RunClaims(project, run_id, worker, [it.key for it in items])
    before = begin_session(project, run_id, fresh=not others_alive)
    if before == "completed":  # completed meanwhile by the last worker
        return RunOutcome(run_id, True, False, None, 0, 0, 0)
    if before != "running" or not others_alive:  # a joining worker leaves the plan alone
        with write_tx(project) as conn:  # the first start stays the start
            conn.execute(
                text("UPDATE eval_run SET started_at = coalesce(started_at, :t) WHERE id = :r"),
                {"t": db_time(), "r": run_id},
            )
        plan.pop("failed_reason", None)
        store_plan(project, run_id, plan)  # the limits, for a resume after a crash
    claims.start_session(others_alive=others_alive)

    def score(result: CallResult) -> Scored:
        return scorer.score(result.example_id, result.output, result.tool_calls)

    def claim(n: int) -> tuple[list[tuple[str, int]], bool, int]:
        batch = claims.claim(n)
        return batch.keys, batch.more, batch.settled

    sink = ProjectResultSink(
        project, run_id, {v.key: int(v.key) for v in variants}, score, claim_worker=worker.token
    )
    store = ProjectCacheStore(project) if cache else None
    failed_reason: str | None = None
    stop_kind: str | None = None
    summary = None
    pending = 0
    try:
        done = sink.already_done()
        for failure in failures:
            if (failure.variant_key, failure.example_id) not in done:
                sink.save(_render_error(failure))
        try:
            summary = asyncio.run(
                run_items(
                    items,
                    provider=provider,
                    api_key=key,
                    sink=sink,
                    cache=store,
                    concurrency=int(row.concurrency),
                    retry=retry,
                    price_fn=price,
                    progress=progress,
                    cancel=cancel,
                    client_factory=client_factory,
                    limits=limits,
                    claimer=claim,
                )
            )
        except RunStoppedError as exc:
            failed_reason = exc.message
            stop_kind = exc.kind
        except ServerUnreachableError as exc:
            failed_reason = exc.message
        claims.release()  # claims not answered go back to the others at once
        answered = sink.already_done()
        pending = sum(1 for it in items if it.key not in answered)
        normal_end = failed_reason is None and summary is not None and not summary.cancelled
        finisher = normal_end and claims.unsettled() == 0 and elect_finisher(project, run_id)
        if not finisher and (normal_end or _others_alive(project, run_id, worker)):
            # Another worker completes the run, or carries on with it without this one.
            status = (
                _wait_for_finisher(project, run_id, worker, cancel) if normal_end else "running"
            )
            return _outcome(
                run_id,
                summary,
                claims,
                failures,
                started,
                failed_reason,
                stop_kind,
                pending,
                completed=status == "completed",
            )
        if finisher and row.scorer == "judge":
            failed_reason = _run_judge(
                project,
                run_id,
                row,
                variants,
                examples,
                provider,
                key,
                store,
                cancel,
                retry,
                client_factory,
                limits,
            )
    except BaseException:
        others = False
        with contextlib.suppress(Exception):  # the original error says more
            claims.release()
            others = _others_alive(project, run_id, worker)
        if not others:  # the others carry on without this worker
            set_status(project, run_id, "failed", finished_at=db_time())
        raise
    finally:
        sink.close()
        if store is not None:
            store.close()
    cancelled = bool(summary is not None and summary.cancelled)
    status = "failed" if failed_reason else ("cancelled" if cancelled else "completed")
    if failed_reason:
        plan["failed_reason"] = failed_reason
    store_plan(project, run_id, plan)
    set_status(project, run_id, status, finished_at=db_time())
    if status == "completed":
        final = run_summary(project, run_id)
        plan["summary"] = final.to_json()
        store_plan(project, run_id, plan)
    return _outcome(
        run_id,
        summary,
        claims,
        failures,
        started,
        failed_reason,
        stop_kind,
        pending,
        completed=status == "completed",
        finished_here=True,
    )


def _outcome(
    run_id: int,
    summary: Any,
    claims: RunClaims,
    failures: Sequence[RenderFailure],
    started: float,
    failed_reason: str | None,
    stop_kind: str | None,
    pending: int,
    *,
    completed: bool,
    finished_here: bool = False,
) -> RunOutcome:
    made = (summary.completed - summary.cached) if summary is not None else 0
    return RunOutcome(
        run_id=run_id,
        completed=completed,
        cancelled=bool(summary is not None and summary.cancelled),
        failed_reason=failed_reason,
        calls_made=made,
        cached=summary.cached if summary is not None else 0,
        failed=(summary.errors if summary is not None else 0) + len(failures),
        elapsed_s=time.monotonic() - started,
        stop_kind=stop_kind,
        pending=pending,
        claimed=claims.claimed,
        taken_over=claims.taken_over,
        finished_here=finished_here,
    )


def _run_judge(
    project: Project,
    run_id: int,
    row: Any,
    variants: Sequence[PreparedVariant],
    examples: Sequence[ExampleInput],
    provider: ProviderConfig,
    key: str | None,
    store: ProjectCacheStore | None,
    cancel: CancelToken | None,
    retry: RetryPolicy | None,
    client_factory: Callable[[], AsyncOpenAI] | None,
    limits: RunLimits | None = None,
) -> str | None:
    """Ask the judge prompt about A vs B in both orders; store judge preferences."""
    from studio.core.evals.judge import PairwiseJudge

    config = orjson.loads(row.scorer_config_json or "{}")
    ref = config.get("judge_prompt")
    if not isinstance(ref, str):
        return 'The judge scorer needs scorer_config {"judge_prompt": "NAME@VERSION"}.'
    version = resolve_ref(project, ref)
    judge = PairwiseJudge(
        messages=[m.to_json() for m in version.spec.messages],
        model=str(config.get("judge_model") or version.spec.model),
        params=dict(version.spec.params) or {"temperature": 0},
    )
    a, b = variants[0], variants[1]
    outputs = answered_outputs(project, run_id)
    with read_conn(project) as conn:
        judged = {
            int(r[0])
            for r in conn.execute(
                text("SELECT example_id FROM preference WHERE run_id = :r AND source = 'judge'"),
                {"r": run_id},
            ).all()
        }
    items: list[WorkItem] = []
    by_id = {e.id: e for e in examples}
    for e in examples:
        oa, ob = outputs.get((int(a.key), e.id)), outputs.get((int(b.key), e.id))
        if oa is None or ob is None or e.id in judged:
            continue
        items.extend(
            judge.work_items(e.id, input_preview(e, 4000), oa, ob, e.label or e.ideal_output or "")
        )
    if not items:
        return None
    sink = MemorySink()
    try:
        # Same run_items call as execute_run's above (duplicates report), with the judge's own
        # sink, cancel and client; the arguments differ.
        asyncio.run(
            run_items(
                items,
                provider=provider,
                api_key=key,
                sink=sink,
                cache=store,
                retry=retry,
                cancel=cancel,
                client_factory=client_factory,
                concurrency=int(row.concurrency),
                limits=limits,
            )
        )
    except ServerUnreachableError as exc:
        return exc.message
    got = sink.by_key()
    key_ab, key_ba = judge.keys
    for example_id in sorted({it.example_id for it in items}):
        r_ab, r_ba = got.get((key_ab, example_id)), got.get((key_ba, example_id))
        if r_ab is None or r_ba is None or example_id not in by_id:
            continue
        j = judge.combine(r_ab.output, r_ba.output)
        if j.winner is None:
            continue
        record_preference(
            project,
            run_id,
            example_id,
            {"A": "a", "B": "b"}.get(j.winner, "tie"),
            variant_a_id=int(a.key),
            variant_b_id=int(b.key),
            source="judge",
            rater=f"judge:{version.ref}",
            detail=j.detail,
        )
    return None
