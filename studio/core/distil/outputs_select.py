"""A distil outputs run before any call: which rows, which skipped and why, its cost, storing it.

Skip reasons (counted in :attr:`Resolved.skipped`, in this order of precedence):

* ``rejected_row``: the row's status is rejected;
* ``approved_human`` / ``approved_teacher``: the row is approved with an ideal output
  (label) — never overwritten (``approved_teacher``: it came from an accepted candidate);
* ``test_split``: a test row, unless ``include_test``;
* ``has_pending_candidate``: a pending candidate of the same version and model waits
  for review;
* ``rejected_candidate``: a reviewer rejected this version and model's answer (asked
  again, the cache would give the same answer back).

With ``spec.audit = N`` some ``approved_human`` rows are also asked, as the audit sample
(:mod:`.outputs_audit`); they stay counted as skipped ``approved_human`` (never
overwritten) and are listed in :attr:`Resolved.audit_ids`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import text

from studio.core.db.transactions import read_conn, write_tx
from studio.core.distil.outputs_answers import agreement_scorer
from studio.core.distil.outputs_audit import MAX_AUDIT, choose_audit
from studio.core.errors import ValidationError
from studio.core.evals.cache import request_hash
from studio.core.evals.run_setup import _version_row_id, price_fn
from studio.core.evals.runner import MAX_CONCURRENCY, MIN_CONCURRENCY
from studio.core.evals.workitems import PreparedVariant, build_work_items, merge_params
from studio.core.llm.providers import ProviderConfig
from studio.core.prompts.service import resolve_ref

if TYPE_CHECKING:
    from studio.core.datasets.catalog import DatasetInfo
    from studio.core.db.project import Project
    from studio.core.distil.outputs_spec import OutputsSpec
    from studio.core.prompts.records import PromptVersionData

MAX_SAMPLES = 20
DEFAULT_OUTPUT_TOKENS = 256  # the cost estimate's answer length when no row has an ideal yet


@dataclass(frozen=True)
class Resolved:
    """A checked spec: the dataset, version, model, params and the rows to ask."""

    info: DatasetInfo
    version: PromptVersionData
    version_id: int
    model: str
    params: dict[str, Any]
    samples: int
    example_ids: list[int]
    skipped: dict[str, int] = field(default_factory=dict)
    json_output: bool = False
    audit_ids: list[int] = field(default_factory=list)  # rows with a human ideal, to measure
    audit_note: str = ""

    @property
    def asked_ids(self) -> list[int]:
        """Every row the run asks: those that need an ideal, then the audit sample."""
        return self.example_ids + self.audit_ids

    @property
    def scorer(self) -> str:
        """How samples are compared (:func:`agreement_scorer`)."""
        return agreement_scorer(self.info.task_type, self.json_output)

    def variants(self) -> list[PreparedVariant]:
        """One variant per sample; the sample number is the requests' repeat index."""
        return [
            PreparedVariant(
                key=str(i),
                spec=self.version.spec,
                model=self.model,
                params=self.params,
                name=self.label(i),
                repeat=i,
            )
            for i in range(self.samples)
        ]

    def label(self, i: int) -> str:
        """The variant label of sample ``i``."""
        return self.version.ref if self.samples == 1 else f"{self.version.ref} sample {i + 1}"


def _check_numbers(spec: OutputsSpec) -> None:
    if not 1 <= spec.samples <= MAX_SAMPLES:
        raise ValidationError(
            f"Samples must be between 1 and {MAX_SAMPLES}, not {spec.samples}.", where="samples"
        )
    if spec.temperature is not None and not 0.0 <= spec.temperature <= 2.0:
        raise ValidationError(
            f"Temperature must be between 0 and 2, not {spec.temperature}.", where="temperature"
        )
    if not 0 <= spec.audit <= MAX_AUDIT:
        raise ValidationError(
            f"The audit must be between 0 and {MAX_AUDIT:,} rows, not {spec.audit}.",
            where="audit",
        )
    if not MIN_CONCURRENCY <= spec.concurrency <= MAX_CONCURRENCY:
        raise ValidationError(
            f"Concurrency must be between {MIN_CONCURRENCY} and {MAX_CONCURRENCY}, "
            f"not {spec.concurrency}.",
            where="concurrency",
        )


