"""A judge's score for teacher candidates (ISSUE 13 §3: "optionally, a judge score").

A *single-answer grader*: a prompt version that sees one row's input, the teacher's
answer and (when the row has one) the human ideal output, and answers a score. Unlike
the pairwise judge of A/B runs (:mod:`studio.core.evals.judge`, which it reuses for
filling messages) it grades one answer on its own. The prompt uses ``{{input}}``,
``{{output}}`` (required) and ``{{ideal}}`` (empty when the row has no human ideal).
The answer is read by :func:`studio.core.distil.judge_scores.read_judge_score`: every
accepted form ("Score: 7/10", "[[8]]", "0.8", "pass"/"fail") becomes a share 0–1; an
unreadable answer stores null and its reason is reported.

API
---
``plan_judging(project, dataset, judge_ref, *, provider, candidate_ids=None) -> JudgePlan``
    Before any call: which candidates get a score, calls, cached calls, cost estimate.
``judge_candidates(project, dataset, judge_ref, *, provider, key, ...) -> JudgeOutcome``
    Sends the judge calls through the A/B runner
    (:func:`studio.core.evals.runner.run_items`): bounded concurrency, its one retry
    layer, the silent-server stop rule, cancel, progress and the project's response
    cache (judging the same answers again makes 0 calls); writes ``candidate.judge_score``
    with the judge's identity (``judge_ref``, ``judge_model``, ``judged_at``).
``estimate_judge_rows(project, judge_ref, *, provider, example_ids) -> JudgePlan``
    The judge's share of ``studio distil outputs --judge`` before the teacher answered
    (one call per row; the answers are unknown, so nothing can be cached yet).

Which candidates: without ``candidate_ids`` each row's current (newest) candidate that
is pending; named ``candidate_ids`` may be pending, accepted or rejected. Failed
candidates and candidates without an answer are skipped (counted). A judge call that
fails after retries leaves the candidate's score as it was (counted ``failed``); an
unreadable answer sets it to null (counted ``unreadable``, reason in ``reasons``).
Writing scores is not a dataset operation (nothing to undo: the rows do not change); the
last judge wins.

Who scored: every score is written with ``judge_ref`` (the judge prompt version as
``NAME@N``; a label such as ``NAME@prod`` is resolved to its number when judging),
``judge_model`` and ``judged_at`` (UTC), in the same UPDATE. The four columns move
together: an unreadable answer stores a null score *with* the judge that was asked (so
"unreadable by grader@2" is told apart from "never judged"); a failed call leaves all
four as they were; a new candidate starts with all four null. Scores written before
migration 0008 have a score and no judge ("judge not recorded").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import text

from studio.core.distil.judge_scores import read_judge_score
from studio.core.errors import ValidationError
from studio.core.evals.calls import MemorySink, RunProgress, WorkItem
from studio.core.evals.judge import fill_judge_messages
from studio.core.evals.limits import RunLimits
from studio.core.llm.providers import ProviderConfig
from studio.core.progress import CancelToken

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from studio.core.db.project import Project

SCORE_VARIABLES = ("input", "output", "ideal")
_VAR = re.compile(r"\{\{\s*(input|output|ideal)\s*\}\}")
_VARIANT = "judge-score"  # the runner's resume key is (variant, candidate id)
_ANSWER_TOKENS = 50  # estimated judge answer (a short reason and the score)
_INPUT_LIMIT = 4000  # characters of the input shown to the judge (as the pairwise judge)


@dataclass(frozen=True)
class ScoreJudge:
    """A judge prompt version ready to build work items.

    Raises:
        ValidationError: the prompt has no ``{{output}}`` (``where="judge"``).
    """

    ref: str
    messages: list[dict[str, Any]]
    model: str
    params: dict[str, Any] = field(default_factory=lambda: {"temperature": 0})
    # "NAME@N": the version ``ref`` resolved to (a label names a number at judging time)
    version_ref: str = ""

    @property
    def identity(self) -> str:
        """The reference stored with each score: ``version_ref``, else ``ref``."""
        return self.version_ref or self.ref

    def __post_init__(self) -> None:
        names = {
            m.group(1) for msg in self.messages for m in _VAR.finditer(str(msg.get("content")))
        }
        if "output" not in names:
            raise ValidationError(
                f"The judge prompt {self.ref} must contain {{{{output}}}} (the teacher's "
                "answer); it may also use {{input}} and {{ideal}}.",
                where="judge",
            )

    def work_item(self, candidate_id: int, input_text: str, output: str, ideal: str) -> WorkItem:
        """The judge call for one candidate."""
        filled = fill_judge_messages(
            self.messages, {"input": input_text, "output": output, "ideal": ideal}, pattern=_VAR
        )
        return WorkItem(_VARIANT, candidate_id, filled, self.model, dict(self.params))


def load_judge(project: Project, judge_ref: str) -> ScoreJudge:
    """The judge prompt version ``NAME@VERSION`` (or ``NAME@label``).

    Raises:
        NotFoundError: no such prompt or version. ValidationError: no ``{{output}}``.
    """
    from studio.core.prompts.service import resolve_ref

    version = resolve_ref(project, judge_ref)
    spec = version.spec
    if not spec.model:
        raise ValidationError(f"The judge prompt {judge_ref} names no model.", where="judge")
    return ScoreJudge(
        judge_ref,
        [m.to_json() for m in spec.messages],
        spec.model,
        dict(spec.params) or {"temperature": 0},
        version.ref,
    )


@dataclass(frozen=True)
class JudgePlan:
    """Before any call: candidates to score, skipped ones by reason, calls and cost."""

    candidates: int
    skipped: dict[str, int]
    n_calls: int
    n_cached: int
    cost_usd: float | None
    price_note: str
    candidate_ids: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON shape of the plan."""
        return {
            "candidates": self.candidates,
            "skipped": dict(self.skipped),
            "calls": self.n_calls,
            "cached": self.n_cached,
            "cost": self.cost_usd,
            "price_note": self.price_note,
        }


