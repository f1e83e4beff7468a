"""A/B runs stored in the project: the service the GUI and ``studio ab`` call.

Every function takes an open :class:`~studio.core.db.project.Project` and returns plain
frozen dataclasses (safe to hand to the GUI thread). :func:`execute_run` is long: call it
from a worker thread; it runs its own asyncio loop.

API
---
``estimate_run(project, spec: RunSpec) -> CostEstimate``
    Before Run: ``input_tokens`` exact (cookbook count of every rendered request, tool
    definitions included), ``output_tokens_estimated`` from the ideal outputs,
    ``cost_usd`` (None when a model has no price) per variant and in total for the calls
    that are **not** already cached, ``n_calls`` and ``n_cached``.
``create_run(project, spec: RunSpec) -> run_id``
    Validates everything (dataset, split, two or more ``NAME@VERSION`` refs, scorer,
    provider, concurrency), freezes the example ids, stores the run and its variants
    (model and effective params) with the provider settings WITHOUT a key, and locks the
    test split examples used (``lock_test_split``).
``execute_run(project, run_id, *, key, progress=None, cancel=None, cache=True, ...)
-> RunOutcome(run_id, completed, cancelled, failed_reason, calls_made, cached, failed)``
    Sends the calls (``key`` is used for this call only: never stored, hashed, cached or
    logged), stores and scores each result as it arrives (scorers never see errors),
    resumes a crashed/cancelled/interrupted run without repeating completed calls, and
    sets the status (running -> completed / cancelled / failed). A dead server gives
    ``failed_reason`` "Server unreachable at URL ..." within a few seconds; a server that
    accepts connections but never answers, or the run deadline, stops the run by the
    limits of :mod:`.limits` (``stop_kind`` "stalled"/"deadline", unanswered calls stay
    pending). The executing process holds the run's OS lock (:mod:`.run_lock`): a
    ``running`` run whose lock is free is reported as ``interrupted``.
    ``progress`` receives :class:`~studio.core.evals.runner.RunProgress` (done, total,
    errors, cached, in flight; ``.to_progress()`` for the generic type).
``list_runs(project, dataset=None) -> [RunInfo]`` newest first.
``run_summary(project, run_id) -> RunSummary`` (:mod:`.summary`; ``to_json()``;
    ``to_cli_json()`` is the ``studio ab --json`` document).
``case_rows(project, run_id, filter="all"|"disagreements"|"regressions"|"errors")
-> [CaseRow(example_id, input_preview, ideal, outputs, passed, errors, details, fields)]``
    keyed by variant label ("NAME@VERSION"); ``fields`` is json-equal's per-field
    agreement of each answer.
``record_preference(project, run_id, example_id, choice, ...)``,
``next_review_pair(project, run_id, rater="") -> ReviewPair | None``,
``record_review(project, pair, side)`` (:mod:`.preferences`).
``rescore_run(project, run_id) -> RunSummary``
    After a label fix: re-scores stored answers with the current ideal outputs; no calls.
``compare_runs(project, run_ids) -> RunsComparison`` past runs side by side.
``delete_run(project, run_id)``; ``set_recorded_note(project, run_id, note)``.

``RunSpec.scorer``: ``exact``, ``normalised``, ``label``, ``label-strict``, ``json``,
``json-equal``, ``json-schema``, ``json-fields``, ``contains``, ``regex`` or ``judge``
(``json-schema`` defaults to the versions' ``response_schema``; ``scorer_config``:
:mod:`studio.core.evals.run_scoring`; the judge needs ``{"judge_prompt": "NAME@VERSION"}``
and stores its A-vs-B verdicts, asked in both orders, as ``judge`` preferences).

Conventions: variant A is the first variant (baseline), B the second. Splits:
``test``, ``validation``, ``train`` or ``all``. Render failures (an example lacks a
variable the version uses) are stored as errors of kind ``render`` and never sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import orjson
from sqlalchemy import text

from studio.core.errors import NotFoundError, UserError, ValidationError
from studio.core.evals.cache import request_hash
from studio.core.evals.limits import RunLimits, RunStoppedError
from studio.core.evals.preferences import (
    ReviewPair,
    answered_outputs,
    next_review_pair,
    record_preference,
    record_review,
)
from studio.core.evals.run_lock import INTERRUPTED, acquire_run_lock, run_is_alive
from studio.core.evals.run_scoring import RunScorer, check_scorer_name, with_default_schema
from studio.core.evals.runner import (
    MAX_CONCURRENCY,
    MIN_CONCURRENCY,
    CallResult,
    MemorySink,
    RetryPolicy,
    RunProgress,
    WorkItem,
    run_items,
)
from studio.core.evals.store import ProjectCacheStore, ProjectResultSink, Scored, db_time
from studio.core.evals.summary import (
    PreferenceRow,
    ResultRow,
    RunSummary,
    VariantMeta,
    summarise,
)
from studio.core.evals.workitems import (
    ExampleInput,
    PreparedVariant,
    RenderFailure,
    build_work_items,
    input_preview,
    merge_params,
)
from studio.core.llm.errors import ServerUnreachableError
from studio.core.llm.providers import ProviderConfig
from studio.core.progress import CancelToken
from studio.core.prompts.service import resolve_ref
from studio.core.prompts.spec import PromptSpec
from studio.core.redact import redact_json

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from studio.core.db.project import Project

__all__ = [
    "CaseRow", "CostEstimate", "ReviewPair", "RunInfo", "RunOutcome", "RunSpec",
    "RunsComparison", "VariantEstimate", "VariantSpec", "case_rows", "compare_runs",
    "create_run", "delete_run", "estimate_run", "execute_run", "list_runs", "load_examples",
    "next_review_pair", "record_preference", "record_review", "rescore_run", "run_summary",
]

SPLIT_CHOICES = ("test", "validation", "train", "all")
CaseFilter = Literal["all", "disagreements", "regressions", "errors"]
ProgressFn = Callable[[RunProgress], None]


# ------------------------------------------------------------------------------ specs
@dataclass(frozen=True)
class VariantSpec:
    """One side: a prompt version (``NAME@VERSION`` or ``NAME@label``), an optional model
    override and parameter overrides (a None value removes the version's parameter)."""

    prompt_ref: str
    model: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunSpec:
    """What to run. ``provider`` carries no key (keys never reach the project)."""

    dataset: str | int
    variants: list[VariantSpec]
    provider: ProviderConfig
    split: str = "test"
    scorer: str = "exact"
    scorer_config: dict[str, Any] = field(default_factory=dict)
    concurrency: int = 8
    name: str = ""
    limits: RunLimits | None = None  # request timeout / deadline (None = the defaults)


@dataclass(frozen=True)
class VariantEstimate:
    """The estimate of one variant (cost None = model not in the price table)."""

    prompt: str
    model: str
    n_calls: int
    n_cached: int
    input_tokens: int
    output_tokens_estimated: int
    cost_usd: float | None


@dataclass(frozen=True)
class CostEstimate:
    """Before Run. Tokens cover every call; ``cost_usd`` only the calls not cached."""

    variants: list[VariantEstimate]
    n_examples: int
    n_calls: int
    n_cached: int
    input_tokens: int
    output_tokens_estimated: int
    cost_usd: float | None
    render_errors: int = 0
    price_note: str = ""


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


@dataclass(frozen=True)
class RunInfo:
    """A row of the past-runs list."""

    id: int
    name: str
    dataset: str
    split: str
    scorer: str
    status: str
    variants: list[str]
    n_results: int
    created_at: str
    finished_at: str | None
    recorded_note: str


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


# --------------------------------------------------------------------------- loading
def _run_row(project: Project, run_id: int) -> Any:
    with project.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT r.id, r.name, r.dataset_id, r.split, r.scorer, r.scorer_config_json, "
                "r.provider_json, r.concurrency, r.status, r.recorded_note, r.summary_json, "
                "r.created_at, r.finished_at, d.name AS dataset_name, d.label_set_json, "
                "d.output_schema_json FROM eval_run r LEFT JOIN dataset d ON d.id = r.dataset_id "
                "WHERE r.id = :r"
            ),
            {"r": run_id},
        ).first()
    if row is None:
        raise NotFoundError(f"There is no run with id {run_id}.", where=f"run {run_id}")
    return row


