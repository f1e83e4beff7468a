"""Synthetic inputs: new rows written by a model from seed rows, never leaks of test.

Where real inputs are few, a model writes more from few-shot seed rows of the dataset,
cell by cell of a :class:`~studio.core.distil.plan.GenerationPlan` (label × varied
instruction; the calls and their prompts: :mod:`.input_calls`). The calls go through
the A/B runner (:func:`studio.core.evals.runner.run_items`): bounded concurrency, its
one retry layer, the stop rule for a silent server, cancel, progress and the project's
response cache (running the same plan again makes no call).

Every new input is then checked against the whole dataset (:mod:`.input_checks`):
near-duplicates of a row or of another new input are dropped and counted, and a
near-duplicate of any test row is never added (counted apart as a test leak). The rest
are added as ONE dataset operation (kind ``synthetic``) that ``studio dataset undo`` and
the app's Undo reverse: ``source="synthetic"``, ``provenance_json`` (model, the prompt
sent, instruction, label, seed row ids, temperature, time), status ``needs_review``, no
split (never test), and for a labelled cell the label it was written for (to be
confirmed in review; no ideal output yet: the teacher writes it, ``studio distil
outputs``). Cancel adds nothing; the calls already answered are cached, so running the
plan again costs only the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import text

from studio.core.distil.input_calls import PlannedCall, SeedRow, parse_inputs, plan_calls
from studio.core.distil.input_checks import ADDED, NEAR_DUPLICATE, TEST_LEAK, ExistingText, classify
from studio.core.distil.plan import GenerationPlan, check_plan
from studio.core.errors import UserError, ValidationError
from studio.core.evals.calls import CallResult, MemorySink, RunProgress, WorkItem
from studio.core.llm.providers import ProviderConfig
from studio.core.progress import CancelToken, Progress, ProgressCallback

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from studio.core.datasets.catalog import DatasetInfo
    from studio.core.db.project import Project

OPERATION_KIND = "synthetic"
SYNTHETIC_SOURCE = "synthetic"
NEW_STATUS = "needs_review"
_VARIANT = "inputs"  # the runner's resume key is (variant, call index)
_OUT_TOKENS_OVERHEAD = 12  # {"inputs": [ ... ]} and the quotes around each input


@dataclass(frozen=True)
class PlanEstimate:
    """Before Run: calls, tokens and cost.

    Tokens cover every call; ``cost_usd`` only the calls not already cached, None when
    the model is not in the price table (``price_note`` says why, or gives the table's
    date). Output tokens are estimated from the seed rows' length.
    """

    n_calls: int
    n_cached: int
    input_tokens: int
    output_tokens_estimated: int
    cost_usd: float | None
    price_note: str = ""

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON shape of the estimate."""
        return {
            "calls": self.n_calls,
            "cached": self.n_cached,
            "input_tokens": self.input_tokens,
            "output_tokens_estimated": self.output_tokens_estimated,
            "cost": self.cost_usd,
            "price_note": self.price_note,
        }