def resolve(project: Project, spec: OutputsSpec) -> Resolved:
    """Check ``spec`` and select its rows (see the module docstring).

    Raises:
        UserError: unknown dataset or version, no model, bad samples / temperature /
            concurrency (``where`` names the field).
    """
    from studio.core.datasets.catalog import get_dataset

    _check_numbers(spec)
    info = get_dataset(project, spec.dataset)
    version = resolve_ref(project, spec.prompt_ref)
    model = (spec.model or version.spec.model or "").strip()
    if not model:
        raise ValidationError(f"{version.ref} names no model: choose one (--model).", where="model")
    override = {} if spec.temperature is None else {"temperature": spec.temperature}
    params = merge_params(version.spec.params, override)
    temperature = params.get("temperature")
    if spec.samples > 1 and not (isinstance(temperature, int | float) and temperature > 0):
        raise ValidationError(
            f"{spec.samples} samples of one row need a temperature above 0 (else they are "
            f"one answer {spec.samples} times): {version.ref} has "
            + ("none" if temperature is None else f"temperature {temperature}")
            + "; give one (--temperature).",
            where="temperature",
        )
    version_id = _version_row_id(project, version.name, version.version)
    ids, skipped, json_kind, pool = _select(project, info, spec, version_id, model)
    json_output = (
        version.spec.response_schema is not None or info.output_schema is not None or json_kind
    )
    audit = choose_audit(
        pool,
        spec.audit,
        audited=_audited(project, info.id, version_id, model) if spec.audit else set(),
        seed=f"audit:{info.id}:{version_id}:{model}",
        stratify=info.task_type == "classification",
        test_excluded=not spec.include_test,
    )
    return Resolved(
        info,
        version,
        version_id,
        model,
        params,
        spec.samples,
        ids,
        skipped,
        json_output,
        audit.ids,
        audit.note,
    )


def _audited(project: Project, dataset_id: int, version_id: int, model: str) -> set[int]:
    """Rows with an audit answer (valid or not) of this version and model."""
    with read_conn(project) as conn:
        return {
            int(r[0])
            for r in conn.execute(
                text(
                    "SELECT example_id FROM candidate WHERE dataset_id = :d AND status = 'audit' "
                    "AND prompt_version_id = :pv AND model = :m"
                ),
                {"d": dataset_id, "pv": version_id, "m": model},
            ).all()
        }


def _select(
    project: Project, info: DatasetInfo, spec: OutputsSpec, version_id: int, model: str
) -> tuple[list[int], dict[str, int], bool, list[tuple[int, str | None]]]:
    """(ids to ask, skipped counts by reason, whether the asked rows' outputs are JSON,
    the audit pool: (id, label) of the dataset's approved human rows, whatever the
    selection, test rows only with include_test)."""
    wanted = None if spec.example_ids is None else {int(i) for i in spec.example_ids}
    classification = info.task_type == "classification"
    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT id, split, status, ideal_output, label, ideal_source, output_kind "
                "FROM example WHERE dataset_id = :d ORDER BY id"
            ),
            {"d": info.id},
        ).all()
        blocking = {
            int(r[0]): str(r[1])
            for r in conn.execute(
                text(
                    "SELECT example_id, status FROM candidate WHERE dataset_id = :d "
                    "AND prompt_version_id = :pv AND model = :m "
                    "AND status IN ('pending', 'rejected') ORDER BY id"
                ),
                {"d": info.id, "pv": version_id, "m": model},
            ).all()
        }
    ids: list[int] = []
    skipped: dict[str, int] = {}
    json_kind = False
    pool: list[tuple[int, str | None]] = []
    for r in rows:
        eid = int(r[0])
        has_ideal = bool((r[4] or "").strip()) if classification else bool((r[3] or "").strip())
        # The audit measures the teacher on the dataset, whatever rows the selection
        # picks to label: `--where status=needs_review --audit 50` must still find rows
        # a person approved (which that selection leaves out by definition)
        human = r[2] == "approved" and has_ideal and r[5] != "teacher"
        if human and (r[1] != "test" or spec.include_test):
            pool.append((eid, r[4]))
        if wanted is not None and eid not in wanted:
            continue
        reason = None
        if r[2] == "rejected":
            reason = "rejected_row"
        elif r[2] == "approved" and has_ideal:
            reason = "approved_teacher" if r[5] == "teacher" else "approved_human"
        elif r[1] == "test" and not spec.include_test:
            reason = "test_split"
        elif eid in blocking:
            reason = "has_pending_candidate" if blocking[eid] == "pending" else "rejected_candidate"
        if reason is not None:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        ids.append(eid)
        json_kind = json_kind or r[6] == "json"
    return ids, skipped, json_kind, pool