def effective_status(project: Project, run_id: int, stored: str) -> str:
    """The stored status, or ``interrupted`` for a ``running`` run nobody executes.

    Liveness is the run's OS lock (:mod:`.run_lock`), never the run's age. The status is
    read again after the lock is found free: a run that just ended stores its final
    status before dropping the lock.
    """
    if stored != "running" or run_is_alive(project.path, run_id):
        return stored
    with project.engine.connect() as conn:
        now = conn.execute(text("SELECT status FROM eval_run WHERE id = :r"),
                           {"r": run_id}).scalar()
    return INTERRUPTED if now == "running" else str(now)


def _plan(row: Any) -> dict[str, Any]:
    try:
        data = orjson.loads(row.summary_json or "{}")
    except orjson.JSONDecodeError:
        data = {}
    return data if isinstance(data, dict) else {}


def run_plan(project: Project, run_id: int) -> dict[str, Any]:
    """The run's stored plan (example ids, limits, failed reason, final summary)."""
    return _plan(_run_row(project, run_id))


def load_examples(project: Project, ids: Sequence[int]) -> list[ExampleInput]:
    """The examples with these ids (missing ones skipped), in id order."""
    out: list[ExampleInput] = []
    ordered = sorted(set(int(i) for i in ids))
    with project.engine.connect() as conn:
        for start in range(0, len(ordered), 900):
            chunk = ordered[start : start + 900]
            marks = ",".join(str(i) for i in chunk)  # integers: safe to inline
            rows = conn.execute(
                text(
                    "SELECT id, input_json, system_prompt, conversation_json, tools_json, "
                    f"output_kind, ideal_output, label FROM example WHERE id IN ({marks}) "
                    "ORDER BY id"
                )
            ).all()
            for r in rows:
                out.append(
                    ExampleInput(
                        id=int(r[0]),
                        inputs=orjson.loads(r[1] or "{}"),
                        system_prompt=r[2],
                        conversation=orjson.loads(r[3]) if r[3] else None,
                        tools=orjson.loads(r[4]) if r[4] else None,
                        output_kind=r[5] or "text",
                        ideal_output=r[6],
                        label=r[7],
                    )
                )
    return out


