"""Setting up an A/B run: what to run, its cost before Run, and storing it.

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

``RunSpec.scorer``: ``exact``, ``normalised``, ``label``, ``label-strict``, ``json``,
``json-equal``, ``json-schema``, ``json-fields``, ``contains``, ``regex`` or ``judge``
(``json-schema`` defaults to the versions' ``response_schema``; ``scorer_config``:
:mod:`studio.core.evals.run_scoring`; the judge needs ``{"judge_prompt": "NAME@VERSION"}``
and stores its A-vs-B verdicts, asked in both orders, as ``judge`` preferences).

Conventions: variant A is the first variant (baseline), B the second. Splits:
``test``, ``validation``, ``train`` or ``all``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import text

from studio.core.db.transactions import read_conn, write_tx
from studio.core.errors import NotFoundError, UserError, ValidationError
from studio.core.evals.cache import request_hash
from studio.core.evals.calls import WorkItem
from studio.core.evals.limits import RunLimits
from studio.core.evals.run_scoring import RunScorer, check_scorer_name, with_default_schema
from studio.core.evals.run_store import SPLIT_CHOICES, load_examples, split_ids
from studio.core.evals.runner import MAX_CONCURRENCY, MIN_CONCURRENCY
from studio.core.evals.store import ProjectCacheStore, db_time
from studio.core.evals.workitems import PreparedVariant, build_work_items, merge_params
from studio.core.llm.providers import ProviderConfig
from studio.core.prompts.service import resolve_ref

if TYPE_CHECKING:
    from studio.core.db.project import Project


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
class _Resolved:
    dataset_id: int
    dataset_name: str
    label_set: list[str]
    output_schema: dict[str, Any] | None
    example_ids: list[int]
    variants: list[tuple[PreparedVariant, int]]  # (prepared with placeholder key, version id)
    scorer_config: dict[str, Any] = field(default_factory=dict)  # as stored with the run


def _version_row_id(project: Project, name: str, version: int) -> int:
    with read_conn(project) as conn:
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
    ids = split_ids(project, info.id, spec.split)
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
                PreparedVariant(
                    key=str(i), spec=version.spec, model=model, params=params, name=version.ref
                ),
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
        spec.scorer,
        spec.scorer_config,
        [(p.name, p.spec.response_schema) for p, _ in resolved],
    )
    RunScorer(spec.scorer, config, {}, label_set=info.label_set, output_schema=info.output_schema)
    return _Resolved(info.id, info.name, info.label_set, info.output_schema, ids, final, config)


def price_fn() -> tuple[Callable[[str, int, int], float | None] | None, str]:
    """The price table's cost function (None when it cannot be read) and its note."""
    from studio.core.tokens.prices import load_price_table

    try:
        table = load_price_table()
    except UserError as exc:
        return None, f"Costs are unknown: {exc.message}"
    return table.inference_cost, f"Prices as of {table.as_of.isoformat()}."


def _hash_of(provider: ProviderConfig, item: WorkItem) -> str:
    return request_hash(
        provider.base_url, item.request_body(), item.repeat, provider.api_version or ""
    )


def estimate_run(project: Project, spec: RunSpec) -> CostEstimate:
    """The cost estimate shown before Run (see the module docstring)."""
    from studio.core.tokens.counting import count_chat_tokens, count_tokens, encoding_for_model

    resolved = _resolve(project, spec)
    examples = load_examples(project, resolved.example_ids)
    variants = [p for p, _ in resolved.variants]
    items, failures = build_work_items(variants, examples)
    price, note = price_fn()
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
    with write_tx(project) as conn:
        run_id = conn.execute(
            text(
                "INSERT INTO eval_run (name, dataset_id, split, scorer, scorer_config_json, "
                "provider_json, concurrency, status, recorded_note, summary_json, created_at) "
                "VALUES (:n, :d, :s, :sc, :cfg, :p, :c, 'pending', '', :plan, :t) RETURNING id"
            ),
            {
                "n": name[:200],
                "d": resolved.dataset_id,
                "s": spec.split,
                "sc": spec.scorer,
                "cfg": orjson.dumps(resolved.scorer_config).decode(),
                "p": provider_json,
                "c": spec.concurrency,
                "t": db_time(),
                "plan": orjson.dumps(
                    {
                        "example_ids": resolved.example_ids,
                        **({"limits": spec.limits.to_json()} if spec.limits is not None else {}),
                    }
                ).decode(),
            },
        ).scalar_one()
        for position, (prep, version_id) in enumerate(resolved.variants):
            conn.execute(
                text(
                    "INSERT INTO eval_variant (run_id, position, prompt_version_id, label, "
                    "model, params_json) VALUES (:r, :pos, :pv, :l, :m, :p)"
                ),
                {
                    "r": run_id,
                    "pos": position,
                    "pv": version_id,
                    "l": prep.name[:300],
                    "m": prep.model,
                    "p": orjson.dumps(prep.params).decode(),
                },
            )
    if spec.split in ("test", "all"):
        lock_test_split(project, resolved.dataset_id)
    assert run_id is not None
    return int(run_id)