def estimate(
    project: Project, provider: ProviderConfig, resolved: Resolved
) -> tuple[int, float | None, str]:
    """(calls already cached, cost of the others or None, the price note).

    Input tokens are counted exactly on every rendered request; an answer's length is
    the mean of the dataset's ideal outputs (``DEFAULT_OUTPUT_TOKENS`` when none).
    """
    from studio.core.evals.run_store import load_examples
    from studio.core.evals.store import ProjectCacheStore
    from studio.core.tokens.counting import count_chat_tokens, count_tokens, encoding_for_model

    examples = load_examples(project, resolved.asked_ids)
    items, _failures = build_work_items(resolved.variants(), examples)
    price, note = price_fn()
    encoding = encoding_for_model(resolved.model)
    with read_conn(project) as conn:
        ideals = [
            str(r[0])
            for r in conn.execute(
                text(
                    "SELECT coalesce(ideal_output, label) FROM example WHERE dataset_id = :d "
                    "AND coalesce(ideal_output, label, '') != '' LIMIT 200"
                ),
                {"d": resolved.info.id},
            ).all()
        ]
    out_tokens = (
        round(sum(count_tokens(t, encoding) for t in ideals) / len(ideals))
        if ideals
        else DEFAULT_OUTPUT_TOKENS
    )
    cached = 0
    cost: float | None = 0.0
    store = ProjectCacheStore(project)
    try:
        for it in items:
            digest = request_hash(
                provider.base_url, it.request_body(), it.repeat, provider.api_version or ""
            )
            if store.get(digest) is not None:
                cached += 1
                continue
            if cost is None:
                continue
            one = None
            if price is not None:
                one = price(
                    resolved.model, count_chat_tokens(it.messages, it.model, it.tools), out_tokens
                )
            cost = None if one is None else cost + one
    finally:
        store.close()
    return cached, cost, note


def store_run(project: Project, spec: OutputsSpec, resolved: Resolved) -> int:
    """Store the run (kind ``distil``, status ``pending``) and its sample variants."""
    from studio.core.datasets.splits import lock_test_split
    from studio.core.evals.store import db_time

    plan: dict[str, Any] = {
        "example_ids": resolved.asked_ids,  # the run asks the audit rows too
        "distil": {
            "audit_ids": resolved.audit_ids,
            "prompt_ref": resolved.version.ref,
            "samples": resolved.samples,
            "skipped": resolved.skipped,
            "include_test": spec.include_test,
            "json_output": resolved.json_output,
        },
    }
    if spec.limits is not None:
        plan["limits"] = spec.limits.to_json()
    if spec.judge:
        from studio.core.distil.judging import load_judge

        # checked (a prompt with {{output}} and a model) and resolved to NAME@N now
        plan["distil"]["judge"] = load_judge(project, spec.judge).identity
    name = spec.name or f"Distil {resolved.version.ref} on {resolved.model}"
    params_json = orjson.dumps(resolved.params).decode()
    with write_tx(project) as conn:
        run_id = conn.execute(
            text(
                "INSERT INTO eval_run (name, kind, dataset_id, split, scorer, scorer_config_json, "
                "provider_json, concurrency, status, recorded_note, summary_json, created_at) "
                "VALUES (:n, 'distil', :d, :s, :sc, '{}', :p, :c, 'pending', '', :plan, :t) "
                "RETURNING id"
            ),
            {
                "n": name[:200],
                "d": resolved.info.id,
                "s": "all",  # the rows are in the plan; test rows only with include_test
                "sc": resolved.scorer,
                "p": orjson.dumps(spec.provider.to_dict()).decode(),
                "c": spec.concurrency,
                "plan": orjson.dumps(plan).decode(),
                "t": db_time(),
            },
        ).scalar_one()
        for i in range(resolved.samples):
            conn.execute(
                text(
                    "INSERT INTO eval_variant (run_id, position, prompt_version_id, label, "
                    "model, params_json) VALUES (:r, :pos, :pv, :l, :m, :p)"
                ),
                {
                    "r": run_id,
                    "pos": i,
                    "pv": resolved.version_id,
                    "l": resolved.label(i)[:300],
                    "m": resolved.model,
                    "p": params_json,
                },
            )
    if spec.include_test:
        lock_test_split(project, resolved.info.id)  # a test row answered is a test row used
    assert run_id is not None
    return int(run_id)