def _split_ids(project: Project, dataset_id: int, split: str) -> list[int]:
    sql = "SELECT id FROM example WHERE dataset_id = :d"
    if split != "all":
        sql += " AND split = :s"
    sql += " AND status != 'rejected' ORDER BY id"
    with project.engine.connect() as conn:
        return [int(r[0]) for r in conn.execute(text(sql), {"d": dataset_id, "s": split}).all()]


def _variant_rows(project: Project, run_id: int) -> list[Any]:
    with project.engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT v.id, v.position, v.label, v.model, v.params_json, "
                    "v.prompt_version_id, pv.spec_json, pv.version, p.name AS prompt_name "
                    "FROM eval_variant v "
                    "LEFT JOIN prompt_version pv ON pv.id = v.prompt_version_id "
                    "LEFT JOIN prompt p ON p.id = pv.prompt_id "
                    "WHERE v.run_id = :r ORDER BY v.position"
                ),
                {"r": run_id},
            ).all()
        )


def prepared_variants(project: Project, run_id: int) -> list[PreparedVariant]:
    """The run's variants ready to render (runner key = the variant row id)."""
    out: list[PreparedVariant] = []
    for v in _variant_rows(project, run_id):
        if v.spec_json is None:
            raise UserError(
                f"The prompt version of variant {v.label!r} was deleted; run {run_id} "
                "cannot be continued.",
                where=f"run {run_id}",
            )
        spec = PromptSpec.from_json(orjson.loads(v.spec_json), validate=False)
        out.append(
            PreparedVariant(
                key=str(v.id),
                spec=spec,
                model=v.model,
                params=orjson.loads(v.params_json or "{}"),
                name=v.label,
            )
        )
    return out


def _scorer_for(project: Project, row: Any, examples: Sequence[ExampleInput]) -> RunScorer:
    config = orjson.loads(row.scorer_config_json or "{}")
    label_set = orjson.loads(row.label_set_json or "[]") if row.label_set_json else []
    schema = orjson.loads(row.output_schema_json) if row.output_schema_json else None
    return RunScorer(
        row.scorer, config, {e.id: e for e in examples}, label_set=label_set,
        output_schema=schema,
    )


# ---------------------------------------------------------------------- create/estimate
@dataclass(frozen=True)
class _Resolved:
    dataset_id: int
    dataset_name: str
    label_set: list[str]
    output_schema: dict[str, Any] | None
    example_ids: list[int]
    variants: list[tuple[PreparedVariant, int]]  # (prepared with placeholder key, version id)
    scorer_config: dict[str, Any] = field(default_factory=dict)  # as stored with the run