@dataclass(frozen=True)
class InputsOutcome:
    """What a run of a plan did.

    ``requested = generated + failed`` (failed: asked for but not received as a usable
    input: a failed or unreadable call, or too few items) and ``generated = added +
    near_duplicates + test_leaks``. ``calls`` were answered by the server in this run
    (cache hits are not calls); ``failed_calls`` got no usable answer.
    """

    requested: int
    generated: int
    added: int
    near_duplicates: int
    test_leaks: int
    failed: int
    calls: int
    cost_usd: float | None
    op_id: int | None
    cancelled: bool = False
    failed_calls: int = 0
    added_ids: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` shape."""
        return {
            "requested": self.requested,
            "generated": self.generated,
            "added": self.added,
            "near_duplicates": self.near_duplicates,
            "test_leaks": self.test_leaks,
            "failed": self.failed,
            "failed_calls": self.failed_calls,
            "calls": self.calls,
            "cost": self.cost_usd,
            "op": self.op_id,
            "cancelled": self.cancelled,
        }


@dataclass(frozen=True)
class _Rows:
    seeds: list[SeedRow]
    existing: list[ExistingText]


def _load_rows(project: Project, dataset_id: int) -> _Rows:
    """Seed candidates (not test, not rejected, variable inputs) and every row's text."""
    from studio.core.datasets.normalize import normalize_text
    from studio.core.db.dialect import driver
    from studio.core.db.transactions import read_conn

    with read_conn(project) as conn:
        raw: Any = driver(conn)  # sqlite3-style "?" SQL on either backend
        rows = raw.execute(
            "SELECT id, input_json, conversation_json, label, split, status, source, "
            "search_text FROM example WHERE dataset_id = ? ORDER BY id",
            (dataset_id,),
        ).fetchall()
    seeds: list[SeedRow] = []
    existing: list[ExistingText] = []
    for rid, input_json, conv, label, split, status, source, search in rows:
        existing.append(
            ExistingText(normalize_text(search or ""), split == "test", status == "rejected")
        )
        if split == "test" or status == "rejected" or conv is not None:
            continue
        try:
            inputs = orjson.loads(input_json or "{}")
        except orjson.JSONDecodeError:
            continue
        if isinstance(inputs, dict) and inputs:
            seeds.append(SeedRow(int(rid), inputs, label, source == SYNTHETIC_SOURCE))
    return _Rows(seeds, existing)


def _resolve(
    project: Project, plan: GenerationPlan
) -> tuple[DatasetInfo, _Rows, list[PlannedCall]]:
    """Check the plan against its dataset and build every call."""
    from studio.core.datasets.catalog import get_dataset

    check_plan(plan)
    info = get_dataset(project, plan.dataset)
    for i, cell in enumerate(plan.cells):
        if cell.label is None:
            continue
        if info.task_type != "classification":
            raise ValidationError(
                f"Cell {i + 1} names the label {cell.label!r}, but {info.name!r} is not a "
                "classification dataset.",
                where=f"cells[{i}].label",
            )
        if cell.label not in info.label_set:
            raise ValidationError(
                f"Cell {i + 1} names the label {cell.label!r}, which is not in the label set "
                f"of {info.name!r}.",
                where=f"cells[{i}].label",
            )
    fields = list(info.input_fields) or ["text"]
    rows = _load_rows(project, info.id)
    if not rows.seeds and plan.examples_per_call > 0:
        raise UserError(
            f"Dataset {info.name!r} has no rows to show as examples outside the test split "
            "(synthetic inputs are written from rows with input variables; conversations "
            "are not supported).",
            where="dataset",
        )
    calls = plan_calls(
        plan, rows.seeds, fields=fields, task_type=info.task_type, label_set=info.label_set
    )
    return info, rows, calls


def _work_item(plan: GenerationPlan, call: PlannedCall) -> WorkItem:
    return WorkItem(
        variant_key=_VARIANT,
        example_id=call.index,
        messages=call.messages,
        model=plan.model,
        params={"temperature": plan.temperature},
        response_format={"type": "json_object"} if plan.json_mode else None,
    )


def estimate_plan(project: Project, plan: GenerationPlan, provider: ProviderConfig) -> PlanEstimate:
    """Calls, tokens and cost of a plan before any call (see :class:`PlanEstimate`)."""
    from studio.core.evals.cache import request_hash
    from studio.core.evals.run_setup import price_fn
    from studio.core.evals.store import ProjectCacheStore
    from studio.core.tokens.counting import count_chat_tokens, count_tokens, encoding_for_model

    _, rows, calls = _resolve(project, plan)
    price, note = price_fn()
    encoding = encoding_for_model(plan.model)
    by_id = {s.id: s for s in rows.seeds}
    # An input's expected length: the mean token count of the rows the call shows
    seed_tokens: dict[int, int] = {}
    tin = tout = cached = 0
    cost: float | None = 0.0
    cache = ProjectCacheStore(project)
    try:
        for call in calls:
            t_in = count_chat_tokens(call.messages, plan.model)
            lengths = []
            for sid in call.seed_ids:
                if sid not in seed_tokens:
                    value = " ".join(str(v) for v in by_id[sid].inputs.values())
                    seed_tokens[sid] = count_tokens(value, encoding)
                lengths.append(seed_tokens[sid])
            per_input = (sum(lengths) / len(lengths) if lengths else 20.0) + 3
            t_out = round(_OUT_TOKENS_OVERHEAD + call.asked * per_input)
            tin += t_in
            tout += t_out
            body = _work_item(plan, call).request_body()
            if cache.get(request_hash(provider.base_url, body, 0, provider.api_version or "")):
                cached += 1
                continue
            one = price(plan.model, t_in, t_out) if price is not None else None
            cost = None if cost is None or one is None else cost + one
    finally:
        cache.close()
    if cost is None and price is not None:
        note = f"{plan.model} is not in the price table, so the cost is unknown. {note}"
    return PlanEstimate(len(calls), cached, tin, tout, cost, note)


def run_plan(
    project: Project,
    plan: GenerationPlan,
    *,
    provider: ProviderConfig,
    key: str | None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    client_factory: Callable[[], AsyncOpenAI] | None = None,
    concurrency: int = 8,
) -> InputsOutcome:
    """Run a plan: generate, drop near-duplicates and test leaks, add the rest as one op.

    Raises:
        ValidationError / NotFoundError: a bad plan or dataset (nothing called).
        ServerUnreachableError, ProviderRefusedError, RunStoppedError: the server could
            not be used (nothing added; answered calls are cached).
    """
    from studio.core.datasets.normalize import input_text, normalize_text
    from studio.core.evals.run_setup import price_fn
    from studio.core.evals.runner import run_items_blocking
    from studio.core.evals.store import ProjectCacheStore

    info, rows, calls = _resolve(project, plan)
    items = [_work_item(plan, c) for c in calls]
    price, _ = price_fn()
    sink = MemorySink()
    started = datetime.now(UTC)

    def on_progress(p: RunProgress) -> None:
        if progress is not None:
            progress(
                Progress(p.done, p.total + 1, f"Asked {p.done:,} of {p.total:,} calls", p.errors)
            )

    cache = ProjectCacheStore(project)
    try:
        summary = run_items_blocking(
            items,
            provider=provider,
            api_key=key,
            sink=sink,
            cache=cache,
            concurrency=concurrency,
            price_fn=price,
            progress=on_progress,
            cancel=cancel,
            client_factory=client_factory,
        )
    finally:
        cache.close()
    results = sink.by_key()
    fresh = [r for r in results.values() if not r.cached]
    n_calls = len(fresh)
    cost: float | None = 0.0
    for r in fresh:
        if r.ok:
            cost = None if cost is None or r.cost_usd is None else cost + r.cost_usd
    requested = plan.total
    if summary.cancelled or (cancel is not None and cancel.cancelled):
        return InputsOutcome(requested, 0, 0, 0, 0, requested, n_calls, cost, None, cancelled=True)

    fields = list(info.input_fields) or ["text"]
    new: list[tuple[PlannedCall, dict[str, str], CallResult]] = []
    failed = failed_calls = 0
    for call in calls:
        result = results.get((_VARIANT, call.index))
        found = parse_inputs(result.output if result is not None else None, fields, call.asked)
        if result is None or found is None:
            failed_calls += 1
            failed += call.asked
            continue
        failed += call.asked - len(found)
        new.extend((call, inputs, result) for inputs in found)
    if progress is not None:
        progress(Progress(len(calls), len(calls) + 1, f"Checking {len(new):,} new inputs"))
    texts = [input_text(inputs) for _, inputs, _ in new]
    verdicts = classify([normalize_text(t) for t in texts], rows.existing, cancel=cancel)
    keep = [(n, t) for n, t, v in zip(new, texts, verdicts, strict=True) if v == ADDED]
    op_id, added_ids = _add_rows(project, info, plan, provider, keep, started)
    if progress is not None:
        progress(Progress(len(calls) + 1, len(calls) + 1, f"Added {len(added_ids):,} inputs"))
    return InputsOutcome(
        requested=requested,
        generated=len(new),
        added=len(added_ids),
        near_duplicates=verdicts.count(NEAR_DUPLICATE),
        test_leaks=verdicts.count(TEST_LEAK),
        failed=failed,
        calls=n_calls,
        cost_usd=cost,
        op_id=op_id,
        failed_calls=failed_calls,
        added_ids=tuple(added_ids),
    )


def _add_rows(
    project: Project,
    info: DatasetInfo,
    plan: GenerationPlan,
    provider: ProviderConfig,
    keep: list[tuple[tuple[PlannedCall, dict[str, str], CallResult], str]],
    started: datetime,
) -> tuple[int | None, list[int]]:
    """Insert the kept inputs as one undoable operation; (op id, new row ids)."""
    from studio.core.datasets.normalize import normalize_text, text_hash
    from studio.core.datasets.operation_log import ROW_FIELD, finish_operation, new_operation
    from studio.core.db.engine import db_time
    from studio.core.db.project import current_user
    from studio.core.db.transactions import write_tx

    if not keep:
        return None, []
    now = db_time(datetime.now(UTC))
    output_kind = (
        "json" if info.output_schema is not None or info.task_type == "extraction" else "text"
    )
    ids: list[int] = []
    with write_tx(project) as conn:
        op_id = new_operation(
            conn, info.id, OPERATION_KIND, f"Add {len(keep):,} synthetic inputs ({plan.model})"
        )
        for (call, inputs, result), shown in keep:
            provenance = {
                "source": SYNTHETIC_SOURCE,
                "model": plan.model,
                "provider": provider.name,
                "prompt": call.messages,
                "instruction": call.instruction,
                "label": call.label,
                "seed_example_ids": list(call.seed_ids),
                "temperature": plan.temperature,
                "plan_seed": plan.seed,
                "generated_at": started.isoformat(timespec="seconds"),
                "cached": result.cached,
                "request_hash": result.request_hash,
            }
            row = conn.execute(
                text(
                    "INSERT INTO example (dataset_id, input_json, output_kind, status, label, "
                    "tags, notes, split, split_locked, source, norm_hash, search_text, "
                    "ideal_source, provenance_json, created_at, updated_at) VALUES (:d, :i, :k, "
                    ":s, :l, '', '', NULL, FALSE, :src, :h, :t, '', :p, :now, :now) RETURNING id"
                ),
                {
                    "d": info.id,
                    "i": orjson.dumps(inputs).decode(),
                    "k": output_kind,
                    "s": NEW_STATUS,
                    "l": call.label,
                    "src": SYNTHETIC_SOURCE,
                    "h": text_hash(normalize_text(shown)),
                    "t": shown,
                    "p": orjson.dumps(provenance).decode(),
                    "now": now,
                },
            )
            ids.append(int(row.scalar_one()))
        actor = current_user()
        conn.execute(
            text(
                "INSERT INTO example_history (example_id, dataset_id, op_id, field, before_json, "
                "after_json, actor, at) VALUES (:e, :d, :op, :f, NULL, NULL, :a, :at)"
            ),
            [
                {"e": i, "d": info.id, "op": op_id, "f": ROW_FIELD, "a": actor, "at": now}
                for i in ids
            ],
        )
        finish_operation(conn, op_id, len(ids))
    return op_id, ids