@dataclass(frozen=True)
class JudgeOutcome:
    """What a judging pass did.

    ``scored + unreadable + failed`` = candidates judged; ``calls`` were answered by the
    server in this pass (cache hits are not calls); ``cost_usd`` is theirs (None when a
    price is unknown). ``reasons``: candidate id -> why its answer was unreadable or its
    call failed. ``scores``: candidate id -> the score stored (None = unreadable).
    ``judge_ref``/``judge_model``: the judge stored with the scores (``NAME@N``, model).
    """

    scored: int
    unreadable: int
    failed: int
    calls: int
    cost_usd: float | None
    cancelled: bool = False
    skipped: int = 0
    scores: dict[int, float | None] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    judge_ref: str = ""
    judge_model: str = ""

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` shape."""
        return {
            "judge_ref": self.judge_ref,
            "judge_model": self.judge_model,
            "scored": self.scored,
            "unreadable": self.unreadable,
            "failed": self.failed,
            "skipped": self.skipped,
            "calls": self.calls,
            "cost": self.cost_usd,
            "cancelled": self.cancelled,
            "reasons": {str(k): v for k, v in sorted(self.reasons.items())},
        }


@dataclass(frozen=True)
class _Target:
    candidate_id: int
    example_id: int
    output: str
    ideal: str


def _targets(
    project: Project, dataset_id: int, candidate_ids: Sequence[int] | None
) -> tuple[list[_Target], dict[str, int]]:
    """The candidates to judge and the skipped ones by reason."""
    from studio.core.db.dialect import is_postgresql, json_ids_sql
    from studio.core.db.transactions import read_conn

    params: dict[str, Any] = {"d": dataset_id}
    with read_conn(project) as conn:
        if candidate_ids is None:
            which = (
                "c.id IN (SELECT max(id) FROM candidate WHERE dataset_id = :d GROUP BY example_id)"
            )
        else:
            which = f"c.id IN ({json_ids_sql('ids', postgresql=is_postgresql(conn))})"
            params["ids"] = orjson.dumps([int(i) for i in candidate_ids]).decode()
        rows = conn.execute(
            text(
                "SELECT c.id, c.example_id, c.status, c.output, e.ideal_output, e.label, "
                "e.ideal_source FROM candidate c JOIN example e ON e.id = c.example_id "
                f"WHERE c.dataset_id = :d AND {which} ORDER BY c.id"
            ),
            params,
        ).all()
    skipped: dict[str, int] = {}
    out: list[_Target] = []
    for cid, eid, status, output, ideal, label, source in rows:
        if status == "failed":
            reason = "failed"
        elif output is None:
            reason = "no_output"
        elif candidate_ids is None and status != "pending":
            reason = str(status)
        else:
            human = None if source == "teacher" else (ideal if ideal is not None else label)
            out.append(_Target(int(cid), int(eid), str(output), human or ""))
            continue
        skipped[reason] = skipped.get(reason, 0) + 1
    if candidate_ids is not None:
        missing = len(set(int(i) for i in candidate_ids)) - len(rows)
        if missing > 0:
            skipped["not_in_dataset"] = missing
    return out, skipped


def _items(project: Project, judge: ScoreJudge, targets: Sequence[_Target]) -> list[WorkItem]:
    from studio.core.evals.run_store import load_examples
    from studio.core.evals.workitems import input_preview

    examples = {e.id: e for e in load_examples(project, [t.example_id for t in targets])}
    items: list[WorkItem] = []
    for t in targets:
        e = examples.get(t.example_id)
        shown = input_preview(e, _INPUT_LIMIT) if e is not None else ""
        items.append(judge.work_item(t.candidate_id, shown, t.output, t.ideal))
    return items


def _estimate(
    project: Project, provider: ProviderConfig, judge: ScoreJudge, items: Sequence[WorkItem]
) -> tuple[int, float | None, str]:
    """(cached calls, cost of the others, price note)."""
    from studio.core.evals.cache import request_hash
    from studio.core.evals.run_setup import price_fn
    from studio.core.evals.store import ProjectCacheStore
    from studio.core.tokens.counting import count_chat_tokens

    price, note = price_fn()
    max_tokens = judge.params.get("max_tokens")
    t_out = int(max_tokens) if isinstance(max_tokens, int) else _ANSWER_TOKENS
    cached = 0
    cost: float | None = 0.0
    cache = ProjectCacheStore(project)
    try:
        for it in items:
            key = request_hash(provider.base_url, it.request_body(), 0, provider.api_version or "")
            if cache.get(key) is not None:
                cached += 1
                continue
            one = (
                price(judge.model, count_chat_tokens(it.messages, judge.model), t_out)
                if price
                else None
            )
            cost = None if cost is None or one is None else cost + one
    finally:
        cache.close()
    if cost is None and price is not None:
        note = f"{judge.model} is not in the price table, so the cost is unknown. {note}"
    return cached, cost, note


def plan_judging(
    project: Project,
    dataset: str | int,
    judge_ref: str,
    *,
    provider: ProviderConfig,
    candidate_ids: Sequence[int] | None = None,
) -> JudgePlan:
    """The plan shown before any judge call (see the module docstring).

    Raises:
        NotFoundError: no such dataset or judge prompt version.
        ValidationError: a judge prompt without ``{{output}}`` or a model.
    """
    from studio.core.datasets.catalog import get_dataset

    info = get_dataset(project, dataset)
    judge = load_judge(project, judge_ref)
    targets, skipped = _targets(project, info.id, candidate_ids)
    items = _items(project, judge, targets)
    cached, cost, note = _estimate(project, provider, judge, items)
    return JudgePlan(
        len(targets), skipped, len(items), cached, cost, note, [t.candidate_id for t in targets]
    )


def estimate_judge_rows(
    project: Project, judge_ref: str, *, provider: ProviderConfig, example_ids: Sequence[int]
) -> JudgePlan:
    """The judge calls of ``distil outputs --judge`` before the teacher answered: one per
    row, the answer counted as empty (its tokens are unknown), nothing cached."""
    from studio.core.evals.run_store import load_examples
    from studio.core.evals.workitems import input_preview

    judge = load_judge(project, judge_ref)
    examples = load_examples(project, example_ids)
    items = [
        judge.work_item(e.id, input_preview(e, _INPUT_LIMIT), "", e.ideal_output or e.label or "")
        for e in examples
    ]
    _, cost, note = _estimate(project, provider, judge, items)
    return JudgePlan(len(items), {}, len(items), 0, cost, note)


def judge_candidates(
    project: Project,
    dataset: str | int,
    judge_ref: str,
    *,
    provider: ProviderConfig,
    key: str | None,
    candidate_ids: Sequence[int] | None = None,
    progress: Callable[[RunProgress], None] | None = None,
    cancel: CancelToken | None = None,
    client_factory: Callable[[], AsyncOpenAI] | None = None,
    concurrency: int = 8,
    limits: RunLimits | None = None,
    cache: bool = True,
) -> JudgeOutcome:
    """Score candidates with the judge and store ``candidate.judge_score``. Blocks: use a
    worker thread.

    ``key`` is used for these calls only (never stored). Scores that came back before a
    cancel are stored (their calls are cached too). ``cache=False`` neither reads nor
    fills the response cache (the demo build: its server's port changes every start).

    Raises:
        NotFoundError / ValidationError: as :func:`plan_judging` (nothing called).
        ServerUnreachableError, ProviderRefusedError, RunStoppedError: the server could
            not be used (scores answered so far are not stored; their calls are cached).
    """
    from studio.core.datasets.catalog import get_dataset
    from studio.core.evals.run_setup import price_fn
    from studio.core.evals.runner import run_items_blocking
    from studio.core.evals.store import ProjectCacheStore

    info = get_dataset(project, dataset)
    judge = load_judge(project, judge_ref)
    targets, skipped = _targets(project, info.id, candidate_ids)
    items = _items(project, judge, targets)
    n_skipped = sum(skipped.values())
    ref, model = judge.identity, judge.model
    if not items:
        return JudgeOutcome(0, 0, 0, 0, 0.0, skipped=n_skipped, judge_ref=ref, judge_model=model)
    if cancel is not None and cancel.cancelled:  # e.g. the teacher phase was cancelled
        return JudgeOutcome(
            0, 0, 0, 0, 0.0, cancelled=True, skipped=n_skipped, judge_ref=ref, judge_model=model
        )
    price, _ = price_fn()
    sink = MemorySink()
    store = ProjectCacheStore(project) if cache else None
    try:
        summary = run_items_blocking(
            items,
            provider=provider,
            api_key=key,
            sink=sink,
            cache=store,
            concurrency=concurrency,
            price_fn=price,
            progress=progress,
            cancel=cancel,
            client_factory=client_factory,
            limits=limits,
        )
    finally:
        if store is not None:
            store.close()
    results = sink.by_key()
    fresh = [r for r in results.values() if not r.cached]
    cost: float | None = 0.0
    for r in fresh:
        if r.ok:
            cost = None if cost is None or r.cost_usd is None else cost + r.cost_usd
    scores: dict[int, float | None] = {}
    reasons: dict[int, str] = {}
    failed = 0
    for t in targets:
        got = results.get((_VARIANT, t.candidate_id))
        if got is None:
            continue  # not answered (cancelled)
        if not got.ok:
            failed += 1
            reasons[t.candidate_id] = f"the judge call failed: {got.error}"
            continue
        read = read_judge_score(got.output)
        scores[t.candidate_id] = None if read.score is None else round(read.score, 6)
        if read.score is None:
            reasons[t.candidate_id] = read.reason
    _store(project, scores, judge)
    scored = sum(1 for s in scores.values() if s is not None)
    return JudgeOutcome(
        judge_ref=ref,
        judge_model=model,
        scored=scored,
        unreadable=len(scores) - scored,
        failed=failed,
        calls=len(fresh),
        cost_usd=cost,
        cancelled=summary.cancelled or (cancel is not None and cancel.cancelled),
        skipped=n_skipped,
        scores=scores,
        reasons=reasons,
    )


def _store(project: Project, scores: dict[int, float | None], judge: ScoreJudge) -> None:
    """The scores with who gave them, in one UPDATE per candidate (the four columns move
    together; see the module docstring)."""
    from studio.core.db.engine import db_time
    from studio.core.db.transactions import write_tx

    if not scores:
        return
    ref, model, now = judge.identity[:300], judge.model[:200], db_time()
    with write_tx(project) as conn:
        conn.execute(
            text(
                "UPDATE candidate SET judge_score = :s, judge_ref = :ref, judge_model = :model, "
                "judged_at = :t WHERE id = :id"
            ),
            [
                {"s": s, "ref": ref, "model": model, "t": now, "id": cid}
                for cid, s in scores.items()
            ],
        )