def _version_row_id(project: Project, name: str, version: int) -> int:
    with project.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT pv.id FROM prompt_version pv JOIN prompt p ON p.id = pv.prompt_id "
                "WHERE p.name = :n AND pv.version = :v"
            ),
            {"n": name, "v": version},
        ).first()
    if row is None:  # resolve_ref found it a moment ago: only a concurrent delete gets here
        raise NotFoundError(f"Prompt version {name}@{version} does not exist.")
    return int(row[0])


def _resolve(project: Project, spec: RunSpec) -> _Resolved:
    from studio.core.datasets.catalog import get_dataset

    if len(spec.variants) < 2:
        raise ValidationError(
            "An A/B run needs at least two prompt versions (give two --variant NAME@VERSION).",
            where="variants",
        )
    if spec.split not in SPLIT_CHOICES:
        raise ValidationError(
            f"Split {spec.split!r} is not one of {', '.join(SPLIT_CHOICES)}.", where="split"
        )
    if not MIN_CONCURRENCY <= spec.concurrency <= MAX_CONCURRENCY:
        raise ValidationError(
            f"Concurrency must be between {MIN_CONCURRENCY} and {MAX_CONCURRENCY}, "
            f"not {spec.concurrency}.",
            where="concurrency",
        )
    check_scorer_name(spec.scorer)
    info = get_dataset(project, spec.dataset)
    ids = _split_ids(project, info.id, spec.split)
    if not ids:
        where = "any split" if spec.split == "all" else f"the {spec.split} split"
        raise UserError(
            f"Dataset {info.name!r} has no examples in {where}"
            + (": split it first (Datasets ▸ Split)." if spec.split != "all" else "."),
            where="split",
        )
    resolved: list[tuple[PreparedVariant, int]] = []
    labels: list[str] = []
    for i, vs in enumerate(spec.variants):
        version = resolve_ref(project, vs.prompt_ref)
        model = (vs.model or version.spec.model or "").strip()
        if not model:
            raise ValidationError(
                f"{version.ref} names no model: choose one for variant {i + 1}.",
                where=f"variants[{i}].model",
            )
        params = merge_params(version.spec.params, vs.params)
        labels.append(version.ref)
        resolved.append(
            (
                PreparedVariant(key=str(i), spec=version.spec, model=model, params=params,
                                name=version.ref),
                _version_row_id(project, version.name, version.version),
            )
        )
    # Unique labels: the same version on two models, or twice with other params.
    models = [p.model for p, _ in resolved]
    final: list[tuple[PreparedVariant, int]] = []
    seen: dict[str, int] = {}
    for (prep, vid), label in zip(resolved, labels, strict=True):
        if labels.count(label) > 1 and len(set(models)) > 1:
            label = f"{label} on {prep.model}"
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label} #{seen[label]}"
        final.append((PreparedVariant(prep.key, prep.spec, prep.model, prep.params, label), vid))
    # The scorer's settings must work before anything is stored.
    config = with_default_schema(
        spec.scorer, spec.scorer_config,
        [(p.name, p.spec.response_schema) for p, _ in resolved],
    )
    RunScorer(spec.scorer, config, {}, label_set=info.label_set,
              output_schema=info.output_schema)
    return _Resolved(info.id, info.name, info.label_set, info.output_schema, ids, final,
                     config)


def _price_fn() -> tuple[Callable[[str, int, int], float | None] | None, str]:
    from studio.core.tokens.prices import load_price_table

    try:
        table = load_price_table()
    except UserError as exc:
        return None, f"Costs are unknown: {exc.message}"
    return table.inference_cost, f"Prices as of {table.as_of.isoformat()}."


def _hash_of(provider: ProviderConfig, item: WorkItem) -> str:
    return request_hash(provider.base_url, item.request_body(), item.repeat,
                        provider.api_version or "")


def estimate_run(project: Project, spec: RunSpec) -> CostEstimate:
    """The cost estimate shown before Run (see the module docstring)."""
    from studio.core.tokens.counting import count_chat_tokens, count_tokens, encoding_for_model

    resolved = _resolve(project, spec)
    examples = load_examples(project, resolved.example_ids)
    variants = [p for p, _ in resolved.variants]
    items, failures = build_work_items(variants, examples)
    price, note = _price_fn()
    ideal_by_id = {e.id: (e.ideal_output or e.label or "") for e in examples}
    cache = ProjectCacheStore(project)
    out_cache: dict[tuple[str, int], int] = {}
    try:
        estimates: list[VariantEstimate] = []
        for v in variants:
            mine = [it for it in items if it.variant_key == v.key]
            encoding = encoding_for_model(v.model)
            tin = tout = 0
            cached = 0
            cost: float | None = 0.0
            for it in mine:
                t_in = count_chat_tokens(it.messages, v.model, it.tools)
                key = (encoding, it.example_id)
                if key not in out_cache:
                    out_cache[key] = count_tokens(ideal_by_id.get(it.example_id, ""), encoding)
                t_out = out_cache[key]
                tin += t_in
                tout += t_out
                if cache.get(_hash_of(spec.provider, it)) is not None:
                    cached += 1
                    continue
                one = price(v.model, t_in, t_out) if price is not None else None
                cost = None if cost is None or one is None else cost + one
            estimates.append(VariantEstimate(v.name, v.model, len(mine), cached, tin, tout, cost))
    finally:
        cache.close()
    costs = [e.cost_usd for e in estimates]
    return CostEstimate(
        variants=estimates,
        n_examples=len(examples),
        n_calls=len(items),
        n_cached=sum(e.n_cached for e in estimates),
        input_tokens=sum(e.input_tokens for e in estimates),
        output_tokens_estimated=sum(e.output_tokens_estimated for e in estimates),
        cost_usd=None if any(c is None for c in costs) else float(sum(c or 0.0 for c in costs)),
        render_errors=len(failures),
        price_note=note,
    )


def create_run(project: Project, spec: RunSpec) -> int:
    """Validate and store a run (status ``pending``); lock the test examples it uses."""
    from studio.core.datasets.splits import lock_test_split

    resolved = _resolve(project, spec)
    provider_json = orjson.dumps(spec.provider.to_dict()).decode()
    name = spec.name or " vs ".join(p.name for p, _ in resolved.variants)
    with project.engine.begin() as conn:
        run_id = conn.execute(
            text(
                "INSERT INTO eval_run (name, dataset_id, split, scorer, scorer_config_json, "
                "provider_json, concurrency, status, recorded_note, summary_json, created_at) "
                "VALUES (:n, :d, :s, :sc, :cfg, :p, :c, 'pending', '', :plan, :t)"
            ),
            {
                "n": name[:200], "d": resolved.dataset_id, "s": spec.split, "sc": spec.scorer,
                "cfg": orjson.dumps(resolved.scorer_config).decode(), "p": provider_json,
                "c": spec.concurrency, "t": db_time(),
                "plan": orjson.dumps({"example_ids": resolved.example_ids, **(
                    {"limits": spec.limits.to_json()} if spec.limits is not None else {}
                )}).decode(),
            },
        ).lastrowid
        for position, (prep, version_id) in enumerate(resolved.variants):
            conn.execute(
                text(
                    "INSERT INTO eval_variant (run_id, position, prompt_version_id, label, "
                    "model, params_json) VALUES (:r, :pos, :pv, :l, :m, :p)"
                ),
                {"r": run_id, "pos": position, "pv": version_id, "l": prep.name[:300],
                 "m": prep.model, "p": orjson.dumps(prep.params).decode()},
            )
    if spec.split in ("test", "all"):
        lock_test_split(project, resolved.dataset_id)
    assert run_id is not None
    return int(run_id)


# ---------------------------------------------------------------------------- execute
def _set_status(project: Project, run_id: int, status: str, **extra: Any) -> None:
    sets = ["status = :st"]
    params: dict[str, Any] = {"st": status, "r": run_id}
    for key, value in extra.items():
        sets.append(f"{key} = :{key}")
        params[key] = value
    with project.engine.begin() as conn:
        conn.execute(text(f"UPDATE eval_run SET {', '.join(sets)} WHERE id = :r"), params)


def _store_plan(project: Project, run_id: int, plan: Mapping[str, Any]) -> None:
    with project.engine.begin() as conn:
        conn.execute(
            text("UPDATE eval_run SET summary_json = :j WHERE id = :r"),
            {"j": orjson.dumps(redact_json(dict(plan))).decode(), "r": run_id},
        )


def _render_error(failure: RenderFailure) -> CallResult:
    return CallResult(
        variant_key=failure.variant_key, example_id=failure.example_id, output=None,
        tool_calls=None, error=failure.message, error_kind="render", latency_ms=None,
        tokens_in=None, tokens_out=None, cost_usd=None, cached=False, attempts=0,
        request_hash="",
    )


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
) -> RunOutcome:
    """Run (or resume) ``run_id``; see the module docstring. Blocks: use a worker thread.

    The process holds the run's OS lock (:mod:`.run_lock`) while it executes, so a run
    whose process died shows as ``interrupted``; a run already executing elsewhere is
    refused with a :class:`UserError`. ``limits`` (request timeout, deadline, stop rule)
    default to those stored with the run, else :class:`RunLimits`; ``read_timeout_s``
    overrides the request timeout.
    """
    _run_row(project, run_id)  # a clear "no such run" before any lock file is made
    with acquire_run_lock(project, run_id):
        return _execute_locked(project, run_id, key=key, progress=progress, cancel=cancel,
                               cache=cache, retry=retry, read_timeout_s=read_timeout_s,
                               client_factory=client_factory, limits=limits)


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
) -> RunOutcome:
    started = time.monotonic()
    row = _run_row(project, run_id)
    plan = _plan(row)
    if limits is None:
        limits = RunLimits.from_json(plan.get("limits"))
    if read_timeout_s is not None:
        limits = RunLimits(read_timeout_s, limits.deadline_s, limits.stall_s)
    plan["limits"] = limits.to_json()
    provider = ProviderConfig.from_dict(orjson.loads(row.provider_json or "{}"))
    examples = load_examples(project, plan.get("example_ids", []))
    variants = prepared_variants(project, run_id)
    scorer = _scorer_for(project, row, examples)
    items, failures = build_work_items(variants, examples)
    price, _ = _price_fn()
    _set_status(project, run_id, "running", finished_at=None)
    with project.engine.begin() as conn:  # the first start stays the start
        conn.execute(text("UPDATE eval_run SET started_at = coalesce(started_at, :t) "
                          "WHERE id = :r"), {"t": db_time(), "r": run_id})
    plan.pop("failed_reason", None)
    _store_plan(project, run_id, plan)  # the limits, for a resume after a crash

    def score(result: CallResult) -> Scored:
        return scorer.score(result.example_id, result.output, result.tool_calls)

    sink = ProjectResultSink(project, run_id, {v.key: int(v.key) for v in variants}, score)
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
                    items, provider=provider, api_key=key, sink=sink, cache=store,
                    concurrency=int(row.concurrency), retry=retry, price_fn=price,
                    progress=progress, cancel=cancel, client_factory=client_factory,
                    limits=limits,
                )
            )
        except RunStoppedError as exc:
            failed_reason = exc.message
            stop_kind = exc.kind
        except ServerUnreachableError as exc:
            failed_reason = exc.message
        answered = sink.already_done()
        pending = sum(1 for it in items if it.key not in answered)
        if failed_reason is None and summary is not None and not summary.cancelled and (
            row.scorer == "judge"
        ):
            failed_reason = _run_judge(
                project, run_id, row, variants, examples, provider, key, store, cancel,
                retry, client_factory, limits,
            )
    except BaseException:
        _set_status(project, run_id, "failed", finished_at=db_time())
        raise
    finally:
        sink.close()
        if store is not None:
            store.close()
    cancelled = bool(summary is not None and summary.cancelled)
    status = "failed" if failed_reason else ("cancelled" if cancelled else "completed")
    if failed_reason:
        plan["failed_reason"] = failed_reason
    _store_plan(project, run_id, plan)
    _set_status(project, run_id, status, finished_at=db_time())
    if status == "completed":
        final = run_summary(project, run_id)
        plan["summary"] = final.to_json()
        _store_plan(project, run_id, plan)
    made = (summary.completed - summary.cached) if summary is not None else 0
    return RunOutcome(
        run_id=run_id,
        completed=status == "completed",
        cancelled=cancelled,
        failed_reason=failed_reason,
        calls_made=made,
        cached=summary.cached if summary is not None else 0,
        failed=(summary.errors if summary is not None else 0) + len(failures),
        elapsed_s=time.monotonic() - started,
        stop_kind=stop_kind,
        pending=pending,
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
    from studio.core.evals.scorers import PairwiseJudge

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
    with project.engine.connect() as conn:
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
        items.extend(judge.work_items(e.id, input_preview(e, 4000), oa, ob,
                                      e.label or e.ideal_output or ""))
    if not items:
        return None
    sink = MemorySink()
    try:
        asyncio.run(
            run_items(items, provider=provider, api_key=key, sink=sink, cache=store,
                      retry=retry, cancel=cancel, client_factory=client_factory,
                      concurrency=int(row.concurrency), limits=limits)
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
            project, run_id, example_id, {"A": "a", "B": "b"}.get(j.winner, "tie"),
            variant_a_id=int(a.key), variant_b_id=int(b.key), source="judge",
            rater=f"judge:{version.ref}", detail=j.detail,
        )
    return None


# ---------------------------------------------------------------------------- reading
def _result_rows(project: Project, run_id: int, scorer: RunScorer) -> list[ResultRow]:
    with project.engine.connect() as conn:
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
            variant_id=int(r[0]), example_id=int(r[1]), output=r[2], error=r[3],
            passed=None if r[4] is None else bool(r[4]), score=r[5], latency_ms=r[6],
            tokens_in=r[7], tokens_out=r[8], cost_usd=r[9], cached=bool(r[10]),
            attempts=int(r[11]),
            predicted_label=scorer.predicted_label(r[2]) if labelled and r[3] is None else None,
            fields=scorer.fields(int(r[1]), r[2]) if r[3] is None else None,
            label_match=scorer.label_match(int(r[1]), r[2]) if r[3] is None else None,
        )
        for r in rows
    ]


def _preference_rows(project: Project, run_id: int) -> list[PreferenceRow]:
    with project.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT example_id, variant_a_id, variant_b_id, choice, source FROM preference "
                 "WHERE run_id = :r"),
            {"r": run_id},
        ).all()
    return [PreferenceRow(int(r[0]), int(r[1]), int(r[2]), str(r[3]), str(r[4])) for r in rows]


def run_summary(project: Project, run_id: int) -> RunSummary:
    """The run's summary, computed from the stored results (see :mod:`.summary`)."""
    row = _run_row(project, run_id)
    plan = _plan(row)
    example_ids = [int(i) for i in plan.get("example_ids", [])]
    examples = load_examples(project, example_ids)
    existing = {e.id for e in examples}
    example_ids = [i for i in example_ids if i in existing]
    scorer = _scorer_for(project, row, examples)
    metas = [VariantMeta(int(v.id), int(v.position), v.label, v.model,
                         prompt_name=v.prompt_name,
                         version=None if v.version is None else int(v.version))
             for v in _variant_rows(project, run_id)]
    rows = [r for r in _result_rows(project, run_id, scorer) if r.example_id in existing]
    expected = ({e.id: scorer.ideal(e) for e in examples} if scorer.name == "label" else None)
    return summarise(
        run_id=run_id, name=row.name or "", dataset=row.dataset_name or "(deleted dataset)",
        split=row.split, scorer=row.scorer,
        status=effective_status(project, run_id, row.status), example_ids=example_ids,
        variants=metas, rows=rows, pass_fail=scorer.pass_fail, expected_labels=expected,
        preferences=_preference_rows(project, run_id), recorded_note=row.recorded_note or "",
        failed_reason=plan.get("failed_reason"),
    )


def list_runs(project: Project, dataset: str | int | None = None) -> list[RunInfo]:
    """Past runs, newest first (of one dataset when given)."""
    sql = (
        "SELECT r.id, r.name, coalesce(d.name, ''), r.split, r.scorer, r.status, "
        "r.created_at, r.finished_at, r.recorded_note, "
        "(SELECT count(*) FROM eval_result x WHERE x.run_id = r.id) "
        "FROM eval_run r LEFT JOIN dataset d ON d.id = r.dataset_id"
    )
    params: dict[str, Any] = {}
    if isinstance(dataset, int):
        sql += " WHERE r.dataset_id = :d"
        params["d"] = dataset
    elif isinstance(dataset, str):
        sql += " WHERE d.name = :d"
        params["d"] = dataset
    with project.engine.connect() as conn:
        runs = conn.execute(text(sql + " ORDER BY r.id DESC"), params).all()
        labels: dict[int, list[str]] = {}
        for v in conn.execute(
            text("SELECT run_id, label FROM eval_variant ORDER BY run_id, position")
        ).all():
            labels.setdefault(int(v[0]), []).append(str(v[1]))
    return [
        RunInfo(
            id=int(r[0]), name=r[1] or "", dataset=r[2], split=r[3], scorer=r[4],
            status=effective_status(project, int(r[0]), r[5]),
            variants=labels.get(int(r[0]), []), n_results=int(r[9]), created_at=str(r[6]),
            finished_at=None if r[7] is None else str(r[7]), recorded_note=r[8] or "",
        )
        for r in runs
    ]


def case_rows(project: Project, run_id: int, filter: CaseFilter = "all") -> list[CaseRow]:
    """Side-by-side rows for the case table, filtered (see :class:`CaseRow`)."""
    if filter not in ("all", "disagreements", "regressions", "errors"):
        raise ValidationError(
            f"Filter {filter!r} is not one of all, disagreements, regressions, errors.",
            where="filter",
        )
    row = _run_row(project, run_id)
    ids = [int(i) for i in _plan(row).get("example_ids", [])]
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
    scorer = _scorer_for(project, row, list(examples.values()))
    labels = {int(v.id): v.label for v in _variant_rows(project, run_id)}
    with project.engine.connect() as conn:
        results = conn.execute(
            text("SELECT variant_id, example_id, output, tool_calls_json, error, passed, "
                 "score_detail FROM eval_result WHERE run_id = :r"),
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
            CaseRow(example_id=example_id, input_preview=input_preview(example),
                    ideal=scorer.ideal(example), outputs=outputs, passed=passed,
                    errors=errors, details=details, fields=fields)
        )
    return out


def rescore_run(project: Project, run_id: int) -> RunSummary:
    """Re-score stored answers with the examples' current ideal outputs (no calls)."""
    row = _run_row(project, run_id)
    plan = _plan(row)
    examples = load_examples(project, plan.get("example_ids", []))
    scorer = _scorer_for(project, row, examples)
    with project.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, example_id, output, tool_calls_json FROM eval_result "
                 "WHERE run_id = :r AND error IS NULL"),
            {"r": run_id},
        ).all()
    updates: list[dict[str, Any]] = []
    for r in rows:
        calls = orjson.loads(r[3]) if r[3] else None
        try:
            s = scorer.score(int(r[1]), r[2], calls)
        except UserError as exc:
            s = Scored(None, None, f"not scored: {exc.message}")
        updates.append({"i": int(r[0]), "p": None if s.passed is None else int(s.passed),
                        "s": s.score, "d": s.detail})
    if updates:
        with project.engine.begin() as conn:
            conn.execute(
                text("UPDATE eval_result SET passed = :p, score = :s, score_detail = :d "
                     "WHERE id = :i"),
                updates,
            )
    summary = run_summary(project, run_id)
    if row.status == "completed":
        plan["summary"] = summary.to_json()
        _store_plan(project, run_id, plan)
    return summary


def compare_runs(project: Project, run_ids: Sequence[int]) -> RunsComparison:
    """Several runs side by side (one row per run and variant)."""
    if not run_ids:
        raise ValidationError("Choose at least one run to compare.", where="runs")
    summaries = [run_summary(project, int(r)) for r in run_ids]
    rows: list[dict[str, Any]] = []
    for s in summaries:
        for v in s.variants:
            rows.append({
                "run_id": s.run_id, "run": s.name, "dataset": s.dataset, "split": s.split,
                "status": s.status, "prompt": v.prompt, "model": v.model, "n": v.answered,
                "score": v.score, "ci95": v.ci95, "errors": v.errors,
                "latency_p50_ms": v.latency_p50_ms, "cost_per_1000": v.cost_per_1000,
                "recorded_note": s.recorded_note,
            })
    return RunsComparison(summaries, rows)


def set_recorded_note(project: Project, run_id: int, note: str) -> None:
    """Mark how a run was recorded (e.g. against a simulated model)."""
    _run_row(project, run_id)
    with project.engine.begin() as conn:
        conn.execute(text("UPDATE eval_run SET recorded_note = :n WHERE id = :r"),
                     {"n": note, "r": run_id})


def delete_run(project: Project, run_id: int) -> None:
    """Delete a run with its variants, results and preferences."""
    _run_row(project, run_id)
    with project.engine.begin() as conn:
        for table in ("preference", "eval_result", "eval_variant"):
            conn.execute(text(f"DELETE FROM {table} WHERE run_id = :r"), {"r": run_id})
        conn.execute(text("DELETE FROM eval_run WHERE id = :r"), {"r": run_id})
